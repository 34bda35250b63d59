// Nova service module: API/cell0/cell databases, nova-manage Jobs (api_db sync, map_cell0, create_cell, db sync,
// discover_hosts), Keystone registration, nova-api, conductor, scheduler and the nova-compute DaemonSet on compute
// nodes. nova.conf is rendered per unit: [api_database] only where the unit touches the API database (nova-api,
// scheduler, the super-conductor next to nova-api, and the cell-mapping Jobs); compute gets neither database.
import {
  CELL_LOCAL,
  COMPUTE,
  CONTROL,
  DATABASE_READY,
  KEYSTONE_READY,
  PER_CELL,
  dep,
  serviceEnabled,
} from '../catalog/steps.js';
import type { Unit } from '../planner/types.js';
import { applySite, coreSite, serviceAddress, siteServing, sitesHosting } from '../render/endpoints.js';
import { derived } from '../render/derived.js';
import { dcImage } from '../render/images.js';
import { renderIni, type IniDocument } from '../render/ini.js';
import {
  RESTRICTED_CONTAINER,
  configMounts,
  configSecret,
  configVolume,
  execProbe,
  httpProbe,
  job,
  resources,
  restrictedPodSecurity,
  serviceOf,
  workload,
  type ConfigFile,
} from '../render/k8s.js';
import { selectorLabels } from '../render/labels.js';
import { resolveConfig, resolveReplicas } from '../render/overrides.js';
import { secretValue } from '../render/secrets.js';
import { RenderError, type K8sObject, type RenderContext, type UnitRenderer } from '../render/types.js';
import { glance } from './glance.js';
import {
  apiRegion,
  keystoneAuthtoken,
  keystoneUrl,
  ksRegisterJob,
  serviceUserSecret,
  serviceUserSecretName,
} from './keystone.js';
import { busSite, messagingSections, transportUrl } from './message-bus.js';
import { defineOpenStackService } from './module.js';
import { cacheSection, databaseUserSecret, dbConnection, dbCreateJob, openStackImage } from './openstack.js';

const NAME = 'nova';
const PORTS = { api: 8774, metadata: 8775 } as const;
const SERVICE_NAMES = { api: 'nova-api', metadata: 'nova-metadata' } as const;
/** nova's own Kolla images (an image override replaces these); the nova-libvirt helper keeps Kolla's. */
const IMAGES = ['nova-api', 'nova-conductor', 'nova-scheduler', 'nova-compute'] as const;
const LIBVIRT_IMAGE = 'nova-libvirt';
const UID = 42436;
/** Shared secret between nova's metadata API and the network service's metadata proxy. */
const METADATA_PROXY_SECRET = 'nova-metadata-proxy';

type NovaImage = (typeof IMAGES)[number];

/** Site whose nova-api (and API database) serves a unit at `site`. */
export function novaApiSite(ctx: RenderContext, site: string): string {
  return siteServing(ctx, site, 'nova', 'api');
}

/** Whether `site` hosts a cell of its own (a cell DB + conductor); in cells, the API site only hosts cell0. */
export function hostsOwnCell(ctx: RenderContext, site: string): boolean {
  if (!ctx.index.hosts('nova', 'conductor', site)) return false;
  if (ctx.dc.spec.topology === 'cells') return !ctx.index.hosts('nova', 'api', site);
  return true;
}

/** The site whose cell DB / bus a unit at `site` belongs to (computes in centralized belong to the core's cell). */
export function cellSite(ctx: RenderContext, site: string): string {
  if (hostsOwnCell(ctx, site)) return site;
  // the cell of a site without one of its own: the core's when it has one, else the first (the same for every unit)
  const shared = derived(ctx, 'nova/shared-cell', () => {
    const core = coreSite(ctx);
    if (hostsOwnCell(ctx, core)) return core;
    return sitesHosting(ctx, 'nova', 'conductor').find((s) => hostsOwnCell(ctx, s));
  });
  return shared ?? novaApiSite(ctx, site);
}

type NovaRole = 'api' | 'conductor' | 'scheduler' | 'compute' | 'manage-api' | 'manage-cell';

const API_DB_ROLES: NovaRole[] = ['api', 'scheduler', 'manage-api'];
/** The daemons that call the network API (the scheduler and the nova-manage Jobs do not). */
const NEUTRON_ROLES: NovaRole[] = ['api', 'conductor', 'compute'];

function needsApiDatabase(ctx: RenderContext, site: string, role: NovaRole): boolean {
  if (API_DB_ROLES.includes(role)) return true;
  // The super-conductor runs next to nova-api; a cell conductor (cells topology, edge site) never sees the API DB.
  return role === 'conductor' && ctx.index.hosts('nova', 'api', site);
}

function servicePassword(ctx: RenderContext): string {
  return secretValue(ctx, serviceUserSecretName(NAME));
}

function serviceAuth(ctx: RenderContext, site: string, component: string): Record<string, string> {
  return {
    auth_type: 'password',
    auth_url: keystoneUrl(ctx, site),
    project_domain_name: 'Default',
    user_domain_name: 'Default',
    project_name: 'service',
    username: 'nova',
    password: servicePassword(ctx),
    region_name: apiRegion(ctx, site, component),
    // internal endpoints are in-cluster names of the API's own site: from another site only the public one answers
    valid_interfaces: siteServing(ctx, site, component, 'api') === site ? 'internal,public' : 'public',
  };
}

function apiUrlFrom(ctx: RenderContext, site: string, component: string, svc: string, port: number): string {
  const host = siteServing(ctx, site, component, 'api');
  return `http://${serviceAddress(ctx, site, host, { name: svc, component, step: 'api' }, port)}`;
}

export function novaConf(ctx: RenderContext, site: string, role: NovaRole): IniDocument {
  const apiSite = novaApiSite(ctx, site);
  const ownCell = cellSite(ctx, site);
  const doc: IniDocument = {
    DEFAULT: {
      log_file: '',
      use_stderr: 'true',
      transport_url: transportUrl(ctx, site, busSite(ctx, site)),
      control_exchange: 'nova',
    },
  };
  if (role === 'api') {
    Object.assign(doc.DEFAULT!, {
      enabled_apis: 'osapi_compute,metadata',
      osapi_compute_listen: '0.0.0.0',
      osapi_compute_listen_port: String(PORTS.api),
      metadata_listen: '0.0.0.0',
      metadata_listen_port: String(PORTS.metadata),
      osapi_compute_workers: '2',
      metadata_workers: '2',
    });
  }
  if (role === 'compute') {
    Object.assign(doc.DEFAULT!, {
      compute_driver: 'libvirt.LibvirtDriver',
      state_path: '/var/lib/nova',
      instances_path: '/var/lib/nova/instances',
    });
  }
  if (role !== 'compute') {
    // API-site daemons of the cells topology talk to cell0; everything else to its own cell's database.
    const cell0Only = ctx.dc.spec.topology === 'cells' && !hostsOwnCell(ctx, site) && role !== 'manage-cell';
    doc.database = {
      connection: cell0Only
        ? dbConnection(ctx, site, { user: 'nova', base: 'nova_cell0', ownerSite: apiSite })
        : dbConnection(ctx, site, { user: 'nova', base: 'nova', ownerSite: ownCell }),
      max_retries: '-1',
    };
  }
  if (needsApiDatabase(ctx, site, role)) {
    doc.api_database = {
      connection: dbConnection(ctx, site, { user: 'nova', base: 'nova_api', ownerSite: apiSite }),
      max_retries: '-1',
    };
  }
  if (role === 'api') {
    doc.api = { auth_strategy: 'keystone' };
    doc.keystone_authtoken = keystoneAuthtoken(ctx, site, NAME);
    doc.neutron = { metadata_proxy_shared_secret: secretValue(ctx, METADATA_PROXY_SECRET, 'shared-secret') };
  }
  if (NEUTRON_ROLES.includes(role) && sitesHosting(ctx, 'neutron', 'api').length > 0) {
    // nova's own service user (admin in project "service"), as for placement: nova-compute's delete, start and
    // reboot list a server's ports as admin, the conductor cleans up the ports of failed builds, nova-api's proxy
    // calls use the user's token (docs/research/guest-boot.md). The network endpoint comes from the catalog.
    doc.neutron = { ...doc.neutron, ...serviceAuth(ctx, site, 'neutron') };
  }
  if (role === 'api' || role === 'compute') {
    doc.service_user = { send_service_user_token: 'true', ...serviceAuth(ctx, site, 'keystone') };
  }
  doc.placement = serviceAuth(ctx, site, 'placement');
  doc.glance = {
    api_servers: apiUrlFrom(ctx, site, 'glance', glance.serviceNames.api, glance.ports.api),
    num_retries: '3',
  };
  doc.cache = cacheSection(ctx, site);
  // new computes (a node added later, a compute registered after the discover-hosts Job) are mapped within 30 s
  if (role === 'scheduler') doc.scheduler = { discover_hosts_in_cells_interval: '30', workers: '2' };
  if (role === 'conductor') doc.conductor = { workers: '2' };
  if (role === 'compute') {
    doc.libvirt = { virt_type: 'kvm', connection_uri: 'qemu+unix:///system?socket=/run/libvirt/libvirt-sock' };
    doc.vnc = { enabled: 'false' };
  }
  doc.oslo_concurrency = { lock_path: '/var/lib/nova/tmp' };
  Object.assign(doc, messagingSections(ctx));
  doc.oslo_messaging_notifications = { driver: 'noop' };
  return resolveConfig(ctx, NAME, site, doc);
}

function image(ctx: RenderContext, site: string, container: NovaImage): string {
  return openStackImage(ctx, { name: NAME, images: IMAGES }, container, site);
}

function confFile(ctx: RenderContext, site: string, role: NovaRole): ConfigFile {
  return { key: 'nova.conf', path: '/etc/nova/nova.conf', content: renderIni(novaConf(ctx, site, role)) };
}

function manageJob(
  ctx: RenderContext,
  unit: Unit,
  role: NovaRole,
  args: string[],
  extraFiles: ConfigFile[] = [],
): K8sObject[] {
  const site = applySite(unit);
  return job(ctx, unit, {
    baseName: `nova-${unit.step}`,
    image: image(ctx, site, 'nova-api'),
    command: ['nova-manage', '--config-file', '/etc/nova/nova.conf', ...args],
    files: [confFile(ctx, site, role), ...extraFiles],
    uid: UID,
  });
}

/** Databases a site's nova-db-create makes: API + cell0 where nova-api runs, the cell DB where a cell lives. */
function novaDatabases(ctx: RenderContext, site: string): string[] {
  const out: string[] = [];
  if (ctx.index.hosts('nova', 'api', site)) out.push('nova_api', 'nova_cell0');
  if (hostsOwnCell(ctx, site)) out.push('nova');
  return out.length ? out : ['nova'];
}

/** Cell name of the create-cell unit: the planner's `cell`, else the site name (cells) or "cell1". */
function cellName(ctx: RenderContext, unit: Unit): string {
  if (unit.cell) return unit.cell;
  return ctx.dc.spec.topology === 'cells' ? unit.site : 'cell1';
}

/** A credential a nova-manage Job passes on its command line, as a file of its config Secret (never a Pod arg). */
function credentialFile(key: string, content: string): ConfigFile {
  return { key, path: `/etc/discovery/${key}`, content };
}

/** A nova-manage Job running a shell script (so that credentials are read from files at run time). */
function manageScriptJob(ctx: RenderContext, unit: Unit, script: string[], files: ConfigFile[]): K8sObject[] {
  const site = applySite(unit);
  return job(ctx, unit, {
    baseName: `nova-${unit.step}`,
    image: image(ctx, site, 'nova-api'),
    command: ['sh', '/etc/discovery/run.sh'],
    files: [
      confFile(ctx, site, 'manage-api'),
      ...files,
      { key: 'run.sh', path: '/etc/discovery/run.sh', content: `${script.join('\n')}\n` },
    ],
    uid: UID,
  });
}

/**
 * create_cell stores the cell's transport URL and DB connection in the API database; nova-api and the
 * super-conductor read them from the API site, so both are written as reached from there. Idempotent: a cell of
 * that name is updated (create_cell refuses a second run with exit 2). The credentials come from files.
 */
const createCell: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const cell = cellSite(ctx, unit.site);
  const apiSite = novaApiSite(ctx, site);
  const name = cellName(ctx, unit);
  const manage = 'nova-manage --config-file /etc/nova/nova.conf cell_v2';
  return manageScriptJob(
    ctx,
    unit,
    [
      'set -eu',
      'transport=$(cat /etc/discovery/cell-transport-url)',
      'connection=$(cat /etc/discovery/cell-database-connection)',
      // list_cells prints "| Name | UUID | Transport URL | Database Connection | Disabled |" (credentials masked).
      `uuid=$(${manage} list_cells | awk -F'|' -v n='${name}' '{gsub(/ /, "", $2); gsub(/ /, "", $3)} $2 == n {print $3}')`,
      'if [ -z "$uuid" ]; then',
      `  exec ${manage} create_cell --name='${name}' --transport-url="$transport" --database_connection="$connection" --verbose`,
      'fi',
      `echo "cell ${name} exists ($uuid): updating its transport URL and database connection"`,
      `exec ${manage} update_cell --cell_uuid="$uuid" --transport-url="$transport" --database_connection="$connection"`,
    ],
    [
      credentialFile('cell-transport-url', transportUrl(ctx, apiSite, busSite(ctx, cell))),
      credentialFile(
        'cell-database-connection',
        dbConnection(ctx, apiSite, { user: 'nova', base: 'nova', ownerSite: cell }),
      ),
    ],
  );
};

/** discover_hosts until a compute host of `cell` is mapped (every 5 s, at most 5 min). */
export function discoverHostsScript(cell: string): string[] {
  const manage = 'nova-manage --config-file /etc/nova/nova.conf cell_v2';
  return [
    'set -u',
    'for attempt in $(seq 1 60); do',
    `  ${manage} discover_hosts --verbose || true`,
    // list_hosts prints "| Cell Name | Cell UUID | Hostname |"
    `  hosts=$(${manage} list_hosts | awk -F'|' -v c='${cell}' '{gsub(/ /, "", $2)} $2 == c' | wc -l)`,
    `  if [ "$hosts" -gt 0 ]; then echo "cell ${cell}: $hosts compute host(s) mapped"; exit 0; fi`,
    `  echo "cell ${cell}: no compute host registered yet (attempt $attempt of 60)" >&2`,
    '  sleep 5',
    'done',
    'exit 1',
  ];
}

function daemon(
  unit: Unit,
  ctx: RenderContext,
  role: 'api' | 'conductor' | 'scheduler',
  container: NovaImage,
  probes: { readinessProbe: unknown; livenessProbe: unknown },
  ports: { name: string; port: number }[] = [],
): K8sObject[] {
  const site = applySite(unit);
  const name = `nova-${role}`;
  const files = [confFile(ctx, site, role)];
  const config = configSecret(`${name}-etc`, files);
  const c = {
    name,
    image: image(ctx, site, container),
    imagePullPolicy: 'IfNotPresent',
    command: [name, '--config-file', '/etc/nova/nova.conf'],
    ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
    ...probes,
    resources: resources('100m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), { name: 'state', mountPath: '/var/lib/nova' }],
  };
  if (!ports.length) delete (c as { ports?: unknown }).ports;
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name,
    replicas: resolveReplicas(ctx, NAME, site),
    role: 'control-plane',
    config: [config],
    containers: [c],
    volumes: [configVolume(`${name}-etc`), { name: 'state', emptyDir: {} }],
    securityContext: restrictedPodSecurity(UID),
    spread: true,
  });
  const out = [config, deployment];
  if (role === 'api') {
    const labels = selectorLabels(ctx, unit.component, unit.step, unit.site);
    out.push(serviceOf(SERVICE_NAMES.api, labels, [{ name: 'http', port: PORTS.api }]));
    out.push(serviceOf(SERVICE_NAMES.metadata, labels, [{ name: 'http', port: PORTS.metadata }]));
  }
  return out;
}

/**
 * The daemon's process is alive: `pgrep -x` on its command name (at most 15 characters, which nova-conductor and
 * nova-scheduler fit). Never `pgrep -f` under `sh -c`: it matches the probe's own shell and never fails.
 */
export function processProbe(name: string, initial: number): unknown {
  if (name.length > 15) throw new RenderError(`process name "${name}" exceeds the 15 characters pgrep -x can match`);
  return execProbe(['pgrep', '-x', name], initial, 30);
}

/**
 * libvirtd.conf: nova-compute reaches libvirtd over the node-local UNIX socket only, so no TCP/TLS listener (its
 * default, listen_tls, needs certificates and makes libvirtd exit at start).
 */
export const LIBVIRTD_CONF = [
  'listen_tls = 0',
  'listen_tcp = 0',
  'unix_sock_rw_perms = "0770"',
  'auth_unix_rw = "none"',
  'log_outputs = "3:stderr"',
  '',
].join('\n');

/**
 * qemu.conf: QEMU writes the guest's log and serial console itself (the default stdio handler needs a virtlogd,
 * which does not run here); no AppArmor/SELinux driver and no per-guest /dev namespace inside a container; no
 * ownership remembering (trusted.* xattrs are missing on many overlay filesystems).
 */
export const QEMU_CONF = [
  'stdio_handler = "file"',
  'security_driver = "none"',
  'namespaces = [ ]',
  'remember_owner = 0',
  '',
].join('\n');

/** nova-compute's start: [DEFAULT] host from NOVA_HOST in a config file of its own, then nova-compute. */
export const COMPUTE_START = [
  'printf \'[DEFAULT]\\nhost = %s\\n\' "$NOVA_HOST" > /tmp/nova-host.conf',
  'exec nova-compute --config-file /etc/nova/nova.conf --config-file /tmp/nova-host.conf',
].join(' && ');

const compute: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const files = [confFile(ctx, site, 'compute')];
  const libvirtFiles: ConfigFile[] = [
    { key: 'libvirtd.conf', path: '/etc/libvirt/libvirtd.conf', content: LIBVIRTD_CONF },
    { key: 'qemu.conf', path: '/etc/libvirt/qemu.conf', content: QEMU_CONF },
  ];
  const config = configSecret('nova-compute-etc', [...files, ...libvirtFiles]);
  const privileged = { privileged: true, runAsUser: 0 };
  const hostPath = (name: string, path: string, type = 'DirectoryOrCreate') => ({ name, hostPath: { path, type } });
  const containers = [
    {
      name: 'nova-compute',
      image: image(ctx, site, 'nova-compute'),
      imagePullPolicy: 'IfNotPresent',
      // The compute service's host name is `<site>-<node>`: unique across the clusters sharing a cell, stable across
      // pod restarts (a pod name would leave a dead service record behind each rolling update).
      command: ['sh', '-c', COMPUTE_START],
      env: [
        { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'NOVA_HOST', value: `${site}-$(NODE_NAME)` },
      ],
      readinessProbe: processProbe('nova-compute', 15),
      livenessProbe: processProbe('nova-compute', 60),
      resources: resources('100m', '512Mi', '2Gi'),
      securityContext: privileged,
      volumeMounts: [
        ...configMounts(files),
        { name: 'nova-state', mountPath: '/var/lib/nova' },
        { name: 'nova-instances', mountPath: '/var/lib/nova/instances' },
        { name: 'libvirt-state', mountPath: '/var/lib/libvirt' },
        { name: 'libvirt-run', mountPath: '/run/libvirt' },
        { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
      ],
    },
    {
      name: 'nova-libvirt',
      image: dcImage(ctx.dc, LIBVIRT_IMAGE),
      imagePullPolicy: 'IfNotPresent',
      command: ['/usr/sbin/libvirtd'],
      readinessProbe: execProbe(['virsh', 'version', '--daemon'], 10, 30),
      livenessProbe: execProbe(['virsh', 'version', '--daemon'], 60, 30),
      resources: resources('100m', '256Mi', '2Gi'),
      securityContext: privileged,
      volumeMounts: [
        { name: 'nova-state', mountPath: '/var/lib/nova' },
        { name: 'nova-instances', mountPath: '/var/lib/nova/instances' },
        { name: 'libvirt-state', mountPath: '/var/lib/libvirt' },
        { name: 'libvirt-run', mountPath: '/run/libvirt' },
        { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
        { name: 'cgroup', mountPath: '/sys/fs/cgroup' },
        { name: 'dev', mountPath: '/dev' },
        // Domain definitions survive a restart of the pod, on the node that runs the guests.
        { name: 'libvirt-qemu-etc', mountPath: '/etc/libvirt/qemu' },
        ...configMounts(libvirtFiles),
      ],
    },
  ];
  // Hypervisor access needs root and host namespaces: nova-compute is the one workload outside "restricted".
  const ds = workload(ctx, unit, {
    kind: 'DaemonSet',
    name: 'nova-compute',
    role: 'compute',
    config: [config],
    containers,
    volumes: [
      configVolume('nova-compute-etc'),
      hostPath('nova-state', '/var/lib/nova'),
      // nova's instances_path must exist before its first resource update (the kubelet creates it)
      hostPath('nova-instances', '/var/lib/nova/instances'),
      hostPath('libvirt-state', '/var/lib/libvirt'),
      hostPath('libvirt-run', '/run/libvirt'),
      hostPath('lib-modules', '/lib/modules', 'Directory'),
      hostPath('cgroup', '/sys/fs/cgroup', 'Directory'),
      hostPath('dev', '/dev', 'Directory'),
      hostPath('libvirt-qemu-etc', '/etc/libvirt/qemu'),
    ],
    hostNetwork: true,
    hostPID: true,
    terminationGracePeriodSeconds: 120,
  });
  return [config, ds];
};

const renderers = {
  'db-create': (unit, ctx) => dbCreateJob(ctx, unit, NAME, novaDatabases(ctx, applySite(unit))),
  'api-db-sync': (unit, ctx) => manageJob(ctx, unit, 'manage-api', ['api_db', 'sync']),
  // Idempotent upstream (a mapped cell0 is left as it is); the connection comes from a file, not the Pod spec.
  'map-cell0': (unit, ctx) => {
    const apiSite = novaApiSite(ctx, applySite(unit));
    return manageScriptJob(
      ctx,
      unit,
      [
        'set -eu',
        'exec nova-manage --config-file /etc/nova/nova.conf cell_v2 map_cell0 --database_connection="$(cat /etc/discovery/cell0-database-connection)"',
      ],
      [
        credentialFile(
          'cell0-database-connection',
          dbConnection(ctx, apiSite, { user: 'nova', base: 'nova_cell0', ownerSite: apiSite }),
        ),
      ],
    );
  },
  'create-cell': createCell,
  // At the API site, sync every cell (and cell0) known to the API DB; at a cell site, only the local cell DB.
  'db-sync': (unit, ctx) => {
    const site = applySite(unit);
    return ctx.index.hosts('nova', 'api', site)
      ? manageJob(ctx, unit, 'manage-api', ['db', 'sync'])
      : manageJob(ctx, unit, 'manage-cell', ['db', 'sync', '--local_cell']);
  },
  'ks-register': (unit, ctx) =>
    ksRegisterJob(ctx, unit, NAME, [
      {
        type: 'compute',
        description: 'OpenStack Compute',
        svc: SERVICE_NAMES.api,
        port: PORTS.api,
        path: '/v2.1',
      },
    ]),
  api: (unit, ctx) =>
    daemon(
      unit,
      ctx,
      'api',
      'nova-api',
      { readinessProbe: httpProbe('/', PORTS.api, 10), livenessProbe: httpProbe('/', PORTS.api, 60, 20) },
      [
        { name: 'http', port: PORTS.api },
        { name: 'metadata', port: PORTS.metadata },
      ],
    ),
  conductor: (unit, ctx) =>
    daemon(unit, ctx, 'conductor', 'nova-conductor', {
      readinessProbe: processProbe('nova-conductor', 15),
      livenessProbe: processProbe('nova-conductor', 60),
    }),
  scheduler: (unit, ctx) =>
    daemon(unit, ctx, 'scheduler', 'nova-scheduler', {
      readinessProbe: processProbe('nova-scheduler', 15),
      livenessProbe: processProbe('nova-scheduler', 60),
    }),
  compute: compute,
  // nova-compute registers its compute node only after it started (the unit is Ready when the process runs): map
  // hosts until at least one of the cell is mapped, so the smoke Job finds a hypervisor; later ones are mapped by the
  // scheduler's periodic discovery.
  'discover-hosts': (unit, ctx) => manageScriptJob(ctx, unit, discoverHostsScript(cellName(ctx, unit)), []),
} satisfies Record<string, UnitRenderer>;

export const nova = defineOpenStackService({
  component: {
    name: NAME,
    description: 'compute service (API, cells, conductor, scheduler, compute)',
    enabled: serviceEnabled(NAME),
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
        dependsOn: [dep(NAME, 'db-create', 'same-site')],
        description: 'nova-manage api_db sync',
      },
      {
        id: 'map-cell0',
        kind: 'job',
        expectedSeconds: 15,
        placement: CONTROL,
        dependsOn: [dep(NAME, 'api-db-sync', 'same-site')],
        description: 'nova-manage cell_v2 map_cell0',
      },
      {
        id: 'create-cell',
        kind: 'job',
        expectedSeconds: 15,
        placement: PER_CELL,
        dependsOn: [
          dep(NAME, 'map-cell0'),
          dep(NAME, 'db-create', 'cell'),
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
          dep(NAME, 'create-cell', 'same-site', { optional: true }),
          dep(NAME, 'map-cell0'),
          dep(NAME, 'db-create', 'same-site'),
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
          dep(NAME, 'map-cell0', 'same-site'),
          dep(NAME, 'ks-register', 'same-site'),
          dep('placement', 'api'),
          dep('glance', 'api'),
          dep('message-bus', 'server'),
          dep('memcached', 'server'),
          // the network endpoint in the catalog (dropped from the plan when neutron is not deployed)
          dep('neutron', 'ks-register'),
        ],
        description: 'nova-api (and metadata) Deployment and Service',
      },
      {
        id: 'conductor',
        kind: 'workload',
        expectedSeconds: 30,
        placement: CELL_LOCAL,
        // Its service user authenticates at start (placement, service token): the user must exist.
        dependsOn: [
          dep(NAME, 'db-sync', 'same-site'),
          dep(NAME, 'ks-register'),
          dep('message-bus', 'server'),
          dep('neutron', 'ks-register'),
        ],
        description: 'nova-conductor (the super-conductor at the core in cells, a cell conductor per edge cell)',
      },
      {
        id: 'scheduler',
        kind: 'workload',
        expectedSeconds: 30,
        placement: CONTROL,
        dependsOn: [
          dep(NAME, 'db-sync'),
          dep(NAME, 'ks-register'),
          dep('placement', 'api'),
          dep('message-bus', 'server'),
        ],
        description: 'nova-scheduler',
      },
      {
        id: 'compute',
        kind: 'workload',
        expectedSeconds: 40,
        placement: COMPUTE,
        dependsOn: [
          dep(NAME, 'conductor'),
          dep(NAME, 'ks-register'),
          dep('message-bus', 'server'),
          dep('placement', 'api'),
          dep('neutron', 'ks-register'),
        ],
        description: 'nova-compute DaemonSet on compute-role nodes',
      },
      {
        id: 'discover-hosts',
        kind: 'job',
        expectedSeconds: 15,
        placement: PER_CELL,
        dependsOn: [
          dep(NAME, 'compute', 'all-sites', { when: { topologies: ['centralized'] } }),
          dep(NAME, 'compute', 'same-site', { when: { topologies: ['cells', 'distributed'] } }),
          dep(NAME, 'create-cell', 'same-site'),
        ],
        description: 'nova-manage cell_v2 discover_hosts for the cell',
      },
    ],
  },
  renderers,
  // Hypervisor access needs root and host namespaces: nova-compute is the one workload outside "restricted".
  privilegedSteps: ['compute'],
  secrets: [
    databaseUserSecret(NAME),
    serviceUserSecret(NAME),
    { name: METADATA_PROXY_SECRET, keys: { 'shared-secret': 'password' } },
  ],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uid: UID,
});
