// Helpers shared by the OpenStack service renderers: DB connection strings, [keystone_authtoken], the DB-create and
// Keystone-registration Jobs, and the Apache/mod_wsgi front end used by Keystone and Placement.
import type { ServiceName } from '../../api/types.js';
import type { Unit } from '../../planner/types.js';
import {
  PORTS,
  applySite,
  catalogUrl,
  databaseHost,
  databaseSite,
  databaseSpansSites,
  databasePort,
  internalUrl,
  keystoneUrl,
  memcachedServers,
  regionOf,
  serviceHost,
  SERVICE_NAMES,
  siteServing,
} from '../endpoints.js';
import { BACKEND_IMAGES, kollaImage } from '../images.js';
import type { IniDocument } from '../ini.js';
import { job, jobBaseName, type ConfigFile } from '../k8s.js';
import { SECRET, secretValue } from '../secrets.js';
import type { K8sObject, RenderContext } from '../types.js';

/** Kolla user ids (fixed in Kolla images), used for runAsUser. */
export const KOLLA_UID = {
  keystone: 42425,
  glance: 42415,
  placement: 42482,
  nova: 42436,
  kollaToolbox: 42401,
} as const;

export const MARIADB_UID = 999;
export const COCKROACH_UID = 1000;

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
  user: ServiceName;
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
  const password = secretValue(ctx, SECRET.databaseUser(ref.user));
  const shared = isSharedDatabase(ctx, ref.base);
  const hostSite = databaseSpansSites(ctx)
    ? databaseSite(ctx, fromSite, shared)
    : databaseSite(ctx, ref.ownerSite, shared);
  const host = serviceHost(ctx, fromSite, hostSite, SERVICE_NAMES.database);
  const name = databaseName(ctx, ref.base, ref.ownerSite);
  const port = databasePort(ctx);
  if (ctx.dc.spec.database.type === 'cockroachdb') {
    return `cockroachdb://${ref.user}:${password}@${host}:${port}/${name}?sslmode=disable`;
  }
  return `mysql+pymysql://${ref.user}:${password}@${host}:${port}/${name}?charset=utf8`;
}

/** The region whose catalog holds the API a unit at `fromSite` uses (the region of the site hosting that API). */
export function apiRegion(ctx: RenderContext, fromSite: string, component: string): string {
  return regionOf(ctx, siteServing(ctx, fromSite, component, 'api'));
}

/** [keystone_authtoken] for a service user, pointing at the Keystone that serves `site`. */
export function keystoneAuthtoken(ctx: RenderContext, site: string, service: ServiceName): Record<string, string> {
  const url = keystoneUrl(ctx, site);
  return {
    www_authenticate_uri: url,
    auth_url: url,
    auth_type: 'password',
    project_domain_name: 'Default',
    user_domain_name: 'Default',
    project_name: 'service',
    username: service,
    password: secretValue(ctx, SECRET.serviceUser(service)),
    region_name: apiRegion(ctx, site, 'keystone'),
    memcached_servers: memcachedServers(ctx, site),
    service_token_roles_required: 'true',
  };
}

export function oslokeystoneSection(ctx: RenderContext, site: string, service: ServiceName): Record<string, string> {
  const {
    www_authenticate_uri: _w,
    memcached_servers: _m,
    service_token_roles_required: _s,
    ...rest
  } = keystoneAuthtoken(ctx, site, service);
  return rest;
}

export function cacheSection(ctx: RenderContext, site: string): Record<string, string> {
  return {
    enabled: 'true',
    backend: 'dogpile.cache.pymemcache',
    memcache_servers: memcachedServers(ctx, site),
  };
}

/** Job creating a service's databases and user (idempotent SQL), run with the database root credentials. */
export function dbCreateJob(ctx: RenderContext, unit: Unit, service: ServiceName, bases: string[]): K8sObject[] {
  const site = applySite(unit);
  const password = secretValue(ctx, SECRET.databaseUser(service));
  const root = secretValue(ctx, SECRET.databaseRoot);
  const shared = bases.some((b) => isSharedDatabase(ctx, b));
  const host = databaseHost(ctx, site, shared);
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
      `--host=${host}:${PORTS.cockroach}`,
      '--file=/etc/discovery/create.sql',
    ];
  } else {
    files.push({
      key: 'client.cnf',
      path: '/etc/discovery/client.cnf',
      content: `[client]\nuser = root\npassword = ${root}\nhost = ${host}\nport = ${PORTS.mysql}\n`,
    });
    command = ['sh', '-c', 'exec mariadb --defaults-extra-file=/etc/discovery/client.cnf < /etc/discovery/create.sql'];
  }
  return job(ctx, unit, {
    baseName: `${service}-db-create`,
    image: cockroach ? BACKEND_IMAGES.cockroachdb : BACKEND_IMAGES.mariadbClient,
    command,
    files,
    uid: cockroach ? COCKROACH_UID : MARIADB_UID,
  });
}

export interface CatalogEntry {
  type: string;
  description: string;
  svc: string;
  port: number;
  path?: string;
}

/**
 * Job registering a service in Keystone (kolla-toolbox's openstack client): service user with the admin role in
 * project "service", the service entry, and public/internal/admin endpoints in the unit site's region pointing at
 * the API serving that site. Idempotent: it looks before it creates.
 */
export function ksRegisterJob(
  ctx: RenderContext,
  unit: Unit,
  service: ServiceName,
  entries: CatalogEntry[],
): K8sObject[] {
  const site = applySite(unit);
  const region = regionOf(ctx, site);
  const apiSite = siteServing(ctx, site, service, 'api');
  const lines = [
    'set -eu',
    `openstack region show ${region} >/dev/null 2>&1 || openstack region create ${region}`,
    'openstack project show service >/dev/null 2>&1 || openstack project create --domain default service',
    `openstack user show --domain default ${service} >/dev/null 2>&1 || openstack user create --domain default --password "$SERVICE_PASSWORD" ${service}`,
    `openstack user set --password "$SERVICE_PASSWORD" ${service}`,
    `openstack role add --project service --user ${service} admin`,
    `openstack role add --project service --user ${service} service || true`,
  ];
  for (const e of entries) {
    lines.push(
      `openstack service show ${e.type} >/dev/null 2>&1 || openstack service create --name ${service} --description "${e.description}" ${e.type}`,
    );
    for (const iface of ['public', 'internal', 'admin']) {
      const url =
        iface === 'internal' && apiSite === site
          ? internalUrl(ctx, apiSite, e.svc, e.port, e.path)
          : catalogUrl(ctx, apiSite, e.svc, e.port, e.path);
      lines.push(
        `id=$(openstack endpoint list --service ${e.type} --interface ${iface} --region ${region} -f value -c ID)`,
        `if [ -z "$id" ]; then openstack endpoint create --region ${region} ${e.type} ${iface} ${url}; else openstack endpoint set --url ${url} "$id"; fi`,
      );
    }
  }
  return registrationJob(ctx, unit, `${service}-ks-register`, lines, {
    SERVICE_PASSWORD: secretValue(ctx, SECRET.serviceUser(service)),
  });
}

/** A kolla-toolbox Job running an openstack CLI script as the Keystone admin of the Keystone serving the unit. */
export function registrationJob(
  ctx: RenderContext,
  unit: Unit,
  baseName: string,
  script: string[],
  extraSecretEnv: Record<string, string> = {},
): K8sObject[] {
  const site = applySite(unit);
  const files: ConfigFile[] = [
    { key: 'register.sh', path: '/etc/discovery/register.sh', content: `${script.join('\n')}\n` },
    { key: 'OS_PASSWORD', content: secretValue(ctx, SECRET.keystoneAdmin) },
    ...Object.entries(extraSecretEnv).map(([k, v]) => ({ key: k, content: v })),
  ];
  const secretName = `${jobBaseName(unit, baseName)}-etc`;
  const env = [
    { name: 'OS_AUTH_URL', value: `${keystoneUrl(ctx, site)}/v3` },
    { name: 'OS_IDENTITY_API_VERSION', value: '3' },
    { name: 'OS_INTERFACE', value: 'internal' },
    { name: 'OS_PROJECT_DOMAIN_NAME', value: 'Default' },
    { name: 'OS_PROJECT_NAME', value: 'admin' },
    { name: 'OS_REGION_NAME', value: apiRegion(ctx, site, 'keystone') },
    { name: 'OS_USER_DOMAIN_NAME', value: 'Default' },
    { name: 'OS_USERNAME', value: 'admin' },
    ...['OS_PASSWORD', ...Object.keys(extraSecretEnv)].map((k) => ({
      name: k,
      valueFrom: { secretKeyRef: { name: secretName, key: k } },
    })),
  ];
  return job(ctx, unit, {
    baseName,
    image: kollaImage('kolla-toolbox', ctx.dc.spec.release),
    command: ['bash', '/etc/discovery/register.sh'],
    files,
    env,
    uid: KOLLA_UID.kollaToolbox,
  });
}

/** Minimal Apache configuration serving a WSGI script on a port, run in the foreground as the container user. */
export function wsgiHttpdConf(name: string, port: number, wsgiScript: string, processes = 2): string {
  return [
    'ServerRoot "/etc/apache2"',
    'ServerName localhost',
    `Listen ${port}`,
    'PidFile /tmp/httpd.pid',
    'LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so',
    'LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so',
    'LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so',
    'LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so',
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

export function iniFile(key: string, path: string, doc: IniDocument, render: (d: IniDocument) => string): ConfigFile {
  return { key, path, content: render(doc) };
}
