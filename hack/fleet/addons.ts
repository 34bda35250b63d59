// Cluster add-ons a fleet cluster with a real node needs, as plain objects: CoreDNS (cluster DNS on the kubelet's
// clusterDNS address) and the local-path provisioner (PersistentVolumeClaims bound to directories on the real node,
// writable by non-root pods). Pure builders plus one apply function (server-side apply, field manager
// discovery-fleet). Add-on pods run on the real node only (label FLEET_NODE_LABEL=real).
import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN } from './node-config.js';

/** Node label telling real nodes (`real`) from kwok-simulated ones (`kwok`). */
export const FLEET_NODE_LABEL = 'discovery.beyondtheclouds.io/fleet-node';
export const LOCAL_PATH_PROVISIONER = 'discovery.beyondtheclouds.io/local-path';
const FIELD_MANAGER = 'discovery-fleet';

type Obj = KubernetesObject & Record<string, unknown>;

const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
};

function restrictedPod(uid: number) {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

/**
 * CoreDNS serving cluster.local from the API, as uid 65532 on port 53: the image's binary carries the
 * cap_net_bind_service file capability, so the container keeps NET_BIND_SERVICE (and only it) in its bounding set —
 * without it the kernel refuses to exec the binary.
 */
export function coreDnsObjects(image: string): Obj[] {
  const ns = 'kube-system';
  const labels = { 'k8s-app': 'kube-dns' };
  const corefile = [
    '.:53 {',
    '    errors',
    '    health :8080',
    '    ready :8181',
    `    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {`,
    '        pods insecure',
    '        fallthrough in-addr.arpa ip6.arpa',
    '        ttl 30',
    '    }',
    '    cache 30',
    '    loop',
    '    reload',
    '    loadbalance',
    '}',
    '',
  ].join('\n');
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'discovery-fleet:coredns' },
      rules: [
        { apiGroups: [''], resources: ['services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'discovery-fleet:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'discovery-fleet:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: ns }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: ns }, data: { Corefile: corefile } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'coredns',
            priorityClassName: 'system-cluster-critical',
            nodeSelector: { [FLEET_NODE_LABEL]: 'real' },
            dnsPolicy: 'Default',
            securityContext: restrictedPod(65532),
            containers: [
              {
                name: 'coredns',
                image,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                ],
                readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
                livenessProbe: { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 10 },
                resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '128Mi' } },
                securityContext: {
                  ...RESTRICTED_CONTAINER,
                  capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
                },
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: ns, labels },
      spec: {
        clusterIP: CLUSTER_DNS_IP,
        selector: labels,
        ports: [
          { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
        ],
      },
    },
  ];
}

export interface LocalPathOptions {
  provisionerImage: string;
  /** Image of the helper pods that create and remove volume directories (needs sh, mkdir, rm). */
  helperImage: string;
  /** Directory on the real node holding the volumes. */
  volumesDir: string;
  /** Name of the StorageClass, and whether it is the cluster's default. */
  storageClass: string;
  isDefault: boolean;
}

/**
 * The local-path provisioner: claims of its StorageClass become directories under `volumesDir` on the node the pod
 * is scheduled to, created mode 0777 by a helper pod so any uid can write them (fsGroup does not apply to hostPath).
 */
export function localPathObjects(o: LocalPathOptions): Obj[] {
  const ns = 'local-path-storage';
  const sa = 'local-path-provisioner';
  const labels = { app: 'local-path-provisioner' };
  const config = {
    nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [o.volumesDir] }],
  };
  // The provisioner passes VOL_DIR, VOL_MODE and VOL_SIZE_BYTES to these scripts, run by the helper pod.
  const setup = '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\nchmod 0777 "$VOL_DIR"\n';
  const teardown = '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n';
  const helperPod = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: helper-pod',
    'spec:',
    '  priorityClassName: system-node-critical',
    '  tolerations:',
    '    - key: node.kubernetes.io/disk-pressure',
    '      operator: Exists',
    '      effect: NoSchedule',
    '  containers:',
    '    - name: helper-pod',
    `      image: ${o.helperImage}`,
    '      imagePullPolicy: Never',
    '',
  ].join('\n');
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: sa, namespace: ns },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: sa, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'discovery-fleet:local-path-provisioner' },
      rules: [
        {
          apiGroups: [''],
          resources: ['nodes', 'persistentvolumeclaims', 'configmaps', 'pods', 'pods/log'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: [''],
          resources: ['persistentvolumes'],
          verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'discovery-fleet:local-path-provisioner' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'discovery-fleet:local-path-provisioner',
      },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'local-path-config', namespace: ns },
      data: {
        'config.json': `${JSON.stringify(config, null, 2)}\n`,
        setup,
        teardown,
        'helperPod.yaml': helperPod,
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'local-path-provisioner', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa,
            nodeSelector: { [FLEET_NODE_LABEL]: 'real' },
            securityContext: restrictedPod(65532),
            containers: [
              {
                name: 'provisioner',
                image: o.provisionerImage,
                imagePullPolicy: 'Never',
                command: [
                  'local-path-provisioner',
                  'start',
                  '--config',
                  '/etc/config/config.json',
                  '--provisioner-name',
                  LOCAL_PATH_PROVISIONER,
                  '--service-account-name',
                  sa,
                  '--configmap-name',
                  'local-path-config',
                  '--helper-image',
                  o.helperImage,
                ],
                env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
                resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [{ name: 'config', mountPath: '/etc/config', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'local-path-config' } }],
          },
        },
      },
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: o.storageClass,
        annotations: { 'storageclass.kubernetes.io/is-default-class': o.isDefault ? 'true' : 'false' },
      },
      provisioner: LOCAL_PATH_PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
  ];
}

/** Server-side applies objects in order (field manager discovery-fleet, force). */
export async function applyObjects(kc: KubeConfig, objects: Obj[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects) {
    await api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
}
