// Unit DAG analysis: topological order, dependency levels, cycle detection and the critical path. O(units + edges).
import { CycleError, PlanError } from './errors.js';
import type { Plan, Unit } from './types.js';

export interface PlanMeta {
  sites?: string[];
  coreSite?: string;
  topology?: Plan['topology'];
  pausedSites?: string[];
}

/**
 * Turns units (with resolved dependsOn) into a Plan: checks every dependency exists, rejects cycles naming every
 * unit on one, orders units by dependency level (ties keep the input order) and computes the critical path.
 */
export function planFromUnits(input: readonly Unit[], meta: PlanMeta = {}): Plan {
  const n = input.length;
  const index = new Map<string, number>();
  input.forEach((u, i) => {
    if (index.has(u.id)) throw new PlanError('UnknownDependency', `duplicate unit id ${u.id}`);
    index.set(u.id, i);
  });
  // dependents adjacency in CSR form (compact for 1000s of sites)
  const indegree = new Int32Array(n);
  const depIdx: number[][] = new Array(n);
  const outCount = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = input[i]!;
    const ds: number[] = [];
    for (const d of u.dependsOn) {
      const j = index.get(d);
      if (j === undefined) throw new PlanError('UnknownDependency', `unit ${u.id} depends on unknown unit ${d}`);
      ds.push(j);
      outCount[j]!++;
    }
    depIdx[i] = ds;
    indegree[i] = ds.length;
  }
  const outStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) outStart[i + 1] = outStart[i]! + outCount[i]!;
  const outFill = outStart.slice(0, n);
  const out = new Int32Array(outStart[n]!);
  for (let i = 0; i < n; i++) for (const j of depIdx[i]!) out[outFill[j]!++] = i;

  // Kahn's algorithm, computing levels and finish times (longest path weighted by expectedSeconds)
  const level = new Int32Array(n);
  const finish = new Float64Array(n);
  const pred = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue[tail++] = i;
  while (head < tail) {
    const i = queue[head++]!;
    finish[i] = finish[i]! + input[i]!.expectedSeconds; // finish[i] held the latest dependency finish
    for (let k = outStart[i]!; k < outStart[i + 1]!; k++) {
      const j = out[k]!;
      if (level[i]! + 1 > level[j]!) level[j] = level[i]! + 1;
      if (pred[j] === -1 || finish[i]! > finish[j]!) {
        finish[j] = finish[i]!;
        pred[j] = i;
      }
      if (--indegree[j]! === 0) queue[tail++] = j;
    }
  }
  if (tail < n) throw new CycleError(findCycle(input, depIdx, indegree));

  let depth = 0;
  for (let i = 0; i < n; i++) if (level[i]! > depth) depth = level[i]!;
  const levels: string[][] = n === 0 ? [] : Array.from({ length: depth + 1 }, () => []);
  const byLevel: Unit[][] = levels.map(() => []);
  for (let i = 0; i < n; i++) {
    levels[level[i]!]!.push(input[i]!.id);
    byLevel[level[i]!]!.push(input[i]!);
  }
  const units = byLevel.flat();

  let end = -1;
  for (let i = 0; i < n; i++) if (end === -1 || finish[i]! > finish[end]!) end = i;
  const criticalPath: string[] = [];
  for (let i = end; i !== -1; i = pred[i]!) criticalPath.push(input[i]!.id);
  criticalPath.reverse();

  const sites = meta.sites ?? [...new Set(input.map((u) => u.targetSite))].sort();
  return {
    units,
    byId: new Map(units.map((u) => [u.id, u])),
    levels,
    criticalPath,
    criticalPathSeconds: end === -1 ? 0 : finish[end]!,
    sites,
    ...(meta.coreSite !== undefined ? { coreSite: meta.coreSite } : {}),
    ...(meta.topology !== undefined ? { topology: meta.topology } : {}),
    ...(meta.pausedSites !== undefined ? { pausedSites: meta.pausedSites } : {}),
  };
}

/** Among the units Kahn's algorithm could not order, walk dependencies until one repeats: that loop is a cycle. */
function findCycle(input: readonly Unit[], depIdx: number[][], indegree: Int32Array): string[] {
  const stuck = (i: number) => indegree[i]! > 0;
  let start = 0;
  while (!stuck(start)) start++;
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  let i = start;
  while (!seenAt.has(i)) {
    seenAt.set(i, path.length);
    path.push(i);
    // a stuck unit always has at least one stuck dependency (otherwise its indegree would have reached 0)
    i = depIdx[i]!.find(stuck)!;
  }
  return path.slice(seenAt.get(i)!).map((k) => input[k]!.id);
}

/** Longest remaining duration from each unit's start to the end of the rollout (its "tail"), by unit id. */
export function tailSeconds(plan: Plan): Map<string, number> {
  const tail = new Map<string, number>();
  const dependents = dependentsOf(plan);
  for (let k = plan.units.length - 1; k >= 0; k--) {
    const u = plan.units[k]!;
    let best = 0;
    for (const d of dependents.get(u.id) ?? []) best = Math.max(best, tail.get(d) ?? 0);
    tail.set(u.id, u.expectedSeconds + best);
  }
  return tail;
}

/** Reverse edges: unit id -> ids of the units that depend on it. */
export function dependentsOf(plan: Plan): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const u of plan.units)
    for (const d of u.dependsOn) {
      const list = m.get(d);
      if (list) list.push(u.id);
      else m.set(d, [u.id]);
    }
  return m;
}

/** Number of dependency edges. */
export function edgeCount(plan: Plan): number {
  let e = 0;
  for (const u of plan.units) e += u.dependsOn.length;
  return e;
}
