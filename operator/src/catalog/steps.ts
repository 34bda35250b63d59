// Building blocks for the catalog entries the service modules declare: placement tables per topology, dependency
// references, and the step sequences several OpenStack services share.
import type { DistributedCloudSpec, ServiceSpec, Topology } from '../api/types.js';
import type { DependencyRef, DependencyScope, Placement, StepDefinition } from './types.js';

export type PlacementTable = Partial<Record<Topology, Placement>>;

/** The global API / identity layer: at the core in centralized and cells, on every site in distributed. */
export const CONTROL: PlacementTable = { centralized: 'core', cells: 'core', distributed: 'all-sites' };
/** Cell-local state and workers (DB, bus, conductor, cell DB sync): core only, per cell, per site. */
export const CELL_LOCAL: PlacementTable = { centralized: 'core', cells: 'all-sites', distributed: 'all-sites' };
/** Hypervisors: edges in centralized and cells, every site in distributed. */
export const COMPUTE: PlacementTable = { centralized: 'edges', cells: 'edges', distributed: 'all-sites' };
/** Per-cell API-side operations: the single cell at the core, per edge cell run at the core, per site. */
export const PER_CELL: PlacementTable = { centralized: 'core', cells: 'edges-at-core', distributed: 'all-sites' };

/** A dependency reference (scope `nearest` unless told). */
export function dep(
  component: string,
  step: string,
  scope: DependencyScope = 'nearest',
  extra: Omit<DependencyRef, 'component' | 'step' | 'scope'> = {},
): DependencyRef {
  return { component, step, scope, ...extra };
}

/** spec.services.<name> of any OpenStack service module (the API lists every registered one). */
export function serviceSpecOf(spec: DistributedCloudSpec, name: string): ServiceSpec | undefined {
  return (spec.services as Record<string, ServiceSpec | undefined> | undefined)?.[name];
}

/** `enabled(spec)` of an OpenStack service: on unless spec.services.<name>.enabled is false. */
export function serviceEnabled(name: string): (spec: DistributedCloudSpec) => boolean {
  return (spec) => serviceSpecOf(spec, name)?.enabled !== false;
}

/**
 * `enabled(spec)` of an opt-in OpenStack service (its module says `optIn: true`, so the API gives
 * spec.services.<name> no default): on only when spec.services.<name> is present and its enabled is not false.
 */
export function serviceOptIn(name: string): (spec: DistributedCloudSpec) => boolean {
  return (spec) => {
    const s = serviceSpecOf(spec, name);
    return s !== undefined && s.enabled !== false;
  };
}

/** Database steps every OpenStack service's `db-create` waits for (the cluster-init exists for cockroachdb only). */
export const DATABASE_READY: DependencyRef[] = [dep('database', 'server'), dep('database', 'cluster-init')];
/** Registering a service in Keystone needs the (local) identity API and, in distributed, its region endpoints. */
export const KEYSTONE_READY: DependencyRef[] = [dep('keystone', 'api'), dep('keystone', 'endpoints')];

/** The db-create / db-sync / ks-register / api lifecycle of an OpenStack API service (glance, placement...). */
export function apiServiceSteps(
  name: string,
  dbSyncSeconds: number,
): StepDefinition<'db-create' | 'db-sync' | 'ks-register' | 'api'>[] {
  return [
    {
      id: 'db-create',
      kind: 'job',
      expectedSeconds: 10,
      placement: CONTROL,
      dependsOn: DATABASE_READY,
      description: `create the ${name} database and its user`,
    },
    {
      id: 'db-sync',
      kind: 'job',
      expectedSeconds: dbSyncSeconds,
      placement: CONTROL,
      dependsOn: [dep(name, 'db-create', 'same-site')],
      description: `${name}-manage db sync`,
    },
    {
      id: 'ks-register',
      kind: 'job',
      expectedSeconds: 20,
      placement: CONTROL,
      dependsOn: KEYSTONE_READY,
      description: `service user, service and endpoints of ${name} in Keystone`,
    },
    {
      id: 'api',
      kind: 'workload',
      expectedSeconds: 30,
      placement: CONTROL,
      dependsOn: [dep(name, 'db-sync', 'same-site'), dep(name, 'ks-register', 'same-site'), dep('memcached', 'server')],
      description: `${name}-api Deployment and Service`,
    },
  ];
}
