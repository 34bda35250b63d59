// kwok Stage definitions for the local fleet: nodes become Ready at once; pods become Ready / Jobs' pods complete
// after a per-pod delay read from annotations, so benchmarks can model slow workloads.
//   pod-ready.stage.kwok.x-k8s.io/delay      Go duration before a pod turns Running+Ready (default 0s)
//   pod-complete.stage.kwok.x-k8s.io/delay   Go duration a Job's pod stays Running before it Succeeds (default 0s)
// Custom stages replace kwok's defaults, so this file defines the node stage too.

// The operator stamps them (render/simulated-durations.ts) on the pod templates of a DistributedCloud annotated
// discovery.beyondtheclouds.io/simulated-durations.
import { KWOK_POD_COMPLETE_DELAY, KWOK_POD_READY_DELAY } from '../../operator/src/render/simulated-durations.js';

export const POD_READY_DELAY_ANNOTATION = KWOK_POD_READY_DELAY;
export const POD_COMPLETE_DELAY_ANNOTATION = KWOK_POD_COMPLETE_DELAY;

const nodeInitialize = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-initialize
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  selector:
    matchExpressions:
      - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
        operator: NotIn
        values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
        message: {{ .message | Quote }}
        reason: {{ .reason | Quote }}
        status: {{ .status | Quote }}
        type: {{ .type | Quote }}
      {{ end }}
      addresses:
      {{ with NodeIP }}
      - { address: {{ . | Quote }}, type: InternalIP }
      {{ end }}
      {{ with NodeName }}
      - { address: {{ . | Quote }}, type: Hostname }
      {{ end }}
      allocatable: { cpu: "32", memory: 128Gi, pods: "250" }
      capacity: { cpu: "32", memory: 128Gi, pods: "250" }
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        kubeletVersion: {{ printf "kwok-%s" Version | Quote }}
        containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
        kernelVersion: {{ printf "kwok-%s" Version | Quote }}
        kubeProxyVersion: {{ printf "kwok-%s" Version | Quote }}
      phase: Running
`;

const podReady = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - { key: '.metadata.deletionTimestamp', operator: DoesNotExist }
      - { key: '.status.phase', operator: In, values: [Pending] }
      - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
        operator: NotIn
        values: ['True']
  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: '.metadata.annotations["${POD_READY_DELAY_ANNOTATION}"]'
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - { lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized }
      - { lastTransitionTime: {{ $now | Quote }}, status: "True", type: Ready }
      - { lastTransitionTime: {{ $now | Quote }}, status: "True", type: ContainersReady }
      - { lastTransitionTime: {{ $now | Quote }}, status: "True", type: PodScheduled }
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        started: true
        restartCount: 0
        state: { running: { startedAt: {{ $now | Quote }} } }
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state: { terminated: { exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }} } }
      {{ end }}
      {{ with NodeIPWith .spec.nodeName }}
      hostIP: {{ . | Quote }}
      {{ end }}
      {{ with PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      podIP: {{ . | Quote }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}
`;

const podComplete = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-complete
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - { key: '.metadata.deletionTimestamp', operator: DoesNotExist }
      - { key: '.status.phase', operator: In, values: [Running] }
      - { key: '.metadata.ownerReferences.[].kind', operator: In, values: [Job] }
  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: '.metadata.annotations["${POD_COMPLETE_DELAY_ANNOTATION}"]'
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - { lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized }
      - { lastTransitionTime: {{ $now | Quote }}, status: "False", reason: PodCompleted, type: Ready }
      - { lastTransitionTime: {{ $now | Quote }}, status: "False", reason: PodCompleted, type: ContainersReady }
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: false
        restartCount: 0
        state: { terminated: { exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }} } }
      {{ end }}
      phase: Succeeded
`;

const podDelete = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - { key: '.metadata.deletionTimestamp', operator: Exists }
  next:
    delete: true
`;

/** The kwokctl `--config` document stream for every fleet cluster. */
export function kwokStagesYaml(): string {
  return [nodeInitialize, podReady, podComplete, podDelete].join('---\n');
}
