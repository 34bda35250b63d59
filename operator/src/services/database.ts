// Database backend module: MariaDB (one server per hosting site), Galera (per-site StatefulSets forming ONE wsrep
// cluster across sites) and CockroachDB (per-site StatefulSets with locality flags joining one cluster, plus a global
// `cockroach init` Job). Also where OpenStack services find their database server (databaseHost, databasePort).
import { CELL_LOCAL, dep } from '../catalog/steps.js';
import type { Unit } from '../planner/types.js';
import { derived } from '../render/derived.js';
import { applySite, coreSite, podHost, serviceAddress, siteServing, sitesHosting } from '../render/endpoints.js';
import {
  RESTRICTED_CONTAINER,
  configSecret,
  configVolume,
  dataClaim,
  execProbe,
  httpProbe,
  job,
  KOLLA_CONFIG_DIR,
  KOLLA_START,
  kollaConfigFiles,
  kollaConfigMount,
  resources,
  restrictedPodSecurity,
  serviceOf,
  workload,
  type ConfigFile,
  type Json,
} from '../render/k8s.js';
import { backendImage } from '../render/images.js';
import { selectorLabels, targetNamespace } from '../render/labels.js';
import { passwordSecret, secretValue } from '../render/secrets.js';
import { RenderError, type K8sObject, type RenderContext } from '../render/types.js';
import { defineBackend } from './module.js';

const PORTS = {
  mysql: 3306,
  galeraReplication: 4567,
  galeraIst: 4568,
  galeraSst: 4444,
  cockroach: 26257,
  cockroachHttp: 8080,
} as const;
const SERVICE_NAMES = { server: 'database' } as const;
const IMAGES = {
  /** Kolla's MariaDB (with Galera and mariadb-backup), resolved through spec.images. */
  mariadb: 'mariadb-server',
  cockroachdb: 'docker.io/cockroachdb/cockroach:v24.1.5',
  /** Client image of the DB-create Jobs against MariaDB/Galera: the server image has the mariadb client. */
  mariadbClient: 'mariadb-server',
} as const;
/** Kolla's uid of mysql (42434); cockroach's image runs as 1000. */
const UIDS = { mariadb: 42434, cockroachdb: 1000, mariadbClient: 42434 } as const;
/** Root credentials of the database servers. */
export const DATABASE_ROOT_SECRET = 'database-root';

const STS = SERVICE_NAMES.server;
const HEADLESS = `${STS}-headless`;

/** Whether a logical database spans sites: Galera / CockroachDB in distributed form one cluster over every site. */
export function databaseSpansSites(ctx: RenderContext): boolean {
  return ctx.dc.spec.topology === 'distributed' && ctx.dc.spec.database.type !== 'mariadb';
}

/** The site hosting the database server a unit at `fromSite` talks to, for a logical database. */
export function databaseSite(ctx: RenderContext, fromSite: string, shared: boolean): string {
  // Independent per-site servers: data every site shares (Keystone in distributed) lives at the core.
  if (shared && !databaseSpansSites(ctx)) {
    const core = coreSite(ctx);
    return ctx.index.hosts('database', 'server', core) ? core : (sitesHosting(ctx, 'database', 'server')[0] ?? core);
  }
  return siteServing(ctx, fromSite, 'database', 'server');
}

/** `host:port` of the database Service at `hostSite` as seen from `fromSite`. */
export function databaseServiceAddress(ctx: RenderContext, fromSite: string, hostSite: string): string {
  const ref = { name: SERVICE_NAMES.server, component: 'database', step: 'server' };
  return serviceAddress(ctx, fromSite, hostSite, ref, databasePort(ctx));
}

/** `host:port` of the database server a unit at `fromSite` uses (see databaseSite). */
export function databaseAddress(ctx: RenderContext, fromSite: string, shared: boolean): string {
  return databaseServiceAddress(ctx, fromSite, databaseSite(ctx, fromSite, shared));
}

export function databasePort(ctx: RenderContext): number {
  return ctx.dc.spec.database.type === 'cockroachdb' ? PORTS.cockroach : PORTS.mysql;
}

/** Client image and uid of Jobs running SQL against the database (cockroach's own CLI, else the mariadb client). */
export function databaseClient(ctx: RenderContext): { image: string; uid: number } {
  return ctx.dc.spec.database.type === 'cockroachdb'
    ? { image: IMAGES.cockroachdb, uid: UIDS.cockroachdb }
    : { image: backendImage(ctx.dc, IMAGES.mariadbClient), uid: UIDS.mariadbClient };
}

export function databaseReplicas(ctx: RenderContext): number {
  // A plain MariaDB has no replication: it always runs one pod.
  return ctx.dc.spec.database.type === 'mariadb' ? 1 : (ctx.dc.spec.database.replicas ?? 1);
}

/** Sites forming the database cluster `site` belongs to: every DB site when it spans sites, else `site` alone. */
export function clusterSites(ctx: RenderContext, site: string): readonly string[] {
  return databaseSpansSites(ctx) ? sitesHosting(ctx, 'database', 'server') : [site];
}

/**
 * Every database pod of the cluster `fromSite` belongs to. A cluster spanning sites (distributed Galera or
 * CockroachDB, both refused by the API server) would need an address per member across sites, which nothing exposes.
 */
export function clusterMembers(ctx: RenderContext, fromSite: string): string[] {
  const sites = clusterSites(ctx, fromSite);
  if (sites.length > 1 || sites[0] !== fromSite)
    throw new RenderError(
      `a ${ctx.dc.spec.database.type} cluster spanning sites needs per-member addresses across sites, which Discovery does not expose: use database.type mariadb in the distributed topology`,
    );
  return Array.from({ length: databaseReplicas(ctx) }, (_, i) => podHost(ctx, fromSite, STS, i));
}

/** The Galera segment of `site`: its position among the cluster's sites (one lookup; the positions once per context). */
function gcommSegment(ctx: RenderContext, site: string): number {
  if (!databaseSpansSites(ctx)) return 0;
  const segments = derived(
    ctx,
    'database/segments',
    () => new Map(sitesHosting(ctx, 'database', 'server').map((s, i) => [s, i] as const)),
  );
  return segments.get(site) ?? -1;
}

/** my.cnf for MariaDB / Galera. */
export function myCnf(ctx: RenderContext, site: string): string {
  const lines = [
    '[mysqld]',
    'bind-address = 0.0.0.0',
    `port = ${PORTS.mysql}`,
    `socket = ${MYSQL_SOCKET}`,
    'datadir = /var/lib/mysql',
    'character-set-server = utf8mb3',
    'collation-server = utf8mb3_general_ci',
    'max_connections = 4096',
    'skip-name-resolve = 1',
    'innodb_buffer_pool_size = 256M',
    'innodb_file_per_table = 1',
    'default_storage_engine = InnoDB',
  ];
  if (ctx.dc.spec.database.type === 'galera') {
    lines.push(
      'binlog_format = ROW',
      'innodb_autoinc_lock_mode = 2',
      '',
      '[galera]',
      'wsrep_on = ON',
      'wsrep_provider = /usr/lib/galera/libgalera_smm.so',
      `wsrep_cluster_name = ${ctx.dc.metadata.name ?? 'discovery'}`,
      `wsrep_cluster_address = gcomm://${clusterMembers(ctx, site).join(',')}`,
      'wsrep_sst_method = mariabackup',
      `wsrep_provider_options = "gmcast.segment=${gcommSegment(ctx, site)}; evs.suspect_timeout=PT10S"`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** MariaDB's UNIX socket in Debian's (and Kolla's) layout. */
export const MYSQL_SOCKET = '/run/mysqld/mysqld.sock';

/**
 * The start script of a Galera member (kolla_start runs it; "$@" are mariadbd's extra arguments, e.g. the
 * --init-file of a first start). A new cluster is bootstrapped by the first member of the first site; after a full
 * restart, by the member that shut down last (grastate.dat says safe_to_bootstrap: 1) — each only when no other
 * member is already in a primary component. Every other start joins. After a crash of every member (none safe to
 * bootstrap) nothing bootstraps by itself: docs/operator.md gives the recovery.
 */
export function galeraStartScript(ctx: RenderContext, site: string): string {
  const peers = clusterMembers(ctx, site);
  const self = podHost(ctx, site, STS, 0).replace(/^[^.]+/, '$POD_NAME');
  const bootstrapper = clusterSites(ctx, site)[0] === site ? podHost(ctx, site, STS, 0) : '';
  return [
    '#!/bin/bash',
    'set -u',
    'state=/var/lib/mysql/grastate.dat',
    `self="${self}"`,
    `peers=(${peers.join(' ')})`,
    'primary_peer() {',
    '  local h',
    '  for h in "${peers[@]}"; do',
    '    [ "$h" = "$self" ] && continue',
    `    if timeout 10 mariadb --defaults-extra-file=${KOLLA_CONFIG_DIR}/client.cnf --connect-timeout=3 -h "$h" \\`,
    `        -Nse "SHOW STATUS LIKE 'wsrep_cluster_status'" 2>/dev/null | grep -qx $'wsrep_cluster_status\\tPrimary'; then`,
    '      echo "galera-start: $h is in a primary component: joining" >&2',
    '      return 0',
    '    fi',
    '  done',
    '  return 1',
    '}',
    'if [ ! -f "$state" ]; then',
    `  if [ "$self" = "${bootstrapper}" ] && ! primary_peer; then`,
    '    echo "galera-start: new cluster: bootstrapping it" >&2',
    '    exec mariadbd --wsrep-new-cluster "$@"',
    '  fi',
    `elif grep -q '^safe_to_bootstrap: *1' "$state" && ! primary_peer; then`,
    '  echo "galera-start: no member is in a primary component and this one stopped last: bootstrapping" >&2',
    '  exec mariadbd --wsrep-new-cluster "$@"',
    'fi',
    'exec mariadbd "$@"',
    '',
  ].join('\n');
}

/** Readiness of a Galera member: a query answers, and the member is Synced in a primary component. */
export function galeraReadyCheck(client: string[]): string {
  const status = (name: string) => `$(${client.join(' ')} -Nse "SHOW STATUS LIKE '${name}'" | cut -f2)`;
  return `[ "${status('wsrep_local_state_comment')}" = Synced ] && [ "${status('wsrep_cluster_status')}" = Primary ]`;
}

/** cockroach start arguments: locality from the EdgeSite, --join listing every member of every site. */
export function cockroachArgs(ctx: RenderContext, site: string): string[] {
  const es = ctx.sites.get(site);
  if (!es) throw new RenderError(`EdgeSite "${site}" is not in the render context`);
  const ns = targetNamespace(ctx, site);
  const advertise = `$(POD_NAME).${HEADLESS}.${ns}.svc`;
  const locality = [`region=${es.spec.region}`, `zone=${es.spec.zone ?? site}`].join(',');
  return [
    'start',
    '--insecure',
    `--advertise-addr=${advertise}:${PORTS.cockroach}`,
    `--listen-addr=0.0.0.0:${PORTS.cockroach}`,
    `--http-addr=0.0.0.0:${PORTS.cockroachHttp}`,
    `--join=${clusterMembers(ctx, site)
      .map((h) => `${h}:${PORTS.cockroach}`)
      .join(',')}`,
    `--locality=${locality}`,
    '--cache=.25',
    '--max-sql-memory=.25',
    '--store=path=/cockroach/cockroach-data',
    '--logtostderr=INFO',
  ];
}

function server(unit: Unit, ctx: RenderContext): K8sObject[] {
  const site = applySite(unit);
  const type = ctx.dc.spec.database.type;
  const labels = selectorLabels(ctx, unit.component, unit.step, unit.site);
  const storage = ctx.dc.spec.database.storageSize ?? '10Gi';
  const replicas = databaseReplicas(ctx);
  let files: ConfigFile[];
  let container: Json;
  let ports: { name: string; port: number }[];
  let uid: number;
  if (type === 'cockroachdb') {
    files = [];
    uid = UIDS.cockroachdb;
    ports = [
      { name: 'sql', port: PORTS.cockroach },
      { name: 'http', port: PORTS.cockroachHttp },
    ];
    container = {
      name: 'cockroachdb',
      image: IMAGES.cockroachdb,
      command: ['/cockroach/cockroach'],
      args: cockroachArgs(ctx, site),
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      readinessProbe: httpProbe('/health?ready=1', PORTS.cockroachHttp, 10, 5),
      livenessProbe: httpProbe('/health', PORTS.cockroachHttp, 30, 10),
      volumeMounts: [{ name: 'data', mountPath: '/cockroach/cockroach-data' }],
    };
  } else {
    uid = UIDS.mariadb;
    const galera = type === 'galera';
    const root = secretValue(ctx, DATABASE_ROOT_SECRET);
    files = kollaConfigFiles(
      galera ? `bash ${KOLLA_CONFIG_DIR}/galera-start.sh` : 'mariadbd',
      [
        {
          key: 'discovery.cnf',
          content: myCnf(ctx, site),
          dest: '/etc/mysql/mariadb.conf.d/99-discovery.cnf',
          owner: 'mysql',
          perm: '0600',
        },
      ],
      [
        { key: 'root-password', content: root },
        // The probes' (and galera-start.sh's) credentials: a file, never an argument or env value.
        { key: 'client.cnf', content: `[client]\nuser = root\npassword = ${root}\nsocket = ${MYSQL_SOCKET}\n` },
        ...(galera ? [{ key: 'galera-start.sh', content: galeraStartScript(ctx, site) }] : []),
      ],
    );
    ports = [{ name: 'mysql', port: PORTS.mysql }];
    if (galera) {
      ports.push(
        { name: 'galera', port: PORTS.galeraReplication },
        { name: 'ist', port: PORTS.galeraIst },
        { name: 'sst', port: PORTS.galeraSst },
      );
    }
    const client = ['mariadb', `--defaults-extra-file=${KOLLA_CONFIG_DIR}/client.cnf`];
    container = {
      name: 'mariadb',
      image: backendImage(ctx.dc, IMAGES.mariadb),
      command: KOLLA_START,
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        // The image's first start initialises the data directory and gives root this password (Kolla's contract).
        { name: 'DB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'database-etc', key: 'root-password' } } },
      ],
      // Ready: a query answers (Galera: and this member is Synced with a primary component).
      readinessProbe: execProbe(
        galera ? ['bash', '-c', galeraReadyCheck(client)] : [...client, '-e', 'SELECT 1'],
        10,
        10,
      ),
      // Alive: mariadbd answers at all (mariadb-admin ping exits 0 even when a query would be refused).
      livenessProbe: execProbe(['mariadb-admin', `--socket=${MYSQL_SOCKET}`, 'ping'], 60, 20),
      volumeMounts: [kollaConfigMount(), { name: 'data', mountPath: '/var/lib/mysql' }],
    };
  }
  Object.assign(container, {
    imagePullPolicy: 'IfNotPresent',
    ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
    resources: resources('250m', '512Mi', '4Gi'),
    securityContext: RESTRICTED_CONTAINER,
  });
  const config = files.length ? [configSecret('database-etc', files)] : [];
  const sts = workload(ctx, unit, {
    kind: 'StatefulSet',
    name: STS,
    serviceName: HEADLESS,
    replicas,
    // Galera members start together: after a full restart the one that stopped last must bootstrap, whatever its
    // ordinal (OrderedReady would wait for database-0 forever).
    podManagementPolicy: type === 'mariadb' ? 'OrderedReady' : 'Parallel',
    role: 'control-plane',
    config,
    containers: [container],
    volumes: files.length ? [configVolume('database-etc')] : [],
    securityContext: restrictedPodSecurity(uid),
    spread: true,
    volumeClaimTemplates: [dataClaim(storage)],
    terminationGracePeriodSeconds: 60,
  });
  const clientPorts = type === 'cockroachdb' ? ports : [{ name: 'mysql', port: PORTS.mysql }];
  return [
    ...config,
    serviceOf(HEADLESS, labels, ports, { headless: true, publishNotReady: true }),
    serviceOf(SERVICE_NAMES.server, labels, clientPorts),
    sts,
  ];
}

/** One-time `cockroach init` against a member of the target site; an already initialised cluster counts as done. */
function clusterInit(unit: Unit, ctx: RenderContext): K8sObject[] {
  if (ctx.dc.spec.database.type !== 'cockroachdb') {
    throw new RenderError(`database/cluster-init only exists for cockroachdb (got ${ctx.dc.spec.database.type})`);
  }
  const site = applySite(unit);
  const host = `${podHost(ctx, site, STS, 0)}:${PORTS.cockroach}`;
  return job(ctx, unit, {
    baseName: 'database-cluster-init',
    image: IMAGES.cockroachdb,
    command: [
      'sh',
      '-c',
      `/cockroach/cockroach init --insecure --host=${host} 2>&1 | tee /tmp/out; grep -qE 'initialized|already been initialized' /tmp/out`,
    ],
    files: [],
    uid: UIDS.cockroachdb,
  });
}

export const database = defineBackend({
  component: {
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
  },
  renderers: { server, 'cluster-init': clusterInit },
  secrets: [passwordSecret(DATABASE_ROOT_SECRET)],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uids: UIDS,
});
