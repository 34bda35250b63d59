// Schema source of DistributedCloud (namespaced): one OpenStack cloud spread over the EdgeSites it selects. The
// OpenStack services (spec.services, siteOverrides) are the service modules' registry's, and the accepted releases are
// the ones the renderers support: one source each.
import { RELEASES_WITHOUT_AMQP1, SUPPORTED_RELEASES } from '../../render/images.js';
import { OPENSTACK_SERVICES, OPT_IN_SERVICES } from '../../services/registry.js';
import { API_VERSION, conditions, labelSelector, objectMeta, siteName } from './common.js';
import {
  array,
  boolean,
  enumOf,
  integer,
  map,
  object,
  rule,
  string,
  type ResourceDefinition,
  type SchemaNode,
} from './dsl.js';

const SERVICE_NAMES = [...OPENSTACK_SERVICES];

const serviceName = enumOf(SERVICE_NAMES, { tsName: 'ServiceName' });
const release = enumOf(Object.keys(SUPPORTED_RELEASES), {
  tsName: 'OpenStackRelease',
  description: 'OpenStack release series (those the renderers support).',
});
export const topology = enumOf(['centralized', 'cells', 'distributed'], {
  tsName: 'Topology',
  description:
    'centralized: control plane at coreSite, compute at the edges; cells: global API at coreSite, one Nova cell per edge site; distributed: a full control plane per site (its own database and bus; the Keystone database shared).',
});

/** A container image reference: [registry[:port]/]path[:tag][@sha256:digest], lower-case path as OCI requires. */
export const IMAGE_REFERENCE =
  '^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$';
/** A registry host with an optional port and repository path prefix, e.g. registry.example.org:5000/openstack. */
export const IMAGE_REGISTRY = '^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$';
/** An image tag. */
export const IMAGE_TAG = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';

const image = (description: string): SchemaNode =>
  string({ description, minLength: 1, maxLength: 512, pattern: IMAGE_REFERENCE });
const replicas = (description: string, dflt?: number): SchemaNode =>
  integer({ description, minimum: 0, maximum: 100, ...(dflt === undefined ? {} : { default: dflt }) });

const configOverrides = map(
  map(string({ maxLength: 4096 }), { description: 'key -> value within one INI section.', maxProperties: 256 }),
  {
    tsName: 'ConfigOverrides',
    description: 'INI overrides: section -> key -> value, merged over the rendered configuration file.',
    maxProperties: 64,
  },
);

const serviceSpec = object(
  {
    enabled: boolean({ description: 'Deploy this service.', default: true }),
    replicas: replicas('API replicas per site that runs the service.', 1),
    image: image('Container image overriding the release default.'),
    config: configOverrides,
  },
  { tsName: 'ServiceSpec', description: 'One OpenStack service.' },
);

/** spec.services.<name>: defaults to {} (enabled), except for an opt-in service (its module's description). */
function servicesEntry(name: string): SchemaNode {
  const optIn = OPT_IN_SERVICES[name];
  return optIn === undefined ? { ...serviceSpec, default: {} } : { ...serviceSpec, description: optIn };
}

/** An object with one optional property per OpenStack service, each following `value`. */
const perService = (value: SchemaNode, description: string): SchemaNode =>
  object(Object.fromEntries(SERVICE_NAMES.map((s) => [s, value])), { description });

const siteOverride = object(
  {
    site: siteName('EdgeSite this override applies to.'),
    replicas: perService(replicas('Replicas of this service at this site.'), 'Replicas per service at this site.'),
    images: perService(image('Image of this service at this site.'), 'Images per service at this site.'),
    config: perService(configOverrides, 'INI overrides per service at this site.'),
    nodeSelector: map(string({ maxLength: 63 }), {
      description: 'Node labels the site’s OpenStack pods must match.',
      maxProperties: 32,
    }),
  },
  { tsName: 'SiteOverride', required: ['site'], description: 'Per-site overrides, merged over services.' },
);

interface SpecShape {
  release: string;
  topology: string;
  messageBus: { type: string };
  kvStore?: { type: string };
  coreSite?: string;
  siteSelector?: unknown;
  sites?: string[];
  database: { type: string };
  siteOverrides?: { site: string }[];
}

const distributedCloudSpec: SchemaNode = object(
  {
    release,
    topology,
    coreSite: siteName('EdgeSite hosting the shared control plane (required for centralized and cells).'),
    siteSelector: { ...labelSelector, description: 'A metav1.LabelSelector over EdgeSite labels.' },
    sites: array(siteName('EdgeSite name.'), {
      description: 'EdgeSites by name (added to those siteSelector picks).',
      listType: 'set',
      minItems: 1,
      maxItems: 500,
    }),
    services: object(Object.fromEntries(SERVICE_NAMES.map((s) => [s, servicesEntry(s)])), {
      description: `OpenStack services; each defaults to enabled with 1 replica, except the opt-in ones (${Object.keys(OPT_IN_SERVICES).join(', ')}), deployed only when listed.`,
      default: {},
    }),
    images: object(
      {
        registry: string({
          description:
            'Registry and path prefix of every Kolla image (OpenStack services, their helpers and the backends), e.g. registry.example.org:5000/kolla; default quay.io/openstack.kolla.',
          minLength: 1,
          maxLength: 255,
          pattern: IMAGE_REGISTRY,
        }),
        tag: string({
          description: 'Tag of every Kolla image; default the release’s upstream Kolla tag (e.g. 2025.1-ubuntu-noble).',
          minLength: 1,
          maxLength: 128,
          pattern: IMAGE_TAG,
        }),
        pullPolicy: enumOf(['IfNotPresent', 'Always', 'Never'], {
          tsName: 'ImagePullPolicy',
          description: 'imagePullPolicy of every container; default IfNotPresent.',
        }),
      },
      {
        tsName: 'ImageSource',
        description:
          'Where the images come from: <registry>/<name>:<tag> for each Kolla image <name>. Per-service image overrides still win.',
      },
    ),
    messageBus: object(
      {
        type: enumOf(['rabbitmq', 'qpid-dispatch'], {
          description:
            'rabbitmq, or a Qpid Dispatch Router mesh (AMQP 1.0: refused for 2025.1 and later, whose oslo.messaging dropped that driver).',
        }),
        replicas: replicas('Broker replicas per site hosting the bus.', 1),
      },
      { required: ['type'], description: 'Message bus for RPC.' },
    ),
    database: object(
      {
        type: enumOf(['mariadb', 'galera', 'cockroachdb'], {
          description:
            'SQL backend: mariadb (one server per site that hosts a database), galera (a synchronous cluster of spec.database.replicas members at the site hosting the database: centralized and cells; refused in distributed, whose members would span sites). cockroachdb is refused (no OpenStack service supports it).',
        }),
        replicas: replicas('Database replicas per site hosting it.', 1),
        storageSize: string({
          description: 'PersistentVolume size, e.g. 10Gi.',
          default: '10Gi',
          pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P)?$',
          maxLength: 32,
        }),
      },
      { required: ['type'], description: 'SQL database.' },
    ),
    kvStore: object(
      { type: enumOf(['redis', 'etcd'], { description: 'Key/value backend.' }) },
      {
        required: ['type'],
        description:
          'Key/value store: reserved, refused today (no service Discovery deploys uses one; caches use memcached).',
      },
    ),
    memcached: object(
      {
        enabled: boolean({ description: 'Deploy memcached (Keystone token and API caches).', default: true }),
        replicas: replicas('memcached replicas per site.', 1),
      },
      { description: 'memcached.', default: {} },
    ),
    siteOverrides: array(siteOverride, {
      description: 'Per-site overrides, at most one per site.',
      listType: 'map',
      listMapKeys: ['site'],
      maxItems: 100,
    }),
    rollout: object(
      {
        maxParallelUnits: integer({ description: 'Units applied at once; 0 = unbounded.', minimum: 0, default: 0 }),
        maxParallelSites: integer({
          description: 'Sites with units in flight at once; 0 = unbounded.',
          minimum: 0,
          default: 0,
        }),
        stopOnFailure: boolean({ description: 'Start no new unit after one fails.', default: true }),
        unitTimeoutSeconds: integer({
          description: 'Seconds a unit may take to become Ready before it is Failed.',
          minimum: 1,
          maximum: 86400,
          default: 600,
        }),
      },
      { description: 'How fast the plan is applied.', default: {} },
    ),
    paused: boolean({ description: 'Stop reconciling (no unit is started or deleted).', default: false }),
  },
  {
    tsName: 'DistributedCloudSpec',
    required: ['release', 'topology', 'messageBus', 'database'],
    tsRequired: ['services'],
    description: 'Desired state of a DistributedCloud.',
    rules: [
      rule<SpecShape>({
        rule: "self.topology == 'distributed' || has(self.coreSite)",
        message: 'coreSite is required when topology is centralized or cells',
        fieldPath: '.coreSite',
        reason: 'FieldValueRequired',
        check: (self) => self.topology === 'distributed' || self.coreSite !== undefined,
      }),
      rule<SpecShape>({
        rule: 'has(self.siteSelector) || has(self.sites)',
        message: 'at least one of siteSelector or sites must be set',
        reason: 'FieldValueRequired',
        check: (self) => self.siteSelector !== undefined || self.sites !== undefined,
      }),
      rule<SpecShape>({
        rule: 'has(self.siteSelector) || !has(self.sites) || !has(self.coreSite) || self.coreSite in self.sites',
        message: 'coreSite must be one of sites when sites alone selects the EdgeSites',
        fieldPath: '.coreSite',
        check: (self) =>
          self.siteSelector !== undefined ||
          self.sites === undefined ||
          self.coreSite === undefined ||
          self.sites.includes(self.coreSite),
      }),
      rule<SpecShape>({
        rule: `self.messageBus.type != 'qpid-dispatch' || !(self.release in [${RELEASES_WITHOUT_AMQP1.map((r) => `'${r}'`).join(', ')}])`,
        message: `qpid-dispatch needs oslo.messaging's AMQP 1.0 driver, which releases ${RELEASES_WITHOUT_AMQP1.join(' and ')} no longer have: use rabbitmq`,
        fieldPath: '.messageBus.type',
        check: (self) => self.messageBus.type !== 'qpid-dispatch' || !RELEASES_WITHOUT_AMQP1.includes(self.release),
      }),
      rule<SpecShape>({
        rule: "self.database.type != 'cockroachdb'",
        message:
          'cockroachdb is not supported: no OpenStack service ships a CockroachDB SQLAlchemy dialect and its users need TLS for passwords; use mariadb (one database per site) or galera',
        fieldPath: '.database.type',
        check: (self) => self.database.type !== 'cockroachdb',
      }),
      rule<SpecShape>({
        rule: "self.topology != 'distributed' || self.database.type != 'galera'",
        message:
          'galera in the distributed topology would form one cluster whose members reach each other across sites by per-member addresses, which Discovery does not expose: use mariadb (one server per site, the Keystone database at the core)',
        fieldPath: '.database.type',
        check: (self) => self.topology !== 'distributed' || self.database.type !== 'galera',
      }),
      rule<SpecShape>({
        rule: '!has(self.kvStore)',
        message:
          'kvStore is not supported yet: none of the services Discovery deploys uses a key/value store (their caches use memcached); remove the field',
        fieldPath: '.kvStore',
        check: (self) => self.kvStore === undefined,
      }),
      rule<SpecShape>({
        rule: 'has(self.siteSelector) || !has(self.sites) || !has(self.siteOverrides) || self.siteOverrides.all(o, o.site in self.sites)',
        message: 'every siteOverrides[].site must be one of sites when sites alone selects the EdgeSites',
        fieldPath: '.siteOverrides',
        check: (self) =>
          self.siteSelector !== undefined ||
          self.sites === undefined ||
          self.siteOverrides === undefined ||
          self.siteOverrides.every((o) => self.sites!.includes(o.site)),
      }),
    ],
  },
);

/** At most this many units (the non-Ready ones, failures first) are listed in status.units. */
export const STATUS_MAX_UNITS = 50;
/** At most this many sites are listed in status.sites (all of them up to this; beyond, only the non-Ready ones). */
export const STATUS_MAX_SITES = 100;
/** Longest message kept in a unit or site entry. */
export const STATUS_MAX_MESSAGE = 500;

const unitStatus = object(
  {
    name: string({ description: 'Unit id, e.g. keystone-db-sync@core.', maxLength: 253 }),
    site: string({ description: 'EdgeSite name, or global.', maxLength: 253 }),
    component: string({ description: 'Catalog component.', maxLength: 63 }),
    step: string({ description: 'Catalog step.', maxLength: 63 }),
    phase: enumOf(['Pending', 'Applying', 'Ready', 'Failed', 'Deleting'], { tsName: 'UnitPhase' }),
    message: string({ description: 'Last error or progress note.', maxLength: STATUS_MAX_MESSAGE }),
    lastTransitionTime: string({ description: 'When phase last changed.', format: 'date-time' }),
    inputHash: string({ description: 'Hash of the rendered inputs last applied.', maxLength: 64 }),
    startedAt: string({
      description: 'When the objects of the current inputHash were first applied (ISO-8601, milliseconds).',
      format: 'date-time',
    }),
    readyAt: string({
      description: 'When the unit was first seen Ready for the current inputHash (ISO-8601, milliseconds).',
      format: 'date-time',
    }),
  },
  { tsName: 'UnitStatus', required: ['name', 'site', 'component', 'step', 'phase'] },
);

const siteSummary = object(
  {
    name: string({ description: 'EdgeSite name.', maxLength: 253 }),
    reachable: boolean(),
    unitsReady: integer({ minimum: 0 }),
    unitsTotal: integer({ minimum: 0 }),
    message: string({ maxLength: STATUS_MAX_MESSAGE }),
  },
  { tsName: 'SiteSummary', required: ['name', 'reachable', 'unitsReady', 'unitsTotal'] },
);

const count = (description: string) => integer({ description, minimum: 0 });

const distributedCloudStatus = object(
  {
    conditions,
    observedGeneration: integer({ description: 'metadata.generation last reconciled.', minimum: 0 }),
    sites: array(siteSummary, {
      description:
        `Per-site summary: every site up to ${STATUS_MAX_SITES}; beyond, only the sites not Ready (unreachable, ` +
        'units not Ready, or being removed), the others counted in sitesOmitted.',
      listType: 'map',
      listMapKeys: ['name'],
      maxItems: STATUS_MAX_SITES,
    }),
    sitesOmitted: count('Sites not listed in sites (Ready sites beyond the cap).'),
    units: array(unitStatus, {
      description:
        `The units not Ready, failures first, at most ${STATUS_MAX_UNITS} (the rest counted in unitsOmitted). ` +
        "Every unit's start and Ready times are in the ConfigMaps <name>-units-<site> (docs/operator.md).",
      listType: 'map',
      listMapKeys: ['name'],
      maxItems: STATUS_MAX_UNITS,
    }),
    unitsOmitted: count('Units not Ready that units does not list.'),
    unitCounts: object(
      {
        total: count('Planned units (plus units of dropped sites being deleted).'),
        pending: count('Waiting to start.'),
        applying: count('Applied, not Ready yet.'),
        ready: count('Ready.'),
        failed: count('Failed.'),
        deleting: count('Being deleted (no longer planned).'),
      },
      {
        tsName: 'UnitCounts',
        required: ['total', 'pending', 'applying', 'ready', 'failed', 'deleting'],
        description: 'Units by phase.',
      },
    ),
    plan: object(
      {
        units: integer({ minimum: 0 }),
        depth: integer({ minimum: 0 }),
        criticalPathSeconds: number0(),
        sites: integer({ minimum: 0 }),
      },
      { required: ['units', 'depth', 'criticalPathSeconds', 'sites'], description: 'Summary of the current plan.' },
    ),
    readySites: string({ description: 'Ready sites / selected sites, e.g. "3/4".', maxLength: 32 }),
    progress: string({ description: 'Ready units / planned units, e.g. "42/57".', maxLength: 32 }),
  },
  {
    tsName: 'DistributedCloudStatus',
    description: 'Observed state (conditions Ready, Progressing, Degraded).',
  },
);

function number0(): SchemaNode {
  return { type: 'number', minimum: 0 };
}

export const distributedCloud: ResourceDefinition = {
  kind: 'DistributedCloud',
  listKind: 'DistributedCloudList',
  plural: 'distributedclouds',
  singular: 'distributedcloud',
  shortNames: ['dc'],
  categories: ['discovery'],
  scope: 'Namespaced',
  printerColumns: [
    { name: 'Topology', type: 'string', jsonPath: '.spec.topology' },
    { name: 'Sites', type: 'string', jsonPath: '.status.readySites', description: 'Ready / selected sites' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Progress', type: 'string', jsonPath: '.status.progress', description: 'Ready / planned units' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Release', type: 'string', jsonPath: '.spec.release', priority: 1 },
    { name: 'Database', type: 'string', jsonPath: '.spec.database.type', priority: 1 },
    { name: 'Bus', type: 'string', jsonPath: '.spec.messageBus.type', priority: 1 },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
  ],
  extraTypes: [serviceName],
  schema: object(
    {
      apiVersion: string({ tsType: 'typeof API_VERSION', validatorEnum: [API_VERSION] }),
      kind: string({ tsType: "'DistributedCloud'", validatorEnum: ['DistributedCloud'] }),
      metadata: objectMeta,
      spec: distributedCloudSpec,
      status: distributedCloudStatus,
    },
    {
      tsName: 'DistributedCloud',
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      description: 'DistributedCloud is one OpenStack cloud spread over the EdgeSites it selects.',
    },
  ),
};
