// Benchmark (a script that prints figures, not a test): planning time and memory for 10, 100 and 1,000 sites of the
// distributed topology, plus one scheduler pass and the simulated makespan of eager vs wave scheduling.
// Run: npm run bench:plan  (node --expose-gc makes the heap figures meaningful)
import type { DistributedCloud, EdgeSite } from '../../operator/src/api/types.js';
import { buildPlan, edgeCount, simulateRollout, unitsToStart } from '../../operator/src/planner/index.js';
import { formatSeconds, table } from '../../operator/src/cli/table.js';

const SIZES = [10, 100, 1000];
const RUNS = 7;

function fleet(n: number): EdgeSite[] {
  return Array.from({ length: n }, (_, i) => {
    const name = i === 0 ? 'core' : `edge-${String(i).padStart(4, '0')}`;
    return {
      apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
      kind: 'EdgeSite',
      metadata: { name, labels: { 'discovery.beyondtheclouds.io/fleet': 'bench' } },
      spec: {
        kubeconfigSecretRef: { namespace: 'discovery-system', name: `kubeconfig-${name}`, key: 'kubeconfig' },
        region: `region-${i % 20}`,
        role: i === 0 ? 'core' : 'edge',
        network: { rttMillis: i === 0 ? 0 : 20 + (i % 200), bandwidthMbps: 1000 },
      },
    } as EdgeSite;
  });
}

const dc: DistributedCloud = {
  apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
  kind: 'DistributedCloud',
  metadata: { name: 'bench', namespace: 'default' },
  spec: {
    release: '2025.1',
    topology: 'distributed',
    siteSelector: { matchLabels: { 'discovery.beyondtheclouds.io/fleet': 'bench' } },
    services: {},
    messageBus: { type: 'rabbitmq' },
    database: { type: 'mariadb' },
  },
} as DistributedCloud;

const gc = (globalThis as { gc?: () => void }).gc;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

const rows: string[][] = [];
for (const n of SIZES) {
  const sites = fleet(n);
  buildPlan(dc, sites); // warm-up (JIT)
  const times: number[] = [];
  let heapDelta = 0;
  let plan = buildPlan(dc, sites);
  for (let r = 0; r < RUNS; r++) {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    plan = buildPlan(dc, sites);
    times.push(performance.now() - t0);
    if (r === 0) heapDelta = process.memoryUsage().heapUsed - before; // the plan is still referenced here
  }
  const s0 = performance.now();
  const first = unitsToStart(plan, new Map(), {});
  const schedMs = performance.now() - s0;
  const eager = simulateRollout(plan).makespanSeconds;
  const waves = simulateRollout(plan, {}, { strategy: 'waves' }).makespanSeconds;
  rows.push([
    String(n),
    String(plan.units.length),
    String(edgeCount(plan)),
    String(plan.levels.length),
    ms(median(times)),
    gc ? mib(heapDelta) : 'n/a (no --expose-gc)',
    `${ms(schedMs)} (${first.length})`,
    formatSeconds(eager),
    formatSeconds(waves),
  ]);
}

console.log(`buildPlan, distributed topology (mariadb and rabbitmq per site); median of ${RUNS} runs\n`);
console.log(
  table(
    ['SITES', 'UNITS', 'EDGES', 'LEVELS', 'PLAN TIME', 'HEAP DELTA', 'FIRST unitsToStart (n)', 'EAGER', 'WAVES'],
    rows,
    '',
  ),
);
console.log('\nEAGER / WAVES: simulated makespan with expected durations and unbounded limits.');
