// Shapes of the component catalog: components, their lifecycle steps, where each step is placed per topology and
// what it depends on. The catalog is data, assembled from the service modules (operator/src/services/registry.ts);
// the planner (operator/src/planner) turns it into a unit DAG.
import type { DistributedCloudSpec, Topology } from '../api/types.js';
import type { UnitKind } from '../planner/types.js';

/**
 * Where a step's units go, for one topology:
 * - `core`: one unit on the core site;
 * - `edges`: one unit on every selected site except the core;
 * - `all-sites`: one unit on every selected site (core included);
 * - `global`: one unit for the whole fleet (site `global`, objects applied to the core site's cluster);
 * - `edges-at-core`: one unit per edge site (its `site` is the edge, so its id names the edge cell) whose objects
 *   are applied to the core site's cluster (e.g. `nova-manage cell_v2 create_cell` for an edge cell).
 */
export type Placement = 'core' | 'edges' | 'all-sites' | 'global' | 'edges-at-core';

/**
 * How a dependency reference picks the unit(s) it points at, seen from the depending unit:
 * - `same-site`: the instance on the same site;
 * - `core`: the instance on the core site;
 * - `global`: the `global` instance;
 * - `cell`: the instance on the site that hosts the depending unit's Nova cell (same site when it has no cell);
 * - `all-sites`: every instance of that step, wherever it is;
 * - `nearest`: same site, else the unit's cell site, else the core site, else `global` — the instance that serves
 *   this unit in the current topology (e.g. nova-compute's conductor is at the core in centralized and local in
 *   cells/distributed). This keeps one dependency list valid across topologies.
 */
export type DependencyScope = 'same-site' | 'core' | 'global' | 'cell' | 'all-sites' | 'nearest';

/** Restricts a step or a dependency to some topologies and/or component backends. */
export interface Condition {
  topologies?: Topology[];
  backends?: string[];
}

export interface DependencyRef {
  component: string;
  step: string;
  scope: DependencyScope;
  /**
   * When the step exists in the plan but the scope finds no instance for this unit, drop the dependency instead of
   * failing (e.g. nova-db-sync@core in cells: create-cell units only exist for edge cells).
   * A dependency on a step that exists nowhere in the plan (disabled component, other backend, other topology) is
   * always dropped.
   */
  optional?: boolean;
  when?: Condition;
}

/** One lifecycle step; `Id` keeps the step ids literal so a service module's renderers are checked against them. */
export interface StepDefinition<Id extends string = string> {
  id: Id;
  kind: UnitKind;
  /**
   * Expected seconds from apply to Ready; a number or per backend (with `default`). An estimate: where
   * catalog/measured.ts has a measurement of the step (and backend), the registry's catalog carries that instead.
   */
  expectedSeconds: number | Record<string, number>;
  /** Placement per topology; a topology absent here has no unit for this step. */
  placement: Partial<Record<Topology, Placement>>;
  dependsOn: DependencyRef[];
  /** Only for these backends (e.g. cockroachdb's cluster-init). */
  backends?: string[];
  description: string;
}

export interface ComponentDefinition<Name extends string = string, StepId extends string = string> {
  name: Name;
  description: string;
  /** Whether the DistributedCloud deploys this component at all. */
  enabled(spec: DistributedCloudSpec): boolean;
  /** Backend variant chosen by the spec (database type, bus type, kv type); undefined for single-backend components. */
  backend?(spec: DistributedCloudSpec): string | undefined;
  /** Components that must be enabled when this one is (checked by the planner, with a clear error). */
  requires?: string[];
  steps: readonly StepDefinition<StepId>[];
}

export type Catalog = readonly ComponentDefinition[];
