// Pure scheduling core: given each unit's state and the rollout limits, which units start now. Eager (a unit
// starts as soon as its own dependencies are Ready), critical-path first, deterministic.
import type { DistributedCloudSpec } from '../api/types.js';
import { tailSeconds } from './graph.js';
import type { Plan, RolloutLimits, Unit, UnitState } from './types.js';

/** Scheduling order of a plan: longest remaining path (tail) first, then plan (topological) order. Cached. */
const orderCache = new WeakMap<Plan, Unit[]>();
export function schedulingOrder(plan: Plan): Unit[] {
  let order = orderCache.get(plan);
  if (!order) {
    const tail = tailSeconds(plan);
    const pos = new Map(plan.units.map((u, i) => [u.id, i]));
    order = [...plan.units].sort((a, b) => tail.get(b.id)! - tail.get(a.id)! || pos.get(a.id)! - pos.get(b.id)!);
    orderCache.set(plan, order);
  }
  return order;
}

/** Rollout limits from a DistributedCloud spec, with the documented defaults (unbounded, stopOnFailure true). */
export function rolloutLimits(spec: Pick<DistributedCloudSpec, 'rollout'>): Required<RolloutLimits> {
  return {
    maxParallelUnits: spec.rollout?.maxParallelUnits ?? 0,
    maxParallelSites: spec.rollout?.maxParallelSites ?? 0,
    stopOnFailure: spec.rollout?.stopOnFailure ?? true,
  };
}

export interface UnitsToStartOptions {
  /** Extra gate on candidates (the wave-scheduling comparison uses it); default: every unit is eligible. */
  eligible?: (unit: Unit) => boolean;
}

/**
 * Ids of the units to start now. A unit is a candidate when it is pending (absent from `states` = pending), every
 * dependency is ready, and neither its site nor its targetSite is paused. Candidates are taken in schedulingOrder
 * while the number of applying units stays within maxParallelUnits and the number of distinct target sites with an
 * applying unit within maxParallelSites (a unit on an already-active site never counts against the site limit).
 * With stopOnFailure (the default), nothing starts once any unit has failed. O(units + edges).
 */
export function unitsToStart(
  plan: Plan,
  states: ReadonlyMap<string, UnitState>,
  limits: RolloutLimits = {},
  options: UnitsToStartOptions = {},
): string[] {
  const maxUnits = limits.maxParallelUnits ?? 0;
  const maxSites = limits.maxParallelSites ?? 0;
  const stopOnFailure = limits.stopOnFailure ?? true;
  let inFlight = 0;
  const activeSites = new Set<string>();
  for (const u of plan.units) {
    const s = states.get(u.id);
    if (s === 'failed' && stopOnFailure) return [];
    if (s === 'applying') {
      inFlight++;
      activeSites.add(u.targetSite);
    }
  }
  const paused = new Set(plan.pausedSites ?? []);
  const start: string[] = [];
  for (const u of schedulingOrder(plan)) {
    if (maxUnits > 0 && inFlight >= maxUnits) break;
    if ((states.get(u.id) ?? 'pending') !== 'pending') continue;
    if (paused.has(u.site) || paused.has(u.targetSite)) continue;
    let depsReady = true;
    for (const d of u.dependsOn)
      if (states.get(d) !== 'ready') {
        depsReady = false;
        break;
      }
    if (!depsReady) continue;
    if (options.eligible && !options.eligible(u)) continue;
    if (maxSites > 0 && !activeSites.has(u.targetSite) && activeSites.size >= maxSites) continue;
    start.push(u.id);
    inFlight++;
    activeSites.add(u.targetSite);
  }
  return start;
}
