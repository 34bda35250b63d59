// Public entry of the planner: (DistributedCloud, EdgeSites) -> unit DAG -> what to start now. Pure.
export * from './types.js';
export * from './errors.js';
export { buildPlan, buildPlanFromSpec, selectSites, GALERA_MAX_RTT_MILLIS } from './build.js';
export type { SiteSelection, BuildPlanOptions } from './build.js';
export { planFromUnits, tailSeconds, dependentsOf, edgeCount } from './graph.js';
export type { PlanMeta } from './graph.js';
export { matchesSelector, validateSelector } from './selector.js';
export { unitsToStart, schedulingOrder, rolloutLimits } from './scheduler.js';
export type { UnitsToStartOptions } from './scheduler.js';
export { simulateRollout } from './simulate.js';
export type { SimulationOptions, SimulationResult, StartEvent, Strategy } from './simulate.js';
export { indexPlan } from './plan-index.js';
export type { PlanIndex } from './plan-index.js';
