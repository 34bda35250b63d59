// Scenario 5: one edge cluster's API server stops mid-rollout → the DistributedCloud is Degraded naming edge-3 while
// every unit that does not need edge-3 still reaches Ready; once the API server is back it returns to Ready.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DistributedCloud, EdgeSite } from '../../../operator/src/api/types.js';
import type { Plan } from '../../../operator/src/planner/index.js';
import { testFleet } from '../../harness/fleet.js';
import {
  conditionOf,
  createDistributedCloud,
  createTestNamespace,
  finishScenario,
  describeDc,
  eventually,
  installCrdsAndSites,
  listEdgeSites,
  planOf,
  smallDistributedCloud,
  startOperator,
  statusOf,
  waitForCondition,
  waitForDc,
  waitForReady,
  type OperatorProcess,
  type TestNamespace,
  unitsOf,
  unitPhaseOf,
} from '../../harness/operator.js';

const fleet = testFleet();
const NAME = 'e2e-unreachable';
const DOWN = 'edge-3';
let ns: TestNamespace;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'unreachable');
  op = await startOperator({ fleet, scenario: 'unreachable', namespaces: [ns.name] });
}, 180_000);

afterAll(async () => {
  await finishScenario(fleet, ns, op);
}, 300_000);

/** Units that need nothing from the stopped site: not applied there and not depending on a unit of it that was not
 * Ready when it stopped (transitively). */
function independentOf(plan: Plan, site: string, readyAtStop: Set<string>): string[] {
  const blocked = new Set<string>();
  for (const u of plan.units) {
    // plan.units is topologically sorted: dependencies come first.
    const targetsDown = u.targetSite === site || u.site === site;
    if ((targetsDown && !readyAtStop.has(u.id)) || u.dependsOn.some((d) => blocked.has(d))) blocked.add(u.id);
  }
  return plan.units.filter((u) => u.targetSite !== site && u.site !== site && !blocked.has(u.id)).map((u) => u.id);
}

const unitPhase = (dc: DistributedCloud, id: string) => unitPhaseOf(dc, id);
const siteCondition = (es: EdgeSite | undefined, type: string) =>
  (es?.status?.conditions ?? []).find((c) => c.type === type);

describe(`operator e2e: ${DOWN} API server down`, () => {
  test(`Degraded naming ${DOWN}, the other sites finish, Ready again once it is back`, async () => {
    await createDistributedCloud(fleet, smallDistributedCloud(NAME, ns.name));
    // Stop edge-3 once the cross-site step (CockroachDB init over every site's server) is done, so the other sites
    // have their whole chain left to finish while edge-3 is down.
    const started = await waitForDc(
      fleet,
      ns.name,
      NAME,
      'database-cluster-init@global Ready',
      (dc) => unitPhase(dc, 'database-cluster-init@global') === 'Ready',
      { timeoutMs: 300_000, operators: [op!] },
    );
    const plan = await planOf(fleet, started);
    try {
      await fleet.stopApiServer(DOWN);
      const atStop = await waitForDc(fleet, ns.name, NAME, 'a status read', () => true, { timeoutMs: 30_000 });
      const readyAtStop = new Set(
        [...(await unitsOf(fleet, atStop))].filter(([, u]) => u.phase === 'Ready').map(([id]) => id),
      );
      // Conservative: what was Ready at the first read after the stop (the operator may not have seen more).
      const expected = independentOf(plan, DOWN, readyAtStop);
      expect(expected.length).toBeGreaterThan(15);

      const degraded = await waitForCondition(fleet, ns.name, NAME, 'Degraded', 'True', {
        timeoutMs: 180_000,
        operators: [op!],
        message: new RegExp(DOWN),
      });
      expect(conditionOf(degraded, 'Ready')?.status).toBe('False');
      expect(conditionOf(degraded, 'Ready')?.message ?? '').toContain(DOWN);
      expect(statusOf(degraded).sites?.find((s) => s.name === DOWN)?.reachable).toBe(false);

      const finished = await waitForDc(
        fleet,
        ns.name,
        NAME,
        `every unit not needing ${DOWN} Ready (${expected.length} units)`,
        (dc) => expected.every((id) => unitPhase(dc, id) === 'Ready'),
        { timeoutMs: 300_000, operators: [op!] },
      );
      // Still degraded and not Ready while edge-3 is down.
      expect(conditionOf(finished, 'Ready')?.status).toBe('False');
      expect(conditionOf(finished, 'Degraded')?.message ?? '').toContain(DOWN);
      for (const s of statusOf(finished).sites ?? [])
        if (s.name !== DOWN) expect(`${s.name} reachable=${s.reachable}`).toBe(`${s.name} reachable=true`);

      let edge3: EdgeSite | undefined;
      await eventually(
        `EdgeSite ${DOWN} Reachable=False`,
        async () => {
          edge3 = (await listEdgeSites(fleet)).find((e) => e.metadata.name === DOWN);
          return siteCondition(edge3, 'Reachable')?.status === 'False';
        },
        { timeoutMs: 120_000, describe: async () => JSON.stringify(edge3?.status ?? {}) },
      );
      expect(siteCondition(edge3, 'Ready')?.status).toBe('False');
    } finally {
      // Always restarted, whatever failed above: later suites need the whole fleet.
      await fleet.startApiServer(DOWN);
    }

    const back = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 300_000, operators: [op!] });
    expect(conditionOf(back, 'Degraded')?.status).toBe('False');
    expect(statusOf(back).readySites).toBe('4/4');
    expect((statusOf(back).units ?? []).map((u) => u.name)).toEqual([]);
    expect([...(await unitsOf(fleet, back)).values()].filter((u) => u.phase !== 'Ready').map((u) => u.name)).toEqual(
      [],
    );
    await eventually(
      `EdgeSite ${DOWN} Reachable=True again`,
      async () =>
        siteCondition(
          (await listEdgeSites(fleet)).find((e) => e.metadata.name === DOWN),
          'Reachable',
        )?.status === 'True',
      { timeoutMs: 120_000, describe: async () => describeDc(back) },
    );
  }, 1_200_000);
});
