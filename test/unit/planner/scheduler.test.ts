// The scheduler core (unitsToStart) and the rollout simulator: examples on the samples, then properties over
// random DAGs and limits (fast-check).
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  buildPlan,
  planFromUnits,
  rolloutLimits,
  simulateRollout,
  unitsToStart,
  type Plan,
  type RolloutLimits,
  type Unit,
  type UnitState,
} from '../../../operator/src/planner/index.js';
import { cloud, loadCloud, loadSites, syntheticSites } from './samples.js';

describe('unitsToStart on the samples', () => {
  const plan = buildPlan(loadCloud('cells'), loadSites());

  test('unbounded: every unit without dependencies starts at once, longest remaining path first', () => {
    const start = unitsToStart(plan, new Map(), {});
    expect([...start].sort()).toEqual([...plan.levels[0]!].sort());
    expect(start[0]).toBe(plan.criticalPath[0]);
  });

  test('maxParallelUnits counts applying units; maxParallelSites counts distinct target sites', () => {
    expect(unitsToStart(plan, new Map(), { maxParallelUnits: 2 })).toHaveLength(2);
    const states = new Map<string, UnitState>([['database-server@core', 'applying']]);
    expect(unitsToStart(plan, states, { maxParallelUnits: 1 })).toEqual([]);
    const bySites = unitsToStart(plan, states, { maxParallelSites: 2 });
    expect(new Set(bySites.map((id) => plan.byId.get(id)!.targetSite).concat('core')).size).toBe(2);
    expect(bySites).toContain('message-bus-server@core');
  });

  test('a unit starts only when all its dependencies are ready', () => {
    const ready = new Map<string, UnitState>(plan.levels[0]!.map((id) => [id, 'ready']));
    const start = unitsToStart(plan, ready, {});
    expect(start).toContain('nova-db-create@edge-1');
    ready.set('database-server@edge-1', 'applying');
    expect(unitsToStart(plan, ready, {})).not.toContain('nova-db-create@edge-1');
  });

  test('stopOnFailure (default) starts nothing after a failure; false keeps going', () => {
    const states = new Map<string, UnitState>([['memcached-server@core', 'failed']]);
    expect(unitsToStart(plan, states, {})).toEqual([]);
    expect(unitsToStart(plan, states, { stopOnFailure: false }).length).toBeGreaterThan(0);
  });

  test('paused sites: their units are never started, the rest proceeds', () => {
    const sites = syntheticSites(3);
    sites[1]!.spec.paused = true;
    const p = buildPlan(cloud({}), sites);
    const sim = simulateRollout(p);
    expect(sim.startTimes.has('nova-compute@edge-2')).toBe(false); // waits on the global cluster-init
    expect(sim.startTimes.has('database-server@edge-2')).toBe(true);
    expect([...sim.startTimes.keys()].some((id) => id.endsWith('@edge-1'))).toBe(false);
    expect(sim.completed).toBe(false);
  });

  test('rolloutLimits defaults: unbounded and stopOnFailure', () => {
    expect(rolloutLimits({})).toEqual({ maxParallelUnits: 0, maxParallelSites: 0, stopOnFailure: true });
  });

  test('eager beats waves on every sample (the Madeus point)', () => {
    for (const t of ['centralized', 'cells', 'distributed'] as const) {
      const p = buildPlan(loadCloud(t), loadSites());
      const eager = simulateRollout(p).makespanSeconds;
      const waves = simulateRollout(p, {}, { strategy: 'waves' }).makespanSeconds;
      expect(eager).toBe(p.criticalPathSeconds);
      expect(waves).toBeGreaterThan(eager);
    }
  });
});

// ---- properties over random DAGs --------------------------------------------------------------------------------

interface RandomDag {
  plan: Plan;
  limits: Required<RolloutLimits>;
  failures: Set<string>;
}

const randomDag: fc.Arbitrary<RandomDag> = fc
  .integer({ min: 1, max: 25 })
  .chain((n) =>
    fc.record({
      durations: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: n, maxLength: n }),
      sites: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }),
      deps: fc.array(fc.uniqueArray(fc.nat(), { maxLength: 4 }), { minLength: n, maxLength: n }),
      order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      maxParallelUnits: fc.integer({ min: 0, max: 4 }),
      maxParallelSites: fc.integer({ min: 0, max: 3 }),
      stopOnFailure: fc.boolean(),
      failures: fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: 2 }),
    }),
  )
  .map((r) => {
    const units: Unit[] = r.durations.map((d, i) => ({
      id: `u${i}@s${r.sites[i]}`,
      component: `c${i}`,
      step: 'step',
      site: `s${r.sites[i]}`,
      targetSite: `s${r.sites[i]}`,
      kind: 'job',
      // edges only towards lower indices: acyclic by construction
      dependsOn: i === 0 ? [] : [...new Set(r.deps[i]!.map((x) => x % i))].map((j) => `u${j}@s${r.sites[j]}`),
      expectedSeconds: d,
    }));
    return {
      plan: planFromUnits(r.order.map((i) => units[i]!)),
      limits: {
        maxParallelUnits: r.maxParallelUnits,
        maxParallelSites: r.maxParallelSites,
        stopOnFailure: r.stopOnFailure,
      },
      failures: new Set(r.failures.map((i) => units[i]!.id)),
    };
  });

/** Drives unitsToStart like a controller would, completing one applying unit at a time in a random order. */
function drive(dag: RandomDag, picks: number[]): { states: Map<string, UnitState>; violations: string[] } {
  const { plan, limits, failures } = dag;
  const states = new Map<string, UnitState>();
  const violations: string[] = [];
  for (let step = 0; step < 10 * plan.units.length + 10; step++) {
    const start = unitsToStart(plan, states, limits);
    const all = [...states];
    const applying = all.filter(([, s]) => s === 'applying').map(([id]) => id);
    const anyFailed = all.some(([, s]) => s === 'failed');
    for (const id of start) {
      const u = plan.byId.get(id)!;
      if ((states.get(id) ?? 'pending') !== 'pending') violations.push(`${id} started twice`);
      for (const d of u.dependsOn) if (states.get(d) !== 'ready') violations.push(`${id} started before ${d} ready`);
    }
    if (limits.stopOnFailure && anyFailed && start.length > 0) violations.push('started after a failure');
    const nowApplying = [...applying, ...start];
    if (limits.maxParallelUnits > 0 && nowApplying.length > limits.maxParallelUnits && start.length > 0)
      violations.push(`${nowApplying.length} applying > ${limits.maxParallelUnits}`);
    const sites = new Set(nowApplying.map((id) => plan.byId.get(id)!.targetSite));
    if (limits.maxParallelSites > 0 && sites.size > limits.maxParallelSites && start.length > 0)
      violations.push(`${sites.size} sites > ${limits.maxParallelSites}`);
    // never stalls: nothing applying, something startable (deps ready, no stopping failure) => something starts
    const startable = plan.units.some((u) => !states.has(u.id) && u.dependsOn.every((d) => states.get(d) === 'ready'));
    if (applying.length === 0 && startable && !(limits.stopOnFailure && anyFailed) && start.length === 0)
      violations.push('stalled');
    for (const id of start) states.set(id, 'applying');
    if (nowApplying.length === 0) break;
    const done = nowApplying[picks[step % picks.length]! % nowApplying.length]!;
    states.set(done, failures.has(done) ? 'failed' : 'ready');
  }
  return { states, violations };
}

describe('scheduler properties (random DAGs and limits)', () => {
  test('no unit starts before its dependencies are ready, limits hold, stopOnFailure holds, never stalls', () => {
    fc.assert(
      fc.property(randomDag, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (dag, picks) => {
        const { states, violations } = drive(dag, picks);
        expect(violations).toEqual([]);
        // outcome: without failures everything is ready; with stopOnFailure=false, everything not downstream of
        // a failure is ready
        const blocked = new Set<string>();
        for (const u of dag.plan.units)
          if (states.get(u.id) === 'failed' || u.dependsOn.some((d) => blocked.has(d))) blocked.add(u.id);
        const anyFailed = [...states.values()].includes('failed');
        for (const u of dag.plan.units) {
          if (!anyFailed || (!dag.limits.stopOnFailure && !blocked.has(u.id)))
            expect([u.id, states.get(u.id)]).toEqual([u.id, 'ready']);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('the simulator honours dependencies and limits at every start', () => {
    fc.assert(
      fc.property(randomDag, (dag) => {
        const sim = simulateRollout(dag.plan, dag.limits, { failures: dag.failures });
        for (const [id, t] of sim.startTimes)
          for (const d of dag.plan.byId.get(id)!.dependsOn) {
            expect(sim.states.get(d)).toBe('ready');
            expect(sim.endTimes.get(d)!).toBeLessThanOrEqual(t);
          }
        if (dag.limits.maxParallelUnits > 0) expect(sim.peakUnits).toBeLessThanOrEqual(dag.limits.maxParallelUnits);
        if (dag.limits.maxParallelSites > 0) expect(sim.peakSites).toBeLessThanOrEqual(dag.limits.maxParallelSites);
        expect(sim.stalled).toBe(false);
        if (dag.failures.size === 0) expect(sim.completed).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('with unbounded limits the simulated makespan equals the critical path, and waves are never faster', () => {
    fc.assert(
      fc.property(randomDag, (dag) => {
        const eager = simulateRollout(dag.plan, {});
        expect(eager.completed).toBe(true);
        expect(eager.makespanSeconds).toBe(dag.plan.criticalPathSeconds);
        // every unit starts exactly when its last dependency ends
        for (const u of dag.plan.units)
          expect(eager.startTimes.get(u.id)).toBe(Math.max(0, ...u.dependsOn.map((d) => eager.endTimes.get(d)!)));
        // the critical path is a dependency chain whose durations add up to its length
        const path = dag.plan.criticalPath;
        for (let i = 1; i < path.length; i++) expect(dag.plan.byId.get(path[i]!)!.dependsOn).toContain(path[i - 1]);
        expect(path.reduce((s, id) => s + dag.plan.byId.get(id)!.expectedSeconds, 0)).toBe(
          dag.plan.criticalPathSeconds,
        );
        expect(simulateRollout(dag.plan, {}, { strategy: 'waves' }).makespanSeconds).toBeGreaterThanOrEqual(
          eager.makespanSeconds,
        );
      }),
      { numRuns: 300 },
    );
  });
});
