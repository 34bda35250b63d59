// Database backends: MariaDB (one server per hosting site), Galera (per-site StatefulSets forming ONE wsrep cluster
// across sites) and CockroachDB (per-site StatefulSets with locality flags joining one cluster, plus a global
// `cockroach init` Job).
import type { Unit } from '../../planner/types.js';
import {
  PORTS,
  SERVICE_NAMES,
  applySite,
  databaseSpansSites,
  podHost,
  siteDomain,
  sitesHosting,
} from '../endpoints.js';
import { BACKEND_IMAGES } from '../images.js';
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
  type Json,
} from '../k8s.js';
import { selectorLabels } from '../labels.js';
import { SECRET, secretValue } from '../secrets.js';
import { RenderError, type K8sObject, type RenderContext, type UnitRenderer } from '../types.js';
import { dataClaim } from './messagebus.js';
import { COCKROACH_UID, MARIADB_UID } from './openstack.js';

const STS = SERVICE_NAMES.database;
const HEADLESS = `${STS}-headless`;

export function databaseReplicas(ctx: RenderContext): number {
  // A plain MariaDB has no replication: it always runs one pod.
  return ctx.dc.spec.database.type === 'mariadb' ? 1 : (ctx.dc.spec.database.replicas ?? 1);
}

/** Sites forming the database cluster `site` belongs to: every DB site when it spans sites, else `site` alone. */
export function clusterSites(ctx: RenderContext, site: string): string[] {
  return databaseSpansSites(ctx) ? sitesHosting(ctx, 'database', 'server') : [site];
}

/** Every database pod of the cluster, as reached from `fromSite`. */
export function clusterMembers(ctx: RenderContext, fromSite: string): string[] {
  const n = databaseReplicas(ctx);
  return clusterSites(ctx, fromSite).flatMap((s) =>
    Array.from({ length: n }, (_, i) => podHost(ctx, fromSite, s, STS, i)),
  );
}

/** my.cnf for MariaDB / Galera. */
export function myCnf(ctx: RenderContext, site: string): string {
  const lines = [
    '[mysqld]',
    'bind-address = 0.0.0.0',
    `port = ${PORTS.mysql}`,
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
      `wsrep_provider_options = "gmcast.segment=${clusterSites(ctx, site).indexOf(site)}; evs.suspect_timeout=PT10S"`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** cockroach start arguments: locality from the EdgeSite, --join listing every member of every site. */
export function cockroachArgs(ctx: RenderContext, site: string): string[] {
  const es = ctx.sites.get(site);
  if (!es) throw new RenderError(`EdgeSite "${site}" is not in the render context`);
  const multiSite = clusterSites(ctx, site).length > 1;
  const ns = ctx.dc.metadata.namespace ?? 'default';
  // Remote sites reach a pod by its cross-site name; a single-site cluster advertises the in-cluster name.
  const advertise = multiSite ? `$(POD_NAME).${ns}.${siteDomain(ctx, site)}` : `$(POD_NAME).${HEADLESS}.${ns}.svc`;
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
    uid = COCKROACH_UID;
    ports = [
      { name: 'sql', port: PORTS.cockroach },
      { name: 'http', port: PORTS.cockroachHttp },
    ];
    container = {
      name: 'cockroachdb',
      image: BACKEND_IMAGES.cockroachdb,
      command: ['/cockroach/cockroach'],
      args: cockroachArgs(ctx, site),
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      readinessProbe: httpProbe('/health?ready=1', PORTS.cockroachHttp, 10, 5),
      livenessProbe: httpProbe('/health', PORTS.cockroachHttp, 30, 10),
      volumeMounts: [{ name: 'data', mountPath: '/cockroach/cockroach-data' }],
    };
  } else {
    uid = MARIADB_UID;
    files = [
      { key: 'discovery.cnf', path: '/etc/mysql/conf.d/discovery.cnf', content: myCnf(ctx, site) },
      { key: 'root-password', content: secretValue(ctx, SECRET.databaseRoot) },
    ];
    ports = [{ name: 'mysql', port: PORTS.mysql }];
    if (type === 'galera') {
      ports.push(
        { name: 'galera', port: PORTS.galeraReplication },
        { name: 'ist', port: PORTS.galeraIst },
        { name: 'sst', port: PORTS.galeraSst },
      );
    }
    const first = clusterSites(ctx, site)[0] === site;
    container = {
      name: 'mariadb',
      image: BACKEND_IMAGES.mariadb,
      // Galera: the first pod of the first site bootstraps a new cluster when it has no state yet.
      command:
        type === 'galera'
          ? [
              'sh',
              '-c',
              first
                ? 'if [ "$POD_NAME" = "database-0" ] && [ ! -f /var/lib/mysql/grastate.dat ]; then exec docker-entrypoint.sh mariadbd --wsrep-new-cluster; fi; exec docker-entrypoint.sh mariadbd'
                : 'exec docker-entrypoint.sh mariadbd',
            ]
          : ['docker-entrypoint.sh', 'mariadbd'],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'MARIADB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'database-etc', key: 'root-password' } } },
        { name: 'MARIADB_ROOT_HOST', value: '%' },
      ],
      readinessProbe: execProbe(['healthcheck.sh', '--connect', '--innodb_initialized'], 10, 10),
      livenessProbe: execProbe(['healthcheck.sh', '--connect'], 60, 20),
      volumeMounts: [...configMounts(files), { name: 'data', mountPath: '/var/lib/mysql' }],
    };
  }
  Object.assign(container, {
    imagePullPolicy: 'IfNotPresent',
    ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
    resources: resources('500m', '1Gi', '4Gi'),
    securityContext: RESTRICTED_CONTAINER,
  });
  const config = files.length ? [configSecret('database-etc', files)] : [];
  const sts = workload(ctx, unit, {
    kind: 'StatefulSet',
    name: STS,
    serviceName: HEADLESS,
    replicas,
    podManagementPolicy: type === 'cockroachdb' ? 'Parallel' : 'OrderedReady',
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
    serviceOf(SERVICE_NAMES.database, labels, clientPorts),
    sts,
  ];
}

/** One-time `cockroach init` against a member of the target site; an already initialised cluster counts as done. */
function clusterInit(unit: Unit, ctx: RenderContext): K8sObject[] {
  if (ctx.dc.spec.database.type !== 'cockroachdb') {
    throw new RenderError(`database/cluster-init only exists for cockroachdb (got ${ctx.dc.spec.database.type})`);
  }
  const site = applySite(unit);
  const host = `${podHost(ctx, site, site, STS, 0)}:${PORTS.cockroach}`;
  return job(ctx, unit, {
    baseName: 'database-cluster-init',
    image: BACKEND_IMAGES.cockroachdb,
    command: [
      'sh',
      '-c',
      `/cockroach/cockroach init --insecure --host=${host} 2>&1 | tee /tmp/out; grep -qE 'initialized|already been initialized' /tmp/out`,
    ],
    files: [],
    uid: COCKROACH_UID,
  });
}

export const databaseRenderers: Record<string, UnitRenderer> = {
  'database/server': server,
  'database/cluster-init': clusterInit,
};
