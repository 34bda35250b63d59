// Scenario 6: the operator SIGKILLed mid-rollout and restarted → the rollout completes; every Job the plan renders
// exists exactly once in its member cluster (same uid as before the kill when it existed then), ran once and
// succeeded; no two Jobs share an input hash; the generated-secrets Secret in mgmt is byte-identical.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import type { EdgeSite } from '../../../operator/src/api/types.js';
import { validateDistributedCloud } from '../../../operator/src/api/validate.js';
import {
  createRenderContext,
  generatedSecretsFromData,
  generatedSecretsName,
  renderPlan,
} from '../../../operator/src/render/index.js';
import { testFleet } from '../../harness/fleet.js';
import {
  INPUT_HASH_ANNOTATION,
  createDistributedCloud,
  createTestNamespace,
  exposedOf,
  finishScenario,
  installCrdsAndSites,
  listEdgeSites,
  listOwnedEverywhere,
  planOf,
  ref,
  sampleDistributedCloud,
  startOperator,
  statusOf,
  waitForDc,
  waitForReady,
  type OperatorProcess,
  type OwnedObject,
  type TestNamespace,
  unitsOf,
} from '../../harness/operator.js';

const fleet = testFleet();
const NAME = 'e2e-restart';
let ns: TestNamespace;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'restart');
  op = await startOperator({ fleet, scenario: 'restart', namespaces: [ns.name] });
}, 180_000);

afterAll(async () => {
  await finishScenario(fleet, ns, op);
}, 240_000);

const siteCluster = (site: string) => (site === 'core' ? 'mgmt' : site);

async function generatedSecretData(namespace: string, dcName: string): Promise<Record<string, string> | undefined> {
  const core = fleet.management.kubeConfig().makeApiClient(CoreV1Api);
  const name = generatedSecretsName({ metadata: { name: dcName, namespace } });
  return (await core.readNamespacedSecret({ name, namespace })).data;
}

describe('operator e2e: killed mid-rollout and restarted', () => {
  test('the rollout completes with no Job run twice and the generated secrets unchanged', async () => {
    const dcRef = { namespace: ns.name, name: NAME };
    await createDistributedCloud(fleet, sampleDistributedCloud(NAME, ns.name));
    // Mid-rollout: some Jobs done, not all units Ready.
    const mid = await waitForDc(
      fleet,
      ns.name,
      NAME,
      'a rollout part-way (>= 25 units Ready, not all Ready)',
      (dc) => {
        const counts = statusOf(dc).unitCounts;
        return counts !== undefined && counts.ready >= 25 && counts.ready < counts.total;
      },
      { timeoutMs: 300_000, operators: [op!], intervalMs: 200 },
    );
    await op!.kill('SIGKILL');
    const midStatus = statusOf(mid);
    const jobsBefore = (await listOwnedEverywhere(fleet, dcRef)).filter((o) => o.kind === 'Job');
    const secretsBefore = await generatedSecretData(ns.name, NAME);
    expect(Object.keys(secretsBefore ?? {}).length).toBeGreaterThan(0);
    expect(jobsBefore.length).toBeGreaterThan(0);
    // It really was mid-rollout when killed, with Jobs done (the unit ledger as the killed operator left it).
    expect(midStatus.unitCounts!.ready).toBeLessThan(midStatus.unitCounts!.total);
    const ledger = [...(await unitsOf(fleet, mid)).values()];
    expect(ledger.some((u) => u.phase === 'Ready' && /db-create/.test(u.name))).toBe(true);

    await op!.start();
    await op!.waitReady();
    const done = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 600_000, operators: [op!] });

    // Generated secrets: identical bytes.
    expect(await generatedSecretData(ns.name, NAME)).toEqual(secretsBefore);

    const ownedAfter = await listOwnedEverywhere(fleet, dcRef);
    const jobsAfter = ownedAfter.filter((o) => o.kind === 'Job');
    // Exactly the Jobs the plan renders (with the stored secrets), in the clusters of the sites they target.
    const v = validateDistributedCloud(structuredClone(done));
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    const sites: EdgeSite[] = await listEdgeSites(fleet);
    const plan = await planOf(fleet, done);
    const files = renderPlan(
      createRenderContext({
        dc: v.value,
        plan,
        sites: new Map(sites.map((s) => [s.metadata.name!, s])),
        secrets: generatedSecretsFromData(secretsBefore),
        // cross-site addresses as the operator read them back (site addresses are in the EdgeSites' status)
        exposed: exposedOf(ownedAfter),
      }),
    );
    const expectedJobs = files
      .filter((f) => f.unit)
      .flatMap((f) =>
        f.objects
          .filter((o) => o.kind === 'Job')
          .map((o) => `Job ${o.metadata.namespace}/${o.metadata.name}@${siteCluster(f.path.split('/')[0]!)}`),
      )
      .sort();
    expect(expectedJobs.length).toBeGreaterThan(20);
    expect(jobsAfter.map(ref).sort()).toEqual(expectedJobs);

    // No two Jobs for the same inputs.
    const byHash = new Map<string, string[]>();
    for (const j of jobsAfter) {
      const h = `${j.cluster}/${j.object.metadata.annotations?.[INPUT_HASH_ANNOTATION] ?? `(no hash) ${j.name}`}`;
      byHash.set(h, [...(byHash.get(h) ?? []), j.name]);
    }
    expect([...byHash.entries()].filter(([, names]) => names.length > 1)).toEqual([]);

    // Jobs that existed before the kill were kept (not deleted and re-created).
    const after = new Map(jobsAfter.map((j) => [ref(j), j.uid]));
    const recreated = jobsBefore
      .filter((j) => after.get(ref(j)) !== j.uid)
      .map((j) => `${ref(j)} uid ${j.uid} -> ${after.get(ref(j))}`);
    expect(recreated).toEqual([]);

    // Each ran once and succeeded.
    const runs = (j: OwnedObject) => {
      const st = (j.object.status ?? {}) as { succeeded?: number; failed?: number };
      return `${ref(j)} succeeded=${st.succeeded ?? 0} failed=${st.failed ?? 0}`;
    };
    expect(jobsAfter.map(runs).filter((r) => !r.endsWith('succeeded=1 failed=0'))).toEqual([]);
    const jobPods = (await listOwnedEverywhere(fleet, dcRef)).filter(
      (o) => o.kind === 'Pod' && o.object.metadata.labels?.['job-name'] !== undefined,
    );
    const podsPerJob = new Map<string, number>();
    for (const p of jobPods) {
      const key = `${p.cluster}/${p.object.metadata.labels!['job-name']}`;
      podsPerJob.set(key, (podsPerJob.get(key) ?? 0) + 1);
    }
    expect([...podsPerJob.entries()].filter(([, n]) => n > 1)).toEqual([]);
  }, 1_200_000);
});
