// Proof that the local fleet is a real Kubernetes: workloads converge through the real controllers (kwok simulating
// kubelets), CRDs are served, and a stopped API server fails loudly while the other clusters keep answering.
import { afterAll, describe, expect, test } from '@jest/globals';
import { ApiextensionsV1Api, AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { siteForCluster, siteTopology } from '../../../hack/fleet/fleet.js';
import { POD_COMPLETE_DELAY_ANNOTATION } from '../../../hack/fleet/stages.js';
import { eventually as pollUntil, testFleet } from '../../harness/fleet.js';

const fleet = testFleet();
const ns = `proof-${process.pid}`;

/** The shared poller with this file's pace: 60 s deadline, 250 ms between attempts. */
const eventually = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> =>
  pollUntil(what, fn, timeoutMs, 250);

describe('local fleet', () => {
  const edge = fleet.edges[0]!;
  const core = edge.kubeConfig().makeApiClient(CoreV1Api);

  afterAll(async () => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  test('every cluster reports the pinned Kubernetes version and Ready kwok nodes with edge labels', async () => {
    for (const c of fleet.all) {
      const nodes = await c.kubeConfig().makeApiClient(CoreV1Api).listNode();
      expect(nodes.items.length).toBeGreaterThanOrEqual(2);
      const compute = nodes.items.filter((n) => n.metadata?.labels?.['openstack-compute-node'] === 'enabled');
      const control = nodes.items.filter((n) => n.metadata?.labels?.['openstack-control-plane'] === 'enabled');
      expect(compute.length).toBeGreaterThan(0);
      expect(control.length).toBeGreaterThan(0);
      // Zones come from the sample EdgeSites so the samples' per-site nodeSelectors (e.g. cells' edge-3) can match.
      const { zone } = siteTopology(siteForCluster(c.name));
      for (const n of nodes.items) {
        expect(n.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
        expect(n.metadata?.labels?.['topology.kubernetes.io/zone']).toBe(zone);
      }
    }
  });

  test('a Deployment in an edge cluster becomes Available through the real controllers', async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const apps = edge.kubeConfig().makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              nodeSelector: { 'openstack-control-plane': 'enabled' },
              containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }],
            },
          },
        },
      },
    });
    const available = await eventually('deployment Available', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      const cond = d.status?.conditions?.find((c) => c.type === 'Available' && c.status === 'True');
      return cond && d.status?.availableReplicas === 2 ? d : undefined;
    });
    expect(available.status?.readyReplicas).toBe(2);
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    for (const p of pods.items) expect(p.spec?.nodeName).toMatch(/-cp-\d+$/);
  });

  test('a StatefulSet with volume claims becomes Ready: the default StorageClass provisions and binds its volumes', async () => {
    const apps = edge.kubeConfig().makeApiClient(AppsV1Api);
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'db' },
        spec: {
          serviceName: 'db',
          replicas: 2,
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'db', image: 'registry.k8s.io/pause:3.10' }] },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      },
    });
    const sts = await eventually('statefulset Ready', async () => {
      const s = await apps.readNamespacedStatefulSet({ name: 'db', namespace: ns });
      return s.status?.readyReplicas === 2 ? s : undefined;
    });
    expect(sts.status?.availableReplicas).toBe(2);
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: ns });
    expect(claims.items.map((c) => [c.metadata?.name, c.status?.phase, c.spec?.storageClassName]).sort()).toEqual([
      ['data-db-0', 'Bound', 'standard'],
      ['data-db-1', 'Bound', 'standard'],
    ]);
  });

  test('a Job completes (its pod is driven to Succeeded by the kwok stage, after the annotated delay)', async () => {
    const batch = edge.kubeConfig().makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'once' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { annotations: { [POD_COMPLETE_DELAY_ANNOTATION]: '1s' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'registry.k8s.io/pause:3.10' }] },
          },
        },
      },
    });
    const job = await eventually('job Complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'once', namespace: ns });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(1);
    const start = Date.parse(String(job.status?.startTime));
    const done = Date.parse(String(job.status?.completionTime));
    expect(done - start).toBeGreaterThanOrEqual(1000);
  });

  test('a CRD applied to the management cluster is served and a custom object round-trips', async () => {
    const kc = fleet.management.kubeConfig();
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const group = 'proof.discovery.test';
    const crdName = `widgets.${group}`;
    await ext.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
    await eventually('old CRD gone', async () =>
      ext.readCustomResourceDefinition({ name: crdName }).then(
        () => undefined,
        () => true,
      ),
    );
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } } },
                },
              },
            },
          ],
        },
      },
    });
    await eventually('CRD Established', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: crdName });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
    const custom = kc.makeApiClient(CustomObjectsApi);
    const body = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'default' },
      spec: { size: 3 },
    };
    await eventually('custom object created', () =>
      custom.createNamespacedCustomObject({ group, version: 'v1', namespace: 'default', plural: 'widgets', body }),
    );
    const got = (await custom.getNamespacedCustomObject({
      group,
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      name: 'w1',
    })) as { spec: { size: number } };
    expect(got.spec).toEqual({ size: 3 });
    await expect(
      custom.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        body: { ...body, metadata: { name: 'w2' }, spec: { size: 0 } },
      }),
    ).rejects.toThrow(/spec\.size/);
    await ext.deleteCustomResourceDefinition({ name: crdName });
  });

  test('with one edge API server stopped, calls to it fail clearly while the others keep answering', async () => {
    const victim = fleet.edges[fleet.edges.length - 1]!;
    const others = fleet.all.filter((c) => c.name !== victim.name);
    await fleet.stopApiServer(victim.name);
    try {
      const err = await victim
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .listNamespace()
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(err).toBeInstanceOf(Error);
      expect(String(err?.message)).toMatch(/ECONNREFUSED|connect|fetch failed/i);
      for (const c of others) {
        const list = await c.kubeConfig().makeApiClient(CoreV1Api).listNamespace();
        expect(list.items.map((n) => n.metadata?.name)).toContain('kube-system');
      }
    } finally {
      await fleet.startApiServer(victim.name);
    }
    const back = await victim.kubeConfig().makeApiClient(CoreV1Api).listNamespace();
    expect(back.items.length).toBeGreaterThan(0);
  });
});
