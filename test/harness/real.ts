// Helpers for the real-node tests (project "real-nodes"): the mixed test fleet, pods pinned to a cluster's real node
// running the locally built toolbox image, waiting for Jobs and reading their logs, kubectl against one cluster.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BatchV1Api, CoreV1Api, type V1Container, type V1PodSpec } from '@kubernetes/client-node';
import { FLEET_NODE_LABEL } from '../../hack/fleet/addons.js';
import { clusterNode } from '../../hack/fleet/fleet.js';
import { fleetImageRef } from '../../hack/fleet/images.js';
import type { NodeLayout } from '../../hack/fleet/node-config.js';
import { eventually, realFleetOptions, testFleet, type Cluster, type TestFleet } from './fleet.js';
import { KUBECTL } from './operator.js';

const run = promisify(execFile);

export function realTestFleet(): TestFleet {
  return testFleet(realFleetOptions({ log: () => undefined }));
}

export function nodeOf(fleet: TestFleet, cluster: string): NodeLayout {
  return clusterNode(fleet.options, cluster);
}

export const toolboxImage = () => fleetImageRef('toolbox');

/** Pod spec on the cluster's real node, non-root, restricted, running the toolbox image. */
export function toolboxPod(
  command: string,
  extra: Partial<V1Container> = {},
  spec: Partial<V1PodSpec> = {},
): V1PodSpec {
  return {
    nodeSelector: { [FLEET_NODE_LABEL]: 'real' },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: 'main',
        image: toolboxImage(),
        imagePullPolicy: 'Never',
        command: ['sh', '-c', command],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        ...extra,
      },
    ],
    ...spec,
  };
}

export async function kubectlIn(cluster: Cluster, args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout } = await run(KUBECTL, ['--kubeconfig', cluster.kubeconfigPath, ...args], { timeout: timeoutMs });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

export { eventually };

/** Runs a Job on the cluster's real node and returns its pod's log once it succeeded (throws with the log if not). */
export async function runJob(cluster: Cluster, namespace: string, name: string, spec: V1PodSpec): Promise<string> {
  const kc = cluster.kubeConfig();
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  await batch.createNamespacedJob({
    namespace,
    body: {
      metadata: { name },
      spec: {
        backoffLimit: 0,
        template: { metadata: { labels: { job: name } }, spec: { restartPolicy: 'Never', ...spec } },
      },
    },
  });
  const done = await eventually(`Job ${namespace}/${name} on ${cluster.name} to finish`, async () => {
    const j = await batch.readNamespacedJob({ name, namespace });
    const c = j.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
    return c?.type;
  });
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `job=${name}` });
  const pod = pods.items[0]?.metadata?.name;
  const log = pod ? await core.readNamespacedPodLog({ name: pod, namespace }) : '';
  if (done !== 'Complete') throw new Error(`Job ${name} failed on ${cluster.name}; log:\n${log}`);
  return log;
}

export async function createNamespace(cluster: Cluster, name: string): Promise<void> {
  await cluster
    .kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name } } });
}

export async function deleteNamespace(cluster: Cluster, name: string): Promise<void> {
  await cluster
    .kubeConfig()
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name })
    .catch(() => undefined);
}
