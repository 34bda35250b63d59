// Scenario 3: a site dropped from a DistributedCloud (spec.sites edited) is torn down — nothing of this DC is left in
// its cluster — while the remaining sites stay Ready and keep their workloads (same uids).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { testFleet } from '../../harness/fleet.js';
import {
  createDistributedCloud,
  createTestNamespace,
  finishScenario,
  eventually,
  installCrdsAndSites,
  listOwnedEverywhere,
  listOwnedObjects,
  patchDistributedCloud,
  ref,
  smallDistributedCloud,
  startOperator,
  statusOf,
  waitForReady,
  type OperatorProcess,
  type TestNamespace,
  unitsOf,
} from '../../harness/operator.js';

const fleet = testFleet();
const NAME = 'e2e-sites';
let ns: TestNamespace;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'sites');
  op = await startOperator({ fleet, scenario: 'sites', namespaces: [ns.name] });
}, 180_000);

afterAll(async () => {
  await finishScenario(fleet, ns, op);
}, 240_000);

describe('operator e2e: a site removed from the DistributedCloud', () => {
  test('edge-3 is torn down, the other sites stay Ready with the same workloads', async () => {
    const dcRef = { namespace: ns.name, name: NAME };
    const dc = smallDistributedCloud(NAME, ns.name);
    delete dc.spec.siteSelector;
    dc.spec.sites = ['core', 'edge-1', 'edge-2', 'edge-3'];
    await createDistributedCloud(fleet, dc);
    const before = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 400_000, operators: [op!] });
    expect(statusOf(before).readySites).toBe('4/4');
    const inEdge3 = await listOwnedObjects(fleet.cluster('edge-3'), dcRef);
    expect(inEdge3.filter((o) => o.kind === 'Deployment').length).toBeGreaterThan(0);
    const workloads = (await listOwnedEverywhere(fleet, dcRef)).filter(
      (o) => o.cluster !== 'edge-3' && (o.kind === 'Deployment' || o.kind === 'StatefulSet'),
    );
    expect(new Set(workloads.map((o) => o.cluster))).toEqual(new Set(['mgmt', 'edge-1', 'edge-2']));

    const patched = await patchDistributedCloud(fleet, ns.name, NAME, {
      spec: { sites: ['core', 'edge-1', 'edge-2'] },
    });
    const after = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 300_000, operators: [op!] });
    expect(after.metadata.generation).toBe(patched.metadata.generation);
    const s = statusOf(after);
    expect(s.readySites).toBe('3/3');
    expect((s.units ?? []).map((u) => u.name)).toEqual([]);
    const units = [...(await unitsOf(fleet, after)).values()];
    expect(units.filter((u) => u.site === 'edge-3').map((u) => u.name)).toEqual([]);
    expect(units.filter((u) => u.phase !== 'Ready').map((u) => u.name)).toEqual([]);

    let left: string[] = [];
    await eventually(
      'no object of this DistributedCloud left in edge-3',
      async () => {
        left = (await listOwnedObjects(fleet.cluster('edge-3'), dcRef)).map(ref);
        return left.length === 0;
      },
      {
        timeoutMs: 180_000,
        describe: async () => `still there: ${left.slice(0, 20).join(', ')}\n${op!.errorLines(15)}`,
      },
    );

    // Remaining sites keep their workloads: same objects, same uids (not deleted and recreated).
    const now = new Map(
      (await listOwnedEverywhere(fleet, dcRef)).filter((o) => o.cluster !== 'edge-3').map((o) => [ref(o), o.uid]),
    );
    const replaced = workloads.filter((o) => now.get(ref(o)) !== o.uid).map(ref);
    expect(replaced).toEqual([]);
  }, 900_000);
});
