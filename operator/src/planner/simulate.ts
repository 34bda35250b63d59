// Discrete-event simulation of a rollout driven by unitsToStart: estimates makespan under limits and compares eager
// scheduling with wave (level-by-level) scheduling. Pure and deterministic; used by tests, the CLI and the bench.
import { unitsToStart } from './scheduler.js';
import type { Plan, RolloutLimits, Unit, UnitState } from './types.js';

export type Strategy = 'eager' | 'waves';

export interface SimulationOptions {
  /** Seconds each unit takes (default: its expectedSeconds). */
  durations?: ReadonlyMap<string, number> | ((unit: Unit) => number);
  /** Units that end Failed instead of Ready. */
  failures?: ReadonlySet<string>;
  /** eager (default): start each unit when its dependencies are ready; waves: only when every unit of all lower
   *  dependency levels is ready (Argo CD sync-waves / Armada chart groups). */
  strategy?: Strategy;
}

export interface StartEvent {
  time: number;
  started: string[];
  /** Units applying and distinct target sites with an applying unit, right after these starts. */
  applying: number;
  activeSites: number;
}

export interface SimulationResult {
  /** Time the last unit ended. */
  makespanSeconds: number;
  startTimes: Map<string, number>;
  endTimes: Map<string, number>;
  states: Map<string, UnitState>;
  /** Every unit ended Ready. */
  completed: boolean;
  /** Nothing applying, nothing failed, yet pending units remain that the scheduler would not start. */
  stalled: boolean;
  peakUnits: number;
  peakSites: number;
  events: StartEvent[];
}

export function simulateRollout(
  plan: Plan,
  limits: RolloutLimits = {},
  options: SimulationOptions = {},
): SimulationResult {
  const d = options.durations;
  const duration = (u: Unit): number =>
    d === undefined ? u.expectedSeconds : typeof d === 'function' ? d(u) : (d.get(u.id) ?? u.expectedSeconds);
  const failures = options.failures ?? new Set<string>();
  const states = new Map<string, UnitState>();
  const startTimes = new Map<string, number>();
  const endTimes = new Map<string, number>();
  const events: StartEvent[] = [];
  const levelOf = new Map<string, number>();
  plan.levels.forEach((ids, l) => ids.forEach((id) => levelOf.set(id, l)));
  const readyPerLevel = plan.levels.map(() => 0);
  let wave = 0; // waves: lowest level not fully ready
  const eligible = options.strategy === 'waves' ? { eligible: (u: Unit) => levelOf.get(u.id) === wave } : ({} as const);

  let running: Array<{ id: string; end: number }> = [];
  const activeTargets = new Map<string, number>(); // target site -> applying count
  let now = 0;
  let peakUnits = 0;
  let peakSites = 0;
  let anyFailed = false;
  for (;;) {
    const ids = unitsToStart(plan, states, limits, eligible);
    if (ids.length > 0) {
      for (const id of ids) {
        const u = plan.byId.get(id)!;
        states.set(id, 'applying');
        startTimes.set(id, now);
        running.push({ id, end: now + duration(u) });
        activeTargets.set(u.targetSite, (activeTargets.get(u.targetSite) ?? 0) + 1);
      }
      peakUnits = Math.max(peakUnits, running.length);
      peakSites = Math.max(peakSites, activeTargets.size);
      events.push({ time: now, started: ids, applying: running.length, activeSites: activeTargets.size });
    }
    if (running.length === 0) break;
    now = Infinity;
    for (const r of running) if (r.end < now) now = r.end;
    const still: typeof running = [];
    for (const r of running) {
      if (r.end > now) {
        still.push(r);
        continue;
      }
      const failed = failures.has(r.id);
      anyFailed ||= failed;
      states.set(r.id, failed ? 'failed' : 'ready');
      endTimes.set(r.id, r.end);
      const target = plan.byId.get(r.id)!.targetSite;
      const left = activeTargets.get(target)! - 1;
      if (left === 0) activeTargets.delete(target);
      else activeTargets.set(target, left);
      if (!failed) readyPerLevel[levelOf.get(r.id)!]!++;
    }
    running = still;
    while (wave < plan.levels.length && readyPerLevel[wave] === plan.levels[wave]!.length) wave++;
  }
  const completed = plan.units.every((u) => states.get(u.id) === 'ready');
  let makespanSeconds = 0;
  for (const t of endTimes.values()) if (t > makespanSeconds) makespanSeconds = t;
  return {
    makespanSeconds,
    startTimes,
    endTimes,
    states,
    completed,
    stalled: !completed && !anyFailed,
    peakUnits,
    peakSites,
    events,
  };
}
