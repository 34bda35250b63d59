// What every OpenStack service module shares: its Kolla image (with the spec/site overrides), its database (name,
// oslo.db connection URL, the idempotent DB-create Job and the DB user's generated password), the oslo.cache section,
// and the Apache/mod_wsgi front end of WSGI APIs. Identity helpers (authtoken, Keystone registration) live in
// keystone.ts.
import type { Unit } from '../planner/types.js';
import { applySite, splitAddress } from '../render/endpoints.js';
import { dcImage } from '../render/images.js';
import { job, type ConfigFile } from '../render/k8s.js';
import { imageOverrides } from '../render/overrides.js';
import { passwordSecret, secretValue, type RequiredSecret } from '../render/secrets.js';
import type { K8sObject, RenderContext } from '../render/types.js';
import {
  DATABASE_ROOT_SECRET,
  databaseClient,
  databaseAddress,
  databaseServiceAddress,
  databaseSite,
  databaseSpansSites,
} from './database.js';
import { memcachedServers } from './memcached.js';

/**
 * Image of one container of OpenStack service `service`: the release's Kolla image; an override (spec.services.X.image
 * < siteOverrides[site].images.X) replaces the service's own images only — helpers such as nova-libvirt keep Kolla's.
 */
export function openStackImage(
  ctx: RenderContext,
  service: { name: string; images: readonly string[] },
  container: string,
  site: string,
): string {
  let image = dcImage(ctx.dc, container);
  if (service.images.includes(container)) {
    for (const o of imageOverrides(ctx, service.name, site)) if (o) image = o;
  }
  return image;
}

/** Name of the generated secret holding the database password of a service's DB user. */
export function databaseUserSecretName(service: string): string {
  return `database-${service}`;
}

/** The generated DB user password of a service (the module lists it in its `secrets`). */
export function databaseUserSecret(service: string): RequiredSecret {
  return passwordSecret(databaseUserSecretName(service));
}

/**
 * Logical database name. In the distributed topology every site runs its own Glance, Placement and Nova, so their
 * databases are suffixed with the site (`nova_edge_1`); Keystone's is shared (one identity for the whole cloud).
 */
export function databaseName(ctx: RenderContext, base: string, site: string): string {
  if (ctx.dc.spec.topology !== 'distributed' || base === 'keystone') return base;
  return `${base}_${site.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** Whether a logical database is shared by every site (stored at the core when the backend is a plain MariaDB). */
export function isSharedDatabase(ctx: RenderContext, base: string): boolean {
  return ctx.dc.spec.topology === 'distributed' && base === 'keystone';
}

export interface DbRef {
  /** DB user: the service's name. */
  user: string;
  /** Logical database base name (keystone, glance, placement, nova_api, nova_cell0, nova). */
  base: string;
  /** Site owning the database (its name suffix in distributed; its server when the backend is plain MariaDB). */
  ownerSite: string;
}

/**
 * oslo.db connection URL, as reached from `fromSite`. With independent per-site servers the owner site's server holds
 * the data; a cluster spanning the sites (distributed Galera / CockroachDB) is served by any member, the local one first.
 */
export function dbConnection(ctx: RenderContext, fromSite: string, ref: DbRef): string {
  const password = secretValue(ctx, databaseUserSecretName(ref.user));
  const shared = isSharedDatabase(ctx, ref.base);
  const hostSite = databaseSpansSites(ctx)
    ? databaseSite(ctx, fromSite, shared)
    : databaseSite(ctx, ref.ownerSite, shared);
  const address = databaseServiceAddress(ctx, fromSite, hostSite);
  const name = databaseName(ctx, ref.base, ref.ownerSite);
  if (ctx.dc.spec.database.type === 'cockroachdb') {
    return `cockroachdb://${ref.user}:${password}@${address}/${name}?sslmode=disable`;
  }
  return `mysql+pymysql://${ref.user}:${password}@${address}/${name}?charset=utf8`;
}

export function cacheSection(ctx: RenderContext, site: string): Record<string, string> {
  return {
    enabled: 'true',
    backend: 'dogpile.cache.pymemcache',
    memcache_servers: memcachedServers(ctx, site),
  };
}

/** Job creating a service's databases and user (idempotent SQL), run with the database root credentials. */
export function dbCreateJob(ctx: RenderContext, unit: Unit, service: string, bases: string[]): K8sObject[] {
  const site = applySite(unit);
  const password = secretValue(ctx, databaseUserSecretName(service));
  const root = secretValue(ctx, DATABASE_ROOT_SECRET);
  const shared = bases.some((b) => isSharedDatabase(ctx, b));
  const { host, port } = splitAddress(databaseAddress(ctx, site, shared));
  const names = bases.map((b) => databaseName(ctx, b, site));
  const cockroach = ctx.dc.spec.database.type === 'cockroachdb';
  const sql = cockroach
    ? [
        `CREATE USER IF NOT EXISTS ${service} WITH PASSWORD '${password}';`,
        ...names.flatMap((n) => [`CREATE DATABASE IF NOT EXISTS ${n};`, `GRANT ALL ON DATABASE ${n} TO ${service};`]),
      ]
    : [
        `CREATE USER IF NOT EXISTS '${service}'@'%' IDENTIFIED BY '${password}';`,
        `ALTER USER '${service}'@'%' IDENTIFIED BY '${password}';`,
        ...names.flatMap((n) => [
          `CREATE DATABASE IF NOT EXISTS \`${n}\` CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci;`,
          `GRANT ALL PRIVILEGES ON \`${n}\`.* TO '${service}'@'%';`,
        ]),
      ];
  const files: ConfigFile[] = [
    { key: 'create.sql', path: '/etc/discovery/create.sql', content: `${sql.join('\n')}\n` },
  ];
  let command: string[];
  if (cockroach) {
    // Secure-mode certificates are not generated yet: the cluster runs --insecure (documented in docs/rendering.md).
    command = [
      '/cockroach/cockroach',
      'sql',
      '--insecure',
      `--host=${host}:${port}`,
      '--file=/etc/discovery/create.sql',
    ];
  } else {
    files.push({
      key: 'client.cnf',
      path: '/etc/discovery/client.cnf',
      content: `[client]\nuser = root\npassword = ${root}\nhost = ${host}\nport = ${port}\n`,
    });
    command = ['sh', '-c', 'exec mariadb --defaults-extra-file=/etc/discovery/client.cnf < /etc/discovery/create.sql'];
  }
  const client = databaseClient(ctx);
  return job(ctx, unit, { baseName: `${service}-db-create`, image: client.image, command, files, uid: client.uid });
}

/** Writable directory of Apache's runtime files (an emptyDir in the pod: the image's /run/apache2 is root's). */
export const HTTPD_RUNTIME_DIR = '/var/run/discovery-httpd';

/** The emptyDir volume and mount every Apache container needs at HTTPD_RUNTIME_DIR. */
export function httpdRuntimeVolume(): { volume: Record<string, unknown>; mount: Record<string, unknown> } {
  return {
    volume: { name: 'httpd-run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
    mount: { name: 'httpd-run', mountPath: HTTPD_RUNTIME_DIR },
  };
}

/**
 * Minimal Apache configuration serving a WSGI script on a port, run in the foreground as the container user: every
 * runtime file (pid, mod_wsgi's daemon sockets, mutexes) lives in HTTPD_RUNTIME_DIR, which that user can write —
 * Apache's defaults (/var/run/apache2) belong to root, and mod_wsgi then answers 503 forever.
 */
export function wsgiHttpdConf(name: string, port: number, wsgiScript: string, processes = 2): string {
  return [
    'ServerRoot "/etc/apache2"',
    'ServerName localhost',
    `Listen ${port}`,
    `PidFile ${HTTPD_RUNTIME_DIR}/httpd.pid`,
    `DefaultRuntimeDir ${HTTPD_RUNTIME_DIR}`,
    `Mutex file:${HTTPD_RUNTIME_DIR} default`,
    'LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so',
    'LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so',
    'LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so',
    'LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so',
    `WSGISocketPrefix ${HTTPD_RUNTIME_DIR}/wsgi`,
    'ErrorLog /dev/stderr',
    'LogFormat "%h %l %u %t \\"%r\\" %>s %b %D" timed',
    'CustomLog /dev/stdout timed',
    'TypesConfig /etc/mime.types',
    `<VirtualHost *:${port}>`,
    `    WSGIDaemonProcess ${name} processes=${processes} threads=1 display-name=%{GROUP} python-home=/var/lib/kolla/venv`,
    `    WSGIProcessGroup ${name}`,
    `    WSGIScriptAlias / ${wsgiScript}`,
    '    WSGIApplicationGroup %{GLOBAL}',
    '    WSGIPassAuthorization On',
    '    <Directory /var/lib/kolla/venv/bin>',
    '        Require all granted',
    '    </Directory>',
    '</VirtualHost>',
    '',
  ].join('\n');
}
