// Shapes shared by the planner (unit DAG) and its consumers (renderers, controllers, CLI).
// CONTRACT: the planner helper owns this file; renderers and the operator depend on these names.
import type { Topology } from '../api/types.js';

/** Pseudo-site name for units that span the fleet (e.g. one CockroachDB cluster init). */
export const GLOBAL_SITE = 'global';

export type UnitKind = 'workload' | 'job' | 'config';

export interface Unit {
  /** Stable id: `${component}-${step}@${site}`, e.g. "keystone-db-sync@core". */
  id: string;
  component: string; // catalog component name: database, message-bus, kv-store, memcached, keystone, glance, placement, nova
  step: string; // catalog step id within the component, e.g. "db-sync"
  /** EdgeSite name the unit belongs to, or GLOBAL_SITE. */
  site: string;
  /** EdgeSite whose cluster receives the unit's objects (equals site, except global units -> an actual site). */
  targetSite: string;
  kind: UnitKind;
  /** Unit ids this unit waits for (all must be Ready first). */
  dependsOn: string[];
  /** Expected seconds from apply to Ready, for critical-path / makespan estimates. */
  expectedSeconds: number;
  /** Nova cell this unit belongs to (cells topology), e.g. "cell1"; undefined when not cell-scoped. */
  cell?: string;
}

export interface Plan {
  units: Unit[]; // topologically sorted, deterministic order
  byId: Map<string, Unit>;
  levels: string[][]; // dependency levels (level i = units whose longest dependency chain has length i)
  criticalPath: string[];
  criticalPathSeconds: number;
  sites: string[]; // selected EdgeSite names, sorted
  coreSite?: string;
  /** Topology the plan was built for (absent for plans built directly from units). */
  topology?: Topology;
  /**
   * Selected EdgeSites with spec.paused: their units stay in the plan (nothing is torn down) but the scheduler
   * starts no unit whose site or targetSite is paused, so their dependents wait.
   */
  pausedSites?: string[];
}

/** Rollout limits (DistributedCloud spec.rollout): 0 or absent = unbounded. */
export interface RolloutLimits {
  /** Most units applying at once. */
  maxParallelUnits?: number;
  /** Most distinct target sites with an applying unit at once. */
  maxParallelSites?: number;
  /** No new unit starts once any unit has failed (default true). */
  stopOnFailure?: boolean;
}

export type UnitState = 'pending' | 'applying' | 'ready' | 'failed';
