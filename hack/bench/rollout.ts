// Benchmark (a script that prints figures, not a test): how long a rollout takes under four strategies, simulated with
// the catalog's durations — the start→Ready seconds measured in a real rollout (operator/src/catalog/measured.ts),
// estimates for the steps never measured — on the samples (crds/samples) and on larger synthetic fleets.
//
//   eager          what the operator does: each unit as soon as its own dependencies are Ready, within the cloud's
//                  spec.rollout limits (simulateRollout, the scheduler's own unitsToStart)
//   waves          topological levels: a level starts when the previous one is all Ready (Argo CD sync waves),
//                  within the same limits
//   sequential     one unit at a time (an apply-and-wait script): the sum of the durations
//   critical path  the lower bound: the longest dependency chain (unbounded parallelism)
//
// Each strategy is compared with the critical path of the same plan (×CP = makespan / critical path); the measured
// cloud is also compared with the Ready time measured for it, and the estimates the measurements replaced with the
// measurements. Ends with an ASCII Gantt chart of the eager rollout of the centralized sample (the same chart
// `discovery gantt` draws from a live cloud's unit ledger).
//
// Run: npm run bench:rollout [-- --sizes 50,200] [--width 60]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DistributedCloud, EdgeSite } from '../../operator/src/api/types.js';
import { MEASURED } from '../../operator/src/catalog/index.js';
import { formatGantt } from '../../operator/src/cli/gantt.js';
import { loadInputs } from '../../operator/src/cli/input.js';
import { processIO } from '../../operator/src/cli/io.js';
import { formatSeconds, table } from '../../operator/src/cli/table.js';
import {
  buildPlan,
  rolloutLimits,
  simulateRollout,
  type Plan,
  type RolloutLimits,
} from '../../operator/src/planner/index.js';
import { createRegistry } from '../../operator/src/services/module.js';
import { REGISTRY } from '../../operator/src/services/registry.js';
import { BENCH_TOPOLOGIES, benchDistributedCloud, benchSites } from './fleet.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '50,200' },
    width: { type: 'string', default: '60' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const WIDTH = Number(args.width);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The catalog as the service modules estimate it, before the measurements replaced the figures. */
const ESTIMATES = createRegistry(REGISTRY.modules).catalog;

interface Case {
  name: string;
  dc: DistributedCloud;
  sites: EdgeSite[];
}

const input = await loadInputs(
  ['sites.yaml', 'dc-centralized.yaml', 'dc-cells.yaml', 'dc-distributed.yaml'].map((f) =>
    path.join(REPO, 'crds/samples', f),
  ),
  processIO(),
);
const sample = (topology: string) => input.clouds.find((c) => c.spec.topology === topology)!;
/** The units test/openstack/centralized.test.ts rolled out for real: the centralized sample on the core site alone. */
const measuredCloud = structuredClone(sample('centralized'));
measuredCloud.spec.sites = ['core'];
delete measuredCloud.spec.rollout;

const cases: Case[] = [
  { name: 'measured cloud (core only)', dc: measuredCloud, sites: input.sites },
  ...['centralized', 'cells', 'distributed'].map((t) => ({ name: `${t} sample`, dc: sample(t), sites: input.sites })),
];
for (const n of SIZES)
  for (const topology of BENCH_TOPOLOGIES) {
    const dc = benchDistributedCloud(topology);
    cases.push({ name: `${topology} ${n} sites`, dc, sites: benchSites(n) });
    const limited = structuredClone(dc);
    limited.spec.rollout = { maxParallelSites: 10 };
    cases.push({ name: `${topology} ${n} sites`, dc: limited, sites: benchSites(n) });
  }

const bound = (l: RolloutLimits) =>
  [l.maxParallelUnits ? `units ${l.maxParallelUnits}` : '', l.maxParallelSites ? `sites ${l.maxParallelSites}` : '']
    .filter(Boolean)
    .join(', ') || 'unbounded';
const x = (t: number, cp: number) => `${formatSeconds(t)} (${(t / cp).toFixed(2)}x)`;

const rows: string[][] = [];
const estimateRows: string[][] = [];
let gantt: { plan: Plan; result: ReturnType<typeof simulateRollout> } | undefined;
for (const c of cases) {
  const plan = buildPlan(c.dc, c.sites);
  const limits = rolloutLimits(c.dc.spec);
  const cp = plan.criticalPathSeconds;
  const eager = simulateRollout(plan, limits);
  const waves = simulateRollout(plan, limits, { strategy: 'waves' }).makespanSeconds;
  const sequential = simulateRollout(plan, { maxParallelUnits: 1 }).makespanSeconds;
  if (!eager.completed) throw new Error(`${c.name}: the eager rollout did not complete`);
  if (c.name === 'centralized sample') gantt = { plan, result: eager };
  rows.push([
    c.name,
    String(plan.units.length),
    bound(limits),
    formatSeconds(cp),
    x(eager.makespanSeconds, cp),
    x(waves, cp),
    x(sequential, cp),
    `${Math.round((100 * (waves - eager.makespanSeconds)) / waves)}%`,
    `${eager.peakUnits} / ${eager.peakSites}`,
  ]);
  if (cases.indexOf(c) < 4) {
    const before = buildPlan(c.dc, c.sites, { catalog: ESTIMATES });
    estimateRows.push([
      c.name,
      formatSeconds(before.criticalPathSeconds),
      formatSeconds(simulateRollout(before, limits).makespanSeconds),
      formatSeconds(cp),
      formatSeconds(eager.makespanSeconds),
      c.dc === measuredCloud ? `${formatSeconds(MEASURED.readySeconds)} (${MEASURED.readySeconds} s)` : '-',
    ]);
  }
}

console.log(
  `Simulated rollouts with the catalog's durations: measured ${MEASURED.date} (${MEASURED.steps.length} steps, ` +
    `${MEASURED.where.split(' (')[0]}), estimates for the steps never measured\n`,
);
console.log(
  table(
    [
      'CLOUD',
      'UNITS',
      'LIMITS',
      'CRITICAL PATH',
      'EAGER (xCP)',
      'WAVES (xCP)',
      'SEQUENTIAL (xCP)',
      'EAGER SAVES',
      'PEAK UNITS / SITES',
    ],
    rows,
    '',
  ),
);
console.log(
  '\nCRITICAL PATH: the lower bound (unbounded parallelism). EAGER: each unit as soon as its dependencies are Ready,' +
    ' within LIMITS.\nWAVES: a dependency level starts when the previous one is all Ready, within LIMITS. ' +
    'SEQUENTIAL: one unit at a time.\nEAGER SAVES: of the waves makespan. PEAK: most units applying and sites with a ' +
    'unit applying at once (eager).\nThe synthetic fleets are hack/bench/fleet.ts (distributed: galera, an estimate).',
);

console.log("\nEstimates before the measurements vs measured durations (eager within the cloud's limits)\n");
console.log(
  table(
    ['CLOUD', 'CP (ESTIMATES)', 'EAGER (ESTIMATES)', 'CP (MEASURED)', 'EAGER (MEASURED)', 'REAL READY'],
    estimateRows,
    '',
  ),
);

const estimated = new Set<string>();
for (const c of cases.slice(0, 4))
  for (const u of buildPlan(c.dc, c.sites).units)
    if (!MEASURED.steps.some((m) => m.component === u.component && m.step === u.step))
      estimated.add(`${u.component}/${u.step} ${formatSeconds(u.expectedSeconds)}`);
console.log(`\nSteps of the samples that were never measured (estimates): ${[...estimated].sort().join(', ')}`);

if (gantt) {
  const { plan, result } = gantt;
  const bars = plan.units.map((u) => ({
    id: u.id,
    start: result.startTimes.get(u.id)!,
    end: result.endTimes.get(u.id)!,
  }));
  console.log(
    `\nEager rollout of the centralized sample, simulated (${plan.units.length} units, ` +
      `${bound(rolloutLimits(sample('centralized').spec))}; makespan ${formatSeconds(result.makespanSeconds)})\n`,
  );
  console.log(formatGantt(bars, { width: WIDTH }));
}
