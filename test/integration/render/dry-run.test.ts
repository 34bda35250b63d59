// Every object rendered for each sample DistributedCloud is accepted by the real API server of the cluster it targets
// (core -> the management cluster, edge-N -> edge-N) with server-side dry-run (dryRun=All). Namespaces are created
// for real first (dry-run needs them), from the rendered Namespace objects, and deleted afterwards.
import { afterAll, describe, expect, test } from '@jest/globals';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { renderPlan, type K8sObject } from '../../../operator/src/render/index.js';
import { testFleet, type Cluster } from '../../harness/fleet.js';
import { TOPOLOGIES, contextFor, sampleDc } from '../../unit/render/fixtures.js';

const fleet = testFleet();
const created: Array<{ cluster: Cluster; name: string }> = [];

/** EdgeSite name -> cluster of the local fleet (the management cluster hosts the core site). */
function clusterOf(site: string): Cluster {
  return site === 'core' || site === 'management' ? fleet.management : fleet.cluster(site);
}

function errorText(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? {});
  let message = body;
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    /* keep the raw body */
  }
  return `${e.code ?? ''} ${message || e.message || String(err)}`.trim();
}

async function ensureNamespace(cluster: Cluster, ns: K8sObject): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
  try {
    await api.create(ns as KubernetesObject);
    created.push({ cluster, name: ns.metadata.name });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

afterAll(async () => {
  for (const { cluster, name } of created) {
    const api = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
    await api.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch(() => undefined);
  }
});

describe.each(TOPOLOGIES)('%s sample: server-side dry-run on the fleet', (topology) => {
  test('every rendered object is accepted by its target cluster', async () => {
    const namespace = `render-dry-run-${topology}`;
    const ctx = contextFor(sampleDc(topology, namespace));
    const files = renderPlan(ctx);
    const bySite = new Map<string, K8sObject[]>();
    for (const f of files) {
      const site = f.path.split('/')[0]!;
      bySite.set(site, [...(bySite.get(site) ?? []), ...f.objects]);
    }
    const failures: string[] = [];
    let accepted = 0;
    for (const [site, objects] of bySite) {
      const cluster = clusterOf(site);
      const nsObject =
        objects.find((o) => o.kind === 'Namespace') ??
        ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as K8sObject);
      await ensureNamespace(cluster, nsObject);
      const api = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
      for (const obj of objects.filter((o) => o.kind !== 'Namespace')) {
        try {
          const result = await api.create(obj as KubernetesObject, undefined, 'All');
          expect(result.metadata?.name).toBe(obj.metadata.name);
          accepted++;
        } catch (err) {
          failures.push(`${site}: ${obj.kind}/${obj.metadata.name}: ${errorText(err)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(accepted).toBe(files.reduce((n, f) => n + f.objects.filter((o) => o.kind !== 'Namespace').length, 0));
  }, 180_000);
});
