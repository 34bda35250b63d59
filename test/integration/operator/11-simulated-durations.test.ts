// Scenario 11: the kwok delay profile. The centralized sample, annotated simulated-durations=0.25, rolls out on the kwok
// fleet with every pod delayed by its unit's measured seconds × 0.25 (render/simulated-durations.ts): the unit
// ledger's start→Ready times must follow the profile — no unit Ready sooner than its scaled duration, any unit whose
// scaled duration is 5 s longer than another's took longer, and the whole rollout no shorter than the scaled
// critical path. Figures (not asserted) and the ledger's Gantt chart go to stderr and .fleet/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DistributedCloud, UnitStatus as LedgerEntry } from '../../../operator/src/api/types.js';
import { formatLedgerReport } from '../../../operator/src/cli/gantt.js';
import { ANNOTATION_SIMULATED_DURATIONS } from '../../../operator/src/render/simulated-durations.js';
import { testFleet } from '../../harness/fleet.js';
import {
  REPO_ROOT,
  createDistributedCloud,
  createTestNamespace,
  finishScenario,
  installCrdsAndSites,
  planOf,
  sampleDistributedCloud,
  startOperator,
  unitsOf,
  waitForReady,
  type OperatorProcess,
  type TestNamespace,
} from '../../harness/operator.js';

const fleet = testFleet();
const NAME = 'e2e-durations';
const FACTOR = 0.25;
/** How much earlier than the pod's Ready a readyAt may be stamped: it is the time its reconcile began. */
const STAMP_SLACK_S = 1;
/** Scaled durations this much apart must come out in the same order, whatever the operator's own latency. */
const ORDER_MARGIN_S = 5;
let ns: TestNamespace;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'durations');
  op = await startOperator({ fleet, scenario: 'durations', namespaces: [ns.name] });
}, 180_000);

afterAll(async () => {
  await finishScenario(fleet, ns, op);
}, 240_000);

describe('operator e2e: the kwok delay profile makes a simulated rollout follow the measured durations', () => {
  let dc: DistributedCloud;
  let rollout: { id: string; kind: string; scaled: number; took: number }[] = [];

  test(`the centralized sample at ${FACTOR}x the measured durations reaches Ready`, async () => {
    const spec = sampleDistributedCloud(NAME, ns.name, 'dc-centralized.yaml');
    spec.metadata.annotations = { [ANNOTATION_SIMULATED_DURATIONS]: String(FACTOR) };
    await createDistributedCloud(fleet, spec);
    dc = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 420_000, operators: [op!] });
    const plan = await planOf(fleet, dc);
    const units = await unitsOf(fleet, dc);
    expect([...units.keys()].sort()).toEqual(plan.units.map((u) => u.id).sort());
    rollout = plan.units
      .filter((u) => u.kind !== 'config') // config units run no pod: nothing to delay
      .map((u) => {
        const e = units.get(u.id)!;
        return {
          id: u.id,
          kind: u.kind,
          scaled: u.expectedSeconds * FACTOR,
          took: (Date.parse(e.readyAt ?? '') - Date.parse(e.startedAt ?? '')) / 1000,
        };
      });
    const entries = [...units.values()] as LedgerEntry[];
    const first = Math.min(...entries.map((e) => Date.parse(e.startedAt!)));
    const last = Math.max(...entries.map((e) => Date.parse(e.readyAt!)));
    const makespan = (last - first) / 1000;
    const overhead = rollout.map((r) => r.took - r.scaled).sort((a, b) => a - b);
    const report = [
      `[durations] ${plan.units.length} units Ready ${makespan.toFixed(1)} s after the first start; scaled critical ` +
        `path ${(plan.criticalPathSeconds * FACTOR).toFixed(1)} s; per-unit latency beyond the profile: min ` +
        `${overhead[0]!.toFixed(2)} s, median ${overhead[Math.floor(overhead.length / 2)]!.toFixed(2)} s, max ` +
        `${overhead[overhead.length - 1]!.toFixed(2)} s`,
      formatLedgerReport(`${ns.name}/${NAME}`, entries),
    ].join('\n');
    process.stderr.write(`${report}\n`);
    const dir = path.join(REPO_ROOT, '.fleet', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'simulated-durations.json'),
      `${JSON.stringify({ factor: FACTOR, makespan, criticalPathSeconds: plan.criticalPathSeconds, units: entries }, null, 2)}\n`,
    );
    expect(makespan).toBeGreaterThanOrEqual(plan.criticalPathSeconds * FACTOR - STAMP_SLACK_S);
  }, 480_000);

  test('no unit was Ready sooner than its scaled duration', () => {
    expect(rollout.length).toBeGreaterThan(20);
    const early = rollout
      .filter((r) => r.took < r.scaled - STAMP_SLACK_S)
      .map((r) => `${r.id} took ${r.took.toFixed(2)} s, profile ${r.scaled.toFixed(2)} s`);
    expect(early).toEqual([]);
  });

  test(`units ${ORDER_MARGIN_S} s apart in the profile are in the same order in the ledger`, () => {
    let pairs = 0;
    const inverted: string[] = [];
    for (const a of rollout)
      for (const b of rollout) {
        if (a.scaled - b.scaled < ORDER_MARGIN_S) continue;
        pairs++;
        if (!(a.took > b.took))
          inverted.push(
            `${a.id} (${a.scaled.toFixed(1)} s) took ${a.took.toFixed(2)} s <= ${b.id} ${b.took.toFixed(2)} s`,
          );
      }
    expect(pairs).toBeGreaterThan(30);
    expect(inverted).toEqual([]);
  });
});
