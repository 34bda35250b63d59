// Real volumes: a PersistentVolumeClaim binds to a directory on the real node, a non-root pod writes to it, and the
// data is still there for the pod that replaces it (and on the host, where the provisioner put it).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { createNamespace, deleteNamespace, eventually, nodeOf, realTestFleet, toolboxPod } from '../harness/real.js';

const fleet = realTestFleet();
const ns = `real-vol-${process.pid}`;
const cluster = fleet.cluster('edge-2');
// Mixed fleets keep the default class for simulated nodes; the real node's class is local-path (standard in real).
const storageClass = fleet.options.nodes === 'real' ? 'standard' : 'local-path';
const token = `token-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  await createNamespace(cluster, ns);
});

afterAll(async () => {
  await deleteNamespace(cluster, ns);
});

async function runningPod(core: CoreV1Api): Promise<{ name: string; uid: string }> {
  return eventually('a Ready pod of the writer Deployment', async () => {
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=keeper' });
    const p = pods.items.find(
      (x) =>
        !x.metadata?.deletionTimestamp && x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    return p ? { name: p.metadata!.name!, uid: p.metadata!.uid! } : undefined;
  });
}

describe('persistent volumes on a real node', () => {
  test('data written by a non-root pod survives the pod and lives in a directory on the node', async () => {
    const kc = cluster.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: {
        metadata: { name: 'data' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: storageClass,
          resources: { requests: { storage: '64Mi' } },
        },
      },
    });
    // The first pod writes the token if the volume is empty; every pod then prints what the volume holds.
    const script = `[ -f /data/token ] || echo "$TOKEN" > /data/token; echo "holds $(cat /data/token)"; exec sleep 3600`;
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'keeper' },
        spec: {
          replicas: 1,
          strategy: { type: 'Recreate' },
          selector: { matchLabels: { app: 'keeper' } },
          template: {
            metadata: { labels: { app: 'keeper' } },
            spec: toolboxPod(
              script,
              {
                env: [{ name: 'TOKEN', value: token }],
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
                readinessProbe: { exec: { command: ['test', '-f', '/data/token'] }, periodSeconds: 1 },
              },
              { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
            ),
          },
        },
      },
    });
    const first = await runningPod(core);
    expect(await core.readNamespacedPodLog({ name: first.name, namespace: ns })).toContain(`holds ${token}`);

    // Change what a fresh volume would get, then replace the pod: the new one must read the old token.
    await apps.patchNamespacedDeployment({
      name: 'keeper',
      namespace: ns,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: 'not-the-token' }],
    });
    const second = await eventually('the replacement pod', async () => {
      const p = await runningPod(core);
      return p.uid !== first.uid ? p : undefined;
    });
    const log = await eventually('the replacement pod log', async () => {
      const l = await core.readNamespacedPodLog({ name: second.name, namespace: ns });
      return l.includes('holds') ? l : undefined;
    });
    expect(log).toContain(`holds ${token}`);

    // The claim is bound to a volume whose directory is on the real node, under its volumes directory.
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns });
    expect(pvc.status?.phase).toBe('Bound');
    const pv = await core.readPersistentVolume({ name: pvc.spec!.volumeName! });
    const dir = pv.spec?.hostPath?.path ?? pv.spec?.local?.path ?? '';
    expect(dir.startsWith(`${nodeOf(fleet, cluster.name).volumesDir}/`)).toBe(true);
    expect(existsSync(path.join(dir, 'token'))).toBe(true);
    expect(readFileSync(path.join(dir, 'token'), 'utf8').trim()).toBe(token);
  });
});
