// The component catalog: every OpenStack building block Discovery deploys, its lifecycle steps, their placement per
// topology and their dependencies. Adding a component means adding one entry to CATALOG below.
import type { DistributedCloudSpec, ServiceName } from '../api/types.js';
import type {
  Catalog,
  ComponentDefinition,
  DependencyRef,
  DependencyScope,
  Placement,
  StepDefinition,
} from './types.js';
import type { Topology } from '../api/types.js';

type PlacementTable = Partial<Record<Topology, Placement>>;

/** The global API / identity layer: at the core in centralized and cells, on every site in distributed. */
const CONTROL: PlacementTable = { centralized: 'core', cells: 'core', distributed: 'all-sites' };
/** Cell-local state and workers (DB, bus, conductor, cell DB sync): core only, per cell, per site. */
const CELL_LOCAL: PlacementTable = { centralized: 'core', cells: 'all-sites', distributed: 'all-sites' };
/** Hypervisors: edges in centralized and cells, every site in distributed. */
const COMPUTE: PlacementTable = { centralized: 'edges', cells: 'edges', distributed: 'all-sites' };
/** Per-cell API-side operations: the single cell at the core, per edge cell run at the core, per site. */
const PER_CELL: PlacementTable = { centralized: 'core', cells: 'edges-at-core', distributed: 'all-sites' };

function dep(
  component: string,
  step: string,
  scope: DependencyScope = 'nearest',
  extra: Omit<DependencyRef, 'component' | 'step' | 'scope'> = {},
): DependencyRef {
  return { component, step, scope, ...extra };
}

function serviceEnabled(name: ServiceName) {
  return (spec: DistributedCloudSpec) => spec.services?.[name]?.enabled !== false;
}

/** Database steps every OpenStack service's `db-create` waits for (the cluster-init exists for cockroachdb only). */
const DATABASE_READY = [dep('database', 'server'), dep('database', 'cluster-init')];
/** Registering a service in Keystone needs the (local) identity API and, in distributed, its region endpoints. */
const KEYSTONE_READY = [dep('keystone', 'api'), dep('keystone', 'endpoints')];

/** The db-create / db-sync / ks-register / api lifecycle shared by glance and placement. */
function apiServiceSteps(name: string, dbSyncSeconds: number): StepDefinition[] {
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

const database: ComponentDefinition = {
  name: 'database',
  description: 'SQL store of the OpenStack services (mariadb, galera, or one geo-distributed cockroachdb)',
  enabled: () => true,
  backend: (spec) => spec.database.type,
  steps: [
    {
      id: 'server',
      kind: 'workload',
      expectedSeconds: { default: 60, mariadb: 60, galera: 120, cockroachdb: 45 },
      placement: CELL_LOCAL,
      // A stretched galera cluster is bootstrapped on the core site; the other sites' nodes join it.
      dependsOn: [dep('database', 'server', 'core', { when: { topologies: ['distributed'], backends: ['galera'] } })],
      description: 'database StatefulSet and Services',
    },
    {
      id: 'cluster-init',
      kind: 'job',
      expectedSeconds: 15,
      backends: ['cockroachdb'],
      placement: { centralized: 'core', cells: 'all-sites', distributed: 'global' },
      dependsOn: [
        dep('database', 'server', 'all-sites', { when: { topologies: ['distributed'] } }),
        dep('database', 'server', 'same-site', { when: { topologies: ['centralized', 'cells'] } }),
      ],
      description: '`cockroach init` once every node of the cluster is up',
    },
  ],
};

const messageBus: ComponentDefinition = {
  name: 'message-bus',
  description: 'RPC bus: rabbitmq, or a qpid-dispatch router per site meshed with its peers',
  enabled: () => true,
  backend: (spec) => spec.messageBus.type,
  steps: [
    {
      id: 'server',
      kind: 'workload',
      expectedSeconds: { default: 60, rabbitmq: 60, 'qpid-dispatch': 20 },
      placement: CELL_LOCAL,
      dependsOn: [],
      description: 'rabbitmq StatefulSet or qdrouterd Deployment, and Services',
    },
  ],
};

const kvStore: ComponentDefinition = {
  name: 'kv-store',
  description: 'optional key/value store (redis or etcd) for coordination and caching',
  enabled: (spec) => spec.kvStore !== undefined && spec.kvStore !== null,
  backend: (spec) => spec.kvStore?.type,
  steps: [
    {
      id: 'server',
      kind: 'workload',
      expectedSeconds: { default: 20, redis: 15, etcd: 30 },
      placement: CONTROL,
      dependsOn: [],
      description: 'redis or etcd StatefulSet and Service',
    },
  ],
};

const memcached: ComponentDefinition = {
  name: 'memcached',
  description: 'token and API cache',
  enabled: (spec) => spec.memcached?.enabled !== false,
  steps: [
    {
      id: 'server',
      kind: 'workload',
      expectedSeconds: 10,
      placement: CONTROL,
      dependsOn: [],
      description: 'memcached Deployment and Service',
    },
  ],
};

const keystone: ComponentDefinition = {
  name: 'keystone',
  description: 'identity service',
  enabled: serviceEnabled('keystone'),
  steps: [
    {
      id: 'db-create',
      kind: 'job',
      expectedSeconds: 10,
      placement: CONTROL,
      dependsOn: DATABASE_READY,
      description: 'create the keystone database and its user',
    },
    {
      id: 'db-sync',
      kind: 'job',
      expectedSeconds: 45,
      placement: CONTROL,
      dependsOn: [dep('keystone', 'db-create', 'same-site')],
      description: 'keystone-manage db_sync',
    },
    {
      id: 'keys',
      kind: 'config',
      expectedSeconds: 5,
      placement: CONTROL,
      dependsOn: [],
      description: 'fernet and credential keys Secret',
    },
    {
      id: 'bootstrap',
      kind: 'job',
      expectedSeconds: 30,
      placement: CONTROL,
      dependsOn: [dep('keystone', 'db-sync', 'same-site'), dep('keystone', 'keys', 'same-site')],
      description: 'keystone-manage bootstrap (admin user, identity service and endpoints)',
    },
    {
      id: 'api',
      kind: 'workload',
      expectedSeconds: 40,
      placement: CONTROL,
      dependsOn: [dep('keystone', 'bootstrap', 'same-site'), dep('memcached', 'server')],
      description: 'keystone-api Deployment and Service',
    },
    {
      id: 'endpoints',
      kind: 'job',
      expectedSeconds: 15,
      placement: { distributed: 'all-sites' },
      dependsOn: [dep('keystone', 'api', 'same-site')],
      description: "the site's region and identity endpoints in the shared identity",
    },
  ],
};

const glance: ComponentDefinition = {
  name: 'glance',
  description: 'image service',
  enabled: serviceEnabled('glance'),
  requires: ['keystone'],
  steps: apiServiceSteps('glance', 30),
};

const placement: ComponentDefinition = {
  name: 'placement',
  description: 'resource inventory and allocation service',
  enabled: serviceEnabled('placement'),
  requires: ['keystone'],
  steps: apiServiceSteps('placement', 25),
};

const nova: ComponentDefinition = {
  name: 'nova',
  description: 'compute service (API, cells, conductor, scheduler, compute)',
  enabled: serviceEnabled('nova'),
  requires: ['keystone', 'placement'],
  steps: [
    {
      id: 'db-create',
      kind: 'job',
      expectedSeconds: 15,
      placement: CELL_LOCAL,
      dependsOn: DATABASE_READY,
      description: 'create nova_api and nova_cell0 (API sites) and the cell database',
    },
    {
      id: 'api-db-sync',
      kind: 'job',
      expectedSeconds: 40,
      placement: CONTROL,
      dependsOn: [dep('nova', 'db-create', 'same-site')],
      description: 'nova-manage api_db sync',
    },
    {
      id: 'map-cell0',
      kind: 'job',
      expectedSeconds: 15,
      placement: CONTROL,
      dependsOn: [dep('nova', 'api-db-sync', 'same-site')],
      description: 'nova-manage cell_v2 map_cell0',
    },
    {
      id: 'create-cell',
      kind: 'job',
      expectedSeconds: 15,
      placement: PER_CELL,
      dependsOn: [
        dep('nova', 'map-cell0'),
        dep('nova', 'db-create', 'cell'),
        dep('database', 'server', 'cell'),
        dep('database', 'cluster-init'),
        dep('message-bus', 'server', 'cell'),
      ],
      description: "nova-manage cell_v2 create_cell with the cell's database and transport URL",
    },
    {
      id: 'db-sync',
      kind: 'job',
      expectedSeconds: 90,
      placement: CELL_LOCAL,
      dependsOn: [
        dep('nova', 'create-cell', 'same-site', { optional: true }),
        dep('nova', 'map-cell0'),
        dep('nova', 'db-create', 'same-site'),
      ],
      description: 'nova-manage db sync (cell0 at API sites, the cell database in each cell)',
    },
    {
      id: 'ks-register',
      kind: 'job',
      expectedSeconds: 20,
      placement: CONTROL,
      dependsOn: KEYSTONE_READY,
      description: 'service user, service and endpoints of nova in Keystone',
    },
    {
      id: 'api',
      kind: 'workload',
      expectedSeconds: 45,
      placement: CONTROL,
      dependsOn: [
        dep('nova', 'map-cell0', 'same-site'),
        dep('nova', 'ks-register', 'same-site'),
        dep('placement', 'api'),
        dep('glance', 'api'),
        dep('message-bus', 'server'),
        dep('memcached', 'server'),
        dep('kv-store', 'server'),
      ],
      description: 'nova-api (and metadata) Deployment and Service',
    },
    {
      id: 'conductor',
      kind: 'workload',
      expectedSeconds: 30,
      placement: CELL_LOCAL,
      dependsOn: [dep('nova', 'db-sync', 'same-site'), dep('message-bus', 'server'), dep('kv-store', 'server')],
      description: 'nova-conductor (the super-conductor at the core in cells, a cell conductor per edge cell)',
    },
    {
      id: 'scheduler',
      kind: 'workload',
      expectedSeconds: 30,
      placement: CONTROL,
      dependsOn: [dep('nova', 'db-sync'), dep('placement', 'api'), dep('message-bus', 'server')],
      description: 'nova-scheduler',
    },
    {
      id: 'compute',
      kind: 'workload',
      expectedSeconds: 40,
      placement: COMPUTE,
      dependsOn: [dep('nova', 'conductor'), dep('message-bus', 'server'), dep('placement', 'api')],
      description: 'nova-compute DaemonSet on compute-role nodes',
    },
    {
      id: 'discover-hosts',
      kind: 'job',
      expectedSeconds: 15,
      placement: PER_CELL,
      dependsOn: [
        dep('nova', 'compute', 'all-sites', { when: { topologies: ['centralized'] } }),
        dep('nova', 'compute', 'same-site', { when: { topologies: ['cells', 'distributed'] } }),
        dep('nova', 'create-cell', 'same-site'),
      ],
      description: 'nova-manage cell_v2 discover_hosts for the cell',
    },
  ],
};

/** Catalog order is the tie-break order of units everywhere (tables, graphs, scheduling). */
export const CATALOG: Catalog = [database, messageBus, kvStore, memcached, keystone, glance, placement, nova];
