// Benchmark (a script that prints a table, not a test): the cost of one DistributedCloud reconcile's own work — plan,
// render, decide, status and unit-ledger building — for 10/100/400/1000 sites of each topology, the way the
// controller runs it (controllers/distributedcloud.ts: plan and rendering cached across reconciles, the rest sliced
// by a TimeSlicer). Member clusters are simulated: half of the units (in plan order) are Ready with live objects, the
// rest not started, and the unit ledger is the one a first pass wrote.
//
// For each size: a cold pass (nothing cached: a spec or EdgeSite change, or the first reconcile after a start) and a
// warm pass (the usual 2 s requeue of a rolling-out DC), each timed in total and by the longest synchronous slice the
// event loop saw (perf_hooks.monitorEventLoopDelay, 1 ms resolution), plus the heap after, the status and ledger sizes.
// Sizes run in alternating order over several repetitions (min/median/max); the per-unit cost is compared with the
// 10-site one of the same run, so the ratio shows how linear it is.
//
// Run: npm run bench:reconcile [-- --reps N] [--sizes 10,100] [--topologies cells]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { DistributedCloud, EdgeSite, UnitStatus } from '../../operator/src/api/types.js';
import {
  concludeSteps,
  decideSteps,
  privilegedRefusals,
  type ReconcileInput,
  type SiteState,
} from '../../operator/src/controllers/dc-decide.js';
import { PlanRenderCache, renderDesiredSteps, renderInputsKey } from '../../operator/src/controllers/dc-render.js';
import { encodeLedger } from '../../operator/src/controllers/unit-ledger.js';
import type { LiveObject } from '../../operator/src/engine/readiness.js';
import { objectId } from '../../operator/src/engine/state.js';
import { rolloutLimits, type Plan } from '../../operator/src/planner/index.js';
import {
  createRenderContext,
  generateMissingSecrets,
  requiredSecrets,
  type GeneratedSecrets,
  type K8sObject,
} from '../../operator/src/render/index.js';
import { runSliced, TimeSlicer } from '../../operator/src/runtime/slicer.js';
import { table } from '../../operator/src/cli/table.js';
import { BENCH_NAMESPACE, BENCH_TOPOLOGIES, benchDistributedCloud, benchSites, type BenchTopology } from './fleet.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '10,100,400,1000' },
    topologies: { type: 'string', default: BENCH_TOPOLOGIES.join(',') },
  },
});
const REPS = Number(args.reps);
const SIZES = args.sizes.split(',').map(Number);
const TOPOLOGIES = args.topologies.split(',') as BenchTopology[];
const NOW = new Date('2025-06-01T12:00:00.000Z');
const POLICY = { progressRequeueMs: 2000, resyncPeriodMs: 600_000 };
/** The bench DC's namespace as the tenancy model reads it (the controller passes it to every plan). */
const TENANT = { name: BENCH_NAMESPACE, labels: { 'kubernetes.io/metadata.name': BENCH_NAMESPACE } };
const gc = (globalThis as { gc?: () => void }).gc;

/** A deterministic byte stream for the generated credentials. */
function seeded(): (n: number) => Uint8Array {
  let x = 1;
  return (n) => Uint8Array.from({ length: n }, () => (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff);
}

/** A live object as a member cluster holds it once Ready. */
function readyLive(o: K8sObject): LiveObject {
  const live = structuredClone(o) as LiveObject;
  live.metadata = { ...live.metadata, generation: 1 };
  const spec = (o.spec ?? {}) as { replicas?: number };
  const n = spec.replicas ?? 1;
  if (o.kind === 'Deployment')
    live.status = {
      observedGeneration: 1,
      replicas: n,
      updatedReplicas: n,
      availableReplicas: n,
      conditions: [{ type: 'Available', status: 'True' }],
    };
  else if (o.kind === 'StatefulSet')
    live.status = { observedGeneration: 1, replicas: n, readyReplicas: n, updatedReplicas: n };
  else if (o.kind === 'DaemonSet')
    live.status = { observedGeneration: 1, desiredNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1 };
  else if (o.kind === 'Job') live.status = { conditions: [{ type: 'Complete', status: 'True' }] };
  return live;
}

interface Fixture {
  dc: DistributedCloud;
  edgeSites: EdgeSite[];
  secrets: GeneratedSecrets;
  siteStates: Map<string, SiteState>;
  previous: Map<string, UnitStatus>;
  units: number;
}

/** The DC, its sites and credentials, member clusters half rolled out, and the ledger a first pass left. */
async function fixture(topology: BenchTopology, n: number): Promise<Fixture> {
  const dc = benchDistributedCloud(topology);
  const edgeSites = benchSites(n);
  const cache = new PlanRenderCache();
  const planned = cache.plan('bench', dc, edgeSites, TENANT);
  if (!planned.ok) throw new Error(planned.message);
  const secrets = generateMissingSecrets({}, requiredSecrets(planned.plan), seeded());
  const ctx = createRenderContext({
    dc: { ...dc, spec: planned.spec },
    sites: new Map(edgeSites.map((s) => [s.metadata.name!, s])),
    plan: planned.plan,
    secrets,
  });
  const desired = await runSliced(renderDesiredSteps(planned.plan, ctx), new TimeSlicer(Infinity));
  const siteStates = new Map<string, SiteState>();
  for (const site of planned.plan.sites)
    siteStates.set(site, { name: site, reachable: true, live: new Map(), byUnit: new Map() });
  const half = Math.floor(planned.plan.units.length / 2);
  planned.plan.units.slice(0, half).forEach((u) => {
    const d = desired.get(u.id);
    if (!d || !('objects' in d)) return;
    const s = siteStates.get(u.targetSite)!;
    const lives = d.objects.map(readyLive);
    (s.byUnit as Map<string, LiveObject[]>).set(u.id, lives);
    for (const l of lives) (s.live as Map<string, LiveObject>).set(objectId(l), l);
  });
  const first = await pass(dc, edgeSites, secrets, siteStates, new Map(), new PlanRenderCache());
  return {
    dc,
    edgeSites,
    secrets,
    siteStates,
    previous: new Map(first.units.map((u) => [u.name, u])),
    units: planned.plan.units.length,
  };
}

/** One reconcile's own work, as the controller does it (no I/O). */
async function pass(
  dc: DistributedCloud,
  edgeSites: EdgeSite[],
  secrets: GeneratedSecrets,
  sites: Map<string, SiteState>,
  previous: Map<string, UnitStatus>,
  cache: PlanRenderCache,
) {
  const slicer = new TimeSlicer();
  const planned = cache.plan('bench', dc, edgeSites, TENANT);
  await slicer.tick();
  if (!planned.ok) throw new Error(planned.message);
  const plan: Plan = planned.plan;
  const siteMap = new Map(edgeSites.map((s) => [s.metadata.name!, s]));
  const ctx = createRenderContext({ dc: { ...dc, spec: planned.spec }, sites: siteMap, plan, secrets });
  const key = renderInputsKey(ctx.dc, siteMap.values(), secrets, planned.key);
  let desired = cache.rendered('bench', key);
  if (!desired) {
    desired = await runSliced(renderDesiredSteps(plan, ctx), slicer);
    cache.store('bench', key, desired);
  }
  const input: ReconcileInput = {
    dc,
    previous,
    plan,
    desired,
    sites,
    paused: false,
    limits: rolloutLimits(planned.spec),
    unitTimeoutSeconds: 600,
    previousDependencies: () => new Map(),
    now: NOW,
    refused: privilegedRefusals(plan, siteMap, (u) => ctx.registry.privileged(u)),
    notAllowed: planned.notAllowed,
  };
  const decision = await runSliced(decideSteps(input), slicer);
  const results = { repairs: [], starts: [], unreachable: new Map(), problems: [] };
  const outcome = await runSliced(concludeSteps(input, decision, results, POLICY), slicer);
  // the unit ledger's tables, as UnitLedgers.save encodes them (one per site)
  const bySite = new Map<string, UnitStatus[]>();
  for (const u of outcome.units) {
    const list = bySite.get(u.site) ?? [];
    list.push(u);
    bySite.set(u.site, list);
  }
  let ledgerBytes = 0;
  let ledgerMax = 0;
  for (const rows of bySite.values()) {
    const bytes = encodeLedger(rows).length;
    ledgerBytes += bytes;
    ledgerMax = Math.max(ledgerMax, bytes);
    await slicer.tick();
  }
  return { units: outcome.units, status: outcome.status, ledgerBytes, ledgerMax, ledgerMaps: bySite.size };
}

interface Sample {
  ms: number;
  sliceMs: number;
}

/** Runs `fn` timing it and the longest stall of the event loop meanwhile. */
async function measure<T>(fn: () => Promise<T>): Promise<Sample & { value: T }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  await new Promise((r) => setImmediate(r));
  h.disable();
  // the histogram's max is the longest delay of its 1 ms timer: a synchronous slice (+ ~1 ms)
  return { ms, sliceMs: Math.max(0, h.max / 1e6 - 1), value };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
};
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mmm = (xs: number[]) => {
  const { min, median, max } = stats(xs);
  return `${fmt(median)} (${fmt(min)}–${fmt(max)})`;
};
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  console.log(
    `reconcile work per DistributedCloud, ${REPS} repetitions (sizes in alternating order), milliseconds: ` +
      'median (min–max)\n',
  );
  for (const topology of TOPOLOGIES) {
    const fixtures = new Map<number, Fixture>();
    for (const n of SIZES) fixtures.set(n, await fixture(topology, n));
    const cold = new Map<number, Sample[]>(SIZES.map((n) => [n, []]));
    const warm = new Map<number, Sample[]>(SIZES.map((n) => [n, []]));
    const heap = new Map<number, number>();
    const sizes = new Map<number, { status: number; ledger: number; ledgerMax: number; maps: number }>();
    for (let r = 0; r < REPS; r++) {
      const order = r % 2 === 0 ? SIZES : [...SIZES].reverse();
      for (const n of order) {
        const f = fixtures.get(n)!;
        const cache = new PlanRenderCache();
        gc?.();
        const c = await measure(() => pass(f.dc, f.edgeSites, f.secrets, f.siteStates, f.previous, cache));
        cold.get(n)!.push(c);
        const w = await measure(() => pass(f.dc, f.edgeSites, f.secrets, f.siteStates, f.previous, cache));
        warm.get(n)!.push(w);
        heap.set(n, process.memoryUsage().heapUsed);
        sizes.set(n, {
          status: JSON.stringify(w.value.status).length,
          ledger: w.value.ledgerBytes,
          ledgerMax: w.value.ledgerMax,
          maps: w.value.ledgerMaps,
        });
      }
    }
    const perUnit = (n: number, which: Map<number, Sample[]>) =>
      stats(which.get(n)!.map((s) => s.ms)).median / fixtures.get(n)!.units;
    const base = SIZES[0]!;
    const rows = SIZES.map((n) => {
      const sz = sizes.get(n)!;
      return [
        String(n),
        String(fixtures.get(n)!.units),
        mmm(cold.get(n)!.map((s) => s.ms)),
        `${(perUnit(n, cold) / perUnit(base, cold)).toFixed(2)}x`,
        mmm(warm.get(n)!.map((s) => s.ms)),
        `${(perUnit(n, warm) / perUnit(base, warm)).toFixed(2)}x`,
        `${fmt(stats(cold.get(n)!.map((s) => s.sliceMs)).max)} / ${fmt(stats(warm.get(n)!.map((s) => s.sliceMs)).max)}`,
        `${(heap.get(n)! / 1024 / 1024).toFixed(0)} MiB`,
        kib(sz.status),
        `${sz.maps} × ≤ ${kib(sz.ledgerMax)}`,
      ];
    });
    console.log(`${topology} (${benchDistributedCloud(topology).spec.database.type}, rabbitmq)`);
    console.log(
      table(
        [
          'SITES',
          'UNITS',
          'COLD ms',
          `PER UNIT vs ${base}`,
          'WARM ms',
          `PER UNIT vs ${base}`,
          'LONGEST SLICE ms cold / warm',
          'HEAP',
          'STATUS',
          'LEDGER ConfigMaps',
        ],
        rows,
        '',
      ),
    );
    console.log('');
  }
  console.log(
    'COLD: nothing cached (first reconcile, or the spec or an EdgeSite changed): plan, render every unit, decide, ' +
      'status and ledger.\nWARM: the plan and rendering reused (the usual requeue while rolling out): decide, ' +
      'status and ledger.\nLONGEST SLICE: the longest the event loop was held (max over the repetitions), in the ' +
      'cold and in the warm passes;\n  on a loaded machine, descheduling and garbage collection count too.',
  );
}

await main();
