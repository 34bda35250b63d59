// `discovery gantt`: an ASCII Gantt chart of a DistributedCloud's rollout, read from its unit ledger (the ConfigMaps
// `<dc>-units-<site>`, as `kubectl get configmaps -o json` prints them, or a file the OpenStack test saved), and the
// start→Ready seconds per step. The chart itself (formatGantt) is pure and also draws simulated rollouts
// (hack/bench/rollout.ts).
import * as yaml from 'js-yaml';
import { GROUP, type UnitStatus } from '../api/types.js';
import { LABEL_LEDGER_SITE, LABEL_UNIT_LEDGER, LEDGER_KEY, decodeLedger } from '../controllers/unit-ledger.js';
import { parseCommandArgs, strings, type CliCommand } from './command.js';
import { InputError, UsageError } from './io.js';
import { formatSeconds, table } from './table.js';

const HELP = `Usage: discovery gantt -f FILE [-f FILE ...] [--name [NAMESPACE/]NAME] [--width N] [--steps]

Draw the rollout of a DistributedCloud as an ASCII Gantt chart from its unit ledger: one row per unit, from the
time its objects were first applied (startedAt) to the time it was first seen Ready (readyAt). Read the ledger of a
live cloud with kubectl:

  kubectl get configmaps -n NAMESPACE -l ${LABEL_UNIT_LEDGER}=NAME -o json | discovery gantt -f -

FILE may also be a saved copy of that output, or a JSON file with a "units" list of unit entries (what
npm run test:openstack writes to .fleet-openstack/results/centralized.json). No cluster is contacted.

Options:
  -f, --filename FILE   kubectl JSON/YAML of the ledger ConfigMaps, or {"units": [...]} (repeatable; - reads stdin)
  -n, --name NAME       only the ledger of the DistributedCloud NAME or NAMESPACE/NAME (needed when FILE has several)
      --width N         columns of the chart (default 60)
      --steps           also print the start→Ready seconds per step (count, min, median, max)
  -h, --help            show this help

Exit status: 0 chart printed, 1 unreadable input or no ledger, 2 bad command line.`;

/** One bar of the chart: seconds from the chart's origin; no end = not Ready (drawn to the chart's end). */
export interface GanttBar {
  id: string;
  start: number;
  end?: number;
  /** Shown after the bar (e.g. the phase of a unit that is not Ready). */
  note?: string;
}

export interface GanttOptions {
  /** Columns of the bar area (default 60). */
  width?: number;
  /** Where the time axis ends (default: the latest start or end). */
  until?: number;
}

/**
 * The chart: a header with a time axis, then one row per bar (sorted by start, then end, then id) with its start,
 * end and duration and a bar of `#` over the axis (`>` closing a bar that has no end yet). Pure, deterministic.
 */
export function formatGantt(bars: readonly GanttBar[], options: GanttOptions = {}): string {
  const width = Math.max(10, Math.floor(options.width ?? 60));
  const sorted = [...bars].sort(
    (a, b) =>
      a.start - b.start || (a.end ?? Infinity) - (b.end ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  let until = options.until ?? 0;
  for (const b of sorted) until = Math.max(until, b.start, b.end ?? 0);
  const scale = until > 0 ? width / until : 0;
  const col = (t: number) => Math.min(width, Math.max(0, Math.round(t * scale)));
  const rows = sorted.map((b) => {
    const from = Math.min(col(b.start), width - 1);
    const to = b.end === undefined ? width : Math.max(from + 1, col(b.end));
    const body = '#'.repeat(Math.max(0, to - from - (b.end === undefined ? 1 : 0))) + (b.end === undefined ? '>' : '');
    const bar = `|${' '.repeat(from)}${body}${' '.repeat(width - from - body.length)}|`;
    return [
      b.id,
      formatSeconds(b.start),
      b.end === undefined ? '-' : formatSeconds(b.end),
      b.end === undefined ? '-' : formatDuration(b.end - b.start),
      b.note ? `${bar} ${b.note}` : bar,
    ];
  });
  return table(['UNIT', 'START', 'READY', 'TOOK', axis(width, until)], rows);
}

/**
 * The axis over the bar area: a tick `|` just before the first column of 0, ¼, ½ and ¾ of the time, with its label,
 * and the end label against the right border; a label that would overlap the previous one is left out.
 */
function axis(width: number, until: number): string {
  const line = Array.from({ length: width + 2 }, () => ' ');
  let free = 0; // first index a label may use
  const put = (at: number, label: string) => {
    if (at < free) return;
    for (let i = 0; i < label.length; i++) line[at + i] = label[i]!;
    free = at + label.length + 1;
  };
  for (const k of [0, 1, 2, 3]) put(Math.round((width * k) / 4), `|${formatSeconds((until * k) / 4)}`);
  const end = `${formatSeconds(until)}|`;
  put(width + 2 - end.length, end);
  return line.join('').trimEnd();
}

/** 11.4 -> "11.4s", 75 -> "1m15s". */
export function formatDuration(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)}s` : formatSeconds(seconds);
}

/** The bars of a ledger: times relative to the earliest startedAt; units never started are left out. */
export function ledgerBars(units: readonly UnitStatus[]): { bars: GanttBar[]; origin?: string; until: number } {
  const started = units.filter((u) => u.startedAt && !Number.isNaN(Date.parse(u.startedAt)));
  if (started.length === 0) return { bars: [], until: 0 };
  const t0 = Math.min(...started.map((u) => Date.parse(u.startedAt!)));
  const rel = (iso: string | undefined) =>
    iso === undefined || Number.isNaN(Date.parse(iso)) ? undefined : (Date.parse(iso) - t0) / 1000;
  let until = 0;
  for (const u of units)
    for (const t of [u.startedAt, u.readyAt, u.lastTransitionTime]) until = Math.max(until, rel(t) ?? 0);
  const bars = started.map((u): GanttBar => {
    const end = u.phase === 'Ready' || u.readyAt ? rel(u.readyAt) : undefined;
    return {
      id: u.name,
      start: rel(u.startedAt)!,
      ...(end !== undefined ? { end } : {}),
      ...(u.phase !== 'Ready' ? { note: u.phase } : {}),
    };
  });
  return { bars, origin: new Date(t0).toISOString(), until };
}

export interface StepDurations {
  component: string;
  step: string;
  seconds: number[];
}

/** start→Ready seconds of the Ready units, per component step (in first-start order). */
export function stepDurations(units: readonly UnitStatus[]): StepDurations[] {
  const out = new Map<string, StepDurations>();
  const ready = units
    .filter((u) => u.startedAt && u.readyAt)
    .sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
  for (const u of ready) {
    const s = (Date.parse(u.readyAt!) - Date.parse(u.startedAt!)) / 1000;
    if (Number.isNaN(s)) continue;
    const key = `${u.component}/${u.step}`;
    const entry = out.get(key) ?? { component: u.component, step: u.step, seconds: [] };
    entry.seconds.push(s);
    out.set(key, entry);
  }
  return [...out.values()];
}

/** The ledgers in a parsed kubectl output or results file, by `namespace/name` of their DistributedCloud. */
export function ledgersOf(doc: unknown, source: string): Map<string, UnitStatus[]> {
  const out = new Map<string, UnitStatus[]>();
  const add = (key: string, units: UnitStatus[]) => out.set(key, [...(out.get(key) ?? []), ...units]);
  const visit = (obj: unknown) => {
    if (Array.isArray(obj)) {
      add(source, obj.filter(isUnitEntry));
      return;
    }
    if (!isObject(obj)) return;
    if (Array.isArray(obj.items)) {
      obj.items.forEach(visit);
      return;
    }
    if (Array.isArray(obj.units)) {
      add(source, obj.units.filter(isUnitEntry));
      return;
    }
    const meta = isObject(obj.metadata) ? obj.metadata : {};
    const labels = (isObject(meta.labels) ? meta.labels : {}) as Record<string, unknown>;
    const annotations = (isObject(meta.annotations) ? meta.annotations : {}) as Record<string, unknown>;
    const dc = labels[LABEL_UNIT_LEDGER];
    const data = isObject(obj.data) ? obj.data : {};
    if (obj.kind !== 'ConfigMap' || typeof dc !== 'string' || typeof data[LEDGER_KEY] !== 'string') return;
    const site = annotations[`${GROUP}/site`] ?? labels[LABEL_LEDGER_SITE] ?? '';
    const ns = typeof meta.namespace === 'string' ? `${meta.namespace}/` : '';
    add(`${ns}${dc}`, decodeLedger(String(site), data[LEDGER_KEY]));
  };
  visit(doc);
  for (const [key, units] of out) if (units.length === 0) out.delete(key);
  return out;
}

function isUnitEntry(u: unknown): u is UnitStatus {
  return isObject(u) && typeof u.name === 'string' && typeof u.component === 'string' && typeof u.step === 'string';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The Gantt report of one ledger (chart, then the per-step table when asked). */
export function formatLedgerReport(
  name: string,
  units: readonly UnitStatus[],
  options: { width?: number; steps?: boolean } = {},
): string {
  const { bars, origin, until } = ledgerBars(units);
  const ready = units.filter((u) => u.phase === 'Ready').length;
  const lastReady = Math.max(0, ...bars.map((b) => b.end ?? 0));
  const out = [
    `Rollout of ${name}: ${units.length} units, ${ready} Ready, ${units.length - bars.length} not started; ` +
      (origin ? `first start ${origin}, last Ready ${formatSeconds(lastReady)} later` : 'nothing started'),
  ];
  if (bars.length > 0) out.push('', formatGantt(bars, { width: options.width, until }));
  if (options.steps) {
    const rows = stepDurations(units).map((s) => {
      const sorted = [...s.seconds].sort((a, b) => a - b);
      return [
        `${s.component}/${s.step}`,
        String(sorted.length),
        sorted[0]!.toFixed(1),
        sorted[Math.floor((sorted.length - 1) / 2)]!.toFixed(1),
        sorted[sorted.length - 1]!.toFixed(1),
      ];
    });
    out.push('', 'start→Ready seconds per step (Ready units)');
    out.push(table(['STEP', 'UNITS', 'MIN', 'MEDIAN', 'MAX'], rows));
  }
  return out.join('\n');
}

export const command: CliCommand = {
  name: 'gantt',
  summary: "draw a DistributedCloud's rollout from its unit ledger (kubectl JSON)",
  help: HELP,
  async run(argv, io) {
    const values = parseCommandArgs(
      command,
      argv,
      {
        filename: { type: 'string', short: 'f', multiple: true },
        name: { type: 'string', short: 'n' },
        width: { type: 'string' },
        steps: { type: 'boolean' },
      },
      io,
    );
    if (!values) return 0;
    const width = values.width === undefined ? 60 : Number(values.width);
    if (!Number.isInteger(width) || width < 10 || width > 1000)
      throw new UsageError(`--width must be an integer from 10 to 1000, got ${String(values.width)}`);
    const files = strings(values.filename);
    if (files.length === 0) throw new InputError('no input: pass -f FILE (repeatable; - reads stdin)');
    const ledgers = new Map<string, UnitStatus[]>();
    for (const file of files) {
      const source = file === '-' ? '<stdin>' : file;
      let text: string;
      try {
        text = file === '-' ? await io.readStdin() : await io.readFile(file);
      } catch (err) {
        throw new InputError(`${source}: cannot read: ${(err as Error).message}`);
      }
      let docs: unknown[];
      try {
        docs = yaml.loadAll(text);
      } catch (err) {
        throw new InputError(`${source}: neither JSON nor YAML: ${(err as Error).message}`);
      }
      for (const doc of docs)
        for (const [key, units] of ledgersOf(doc, source)) ledgers.set(key, [...(ledgers.get(key) ?? []), ...units]);
    }
    const name = values.name as string | undefined;
    const picked = [...ledgers].filter(([key]) => name === undefined || key === name || key.endsWith(`/${name}`));
    if (ledgers.size === 0)
      throw new InputError(
        `no unit ledger in the input (ConfigMaps labelled ${LABEL_UNIT_LEDGER}, or a file with a "units" list)`,
      );
    if (picked.length === 0)
      throw new InputError(`no ledger of ${name} in the input (it has: ${[...ledgers.keys()].join(', ')})`);
    if (picked.length > 1)
      throw new InputError(`the input has the ledgers of ${picked.map(([k]) => k).join(', ')}: pick one with --name`);
    const [key, units] = picked[0]!;
    io.stdout(`${formatLedgerReport(key, units, { width, steps: values.steps === true })}\n`);
    return 0;
  },
};
