// Keystone: database, db_sync, fernet/credential keys, bootstrap, API (Apache + mod_wsgi) and per-site
// region/identity endpoints.
import type { Unit } from '../../planner/types.js';
import { PORTS, SERVICE_NAMES, applySite, catalogUrl, internalUrl, keystoneUrl, regionOf } from '../endpoints.js';
import { serviceImage } from '../images.js';
import { renderIni, type IniDocument } from '../ini.js';
import {
  RESTRICTED_CONTAINER,
  configMounts,
  configSecret,
  configVolume,
  httpProbe,
  job,
  resources,
  restrictedPodSecurity,
  secretOf,
  serviceOf,
  workload,
  type ConfigFile,
} from '../k8s.js';
import { selectorLabels } from '../labels.js';
import { imageOverrides, resolveConfig, resolveReplicas } from '../overrides.js';
import { SECRET, secretValue } from '../secrets.js';
import type { K8sObject, RenderContext, UnitRenderer } from '../types.js';
import { KOLLA_UID, cacheSection, dbConnection, dbCreateJob, registrationJob, wsgiHttpdConf } from './openstack.js';

export const FERNET_KEYS_SECRET = 'keystone-fernet-keys';
export const CREDENTIAL_KEYS_SECRET = 'keystone-credential-keys';

export function keystoneConf(ctx: RenderContext, site: string): IniDocument {
  return resolveConfig(ctx, 'keystone', site, {
    DEFAULT: { debug: 'false', log_file: '', use_stderr: 'true' },
    database: {
      connection: dbConnection(ctx, site, { user: 'keystone', base: 'keystone', ownerSite: site }),
      max_retries: '-1',
      connection_recycle_time: '600',
    },
    cache: cacheSection(ctx, site),
    token: { provider: 'fernet', expiration: '86400' },
    fernet_tokens: { key_repository: '/etc/keystone/fernet-keys/', max_active_keys: '3' },
    credential: { provider: 'fernet', key_repository: '/etc/keystone/credential-keys/' },
    identity: { default_domain_id: 'default' },
    oslo_middleware: { enable_proxy_headers_parsing: 'true' },
  });
}

function image(ctx: RenderContext, site: string): string {
  return serviceImage('keystone', 'keystone', ctx.dc.spec.release, imageOverrides(ctx, 'keystone', site));
}

function confFile(ctx: RenderContext, site: string): ConfigFile {
  return { key: 'keystone.conf', path: '/etc/keystone/keystone.conf', content: renderIni(keystoneConf(ctx, site)) };
}

function keyVolumes(): { volumes: Record<string, unknown>[]; mounts: Record<string, unknown>[] } {
  return {
    volumes: [
      { name: 'fernet-keys', secret: { secretName: FERNET_KEYS_SECRET, defaultMode: 0o400 } },
      { name: 'credential-keys', secret: { secretName: CREDENTIAL_KEYS_SECRET, defaultMode: 0o400 } },
    ],
    mounts: [
      { name: 'fernet-keys', mountPath: '/etc/keystone/fernet-keys', readOnly: true },
      { name: 'credential-keys', mountPath: '/etc/keystone/credential-keys', readOnly: true },
    ],
  };
}

const dbCreate: UnitRenderer = (unit, ctx) => dbCreateJob(ctx, unit, 'keystone', ['keystone']);

const dbSync: UnitRenderer = (unit, ctx) =>
  job(ctx, unit, {
    baseName: 'keystone-db-sync',
    image: image(ctx, applySite(unit)),
    command: ['keystone-manage', '--config-file', '/etc/keystone/keystone.conf', 'db_sync'],
    files: [confFile(ctx, applySite(unit))],
    uid: KOLLA_UID.keystone,
  });

/** Fernet and credential key repositories, from generated secrets (identical on every site: shared identity). */
const keys: UnitRenderer = (_unit, ctx) => [
  secretOf(FERNET_KEYS_SECRET, {
    '0': secretValue(ctx, SECRET.fernetKeys, '0'),
    '1': secretValue(ctx, SECRET.fernetKeys, '1'),
  }),
  secretOf(CREDENTIAL_KEYS_SECRET, {
    '0': secretValue(ctx, SECRET.credentialKeys, '0'),
    '1': secretValue(ctx, SECRET.credentialKeys, '1'),
  }),
];

const bootstrap: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const publicUrl = catalogUrl(ctx, site, SERVICE_NAMES.keystone, PORTS.keystone);
  const files: ConfigFile[] = [
    confFile(ctx, site),
    { key: 'admin-password', content: secretValue(ctx, SECRET.keystoneAdmin) },
  ];
  return job(ctx, unit, {
    baseName: 'keystone-bootstrap',
    image: image(ctx, site),
    command: [
      'keystone-manage',
      '--config-file',
      '/etc/keystone/keystone.conf',
      'bootstrap',
      '--bootstrap-username',
      'admin',
      '--bootstrap-project-name',
      'admin',
      '--bootstrap-role-name',
      'admin',
      '--bootstrap-service-name',
      'keystone',
      '--bootstrap-region-id',
      regionOf(ctx, site),
      '--bootstrap-admin-url',
      publicUrl,
      '--bootstrap-internal-url',
      internalUrl(ctx, site, SERVICE_NAMES.keystone, PORTS.keystone),
      '--bootstrap-public-url',
      publicUrl,
    ],
    files,
    env: [
      {
        name: 'OS_BOOTSTRAP_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'keystone-bootstrap-etc', key: 'admin-password' } },
      },
    ],
    uid: KOLLA_UID.keystone,
  });
};

const api: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const files: ConfigFile[] = [
    confFile(ctx, site),
    {
      key: 'httpd.conf',
      path: '/etc/discovery/httpd.conf',
      content: wsgiHttpdConf('keystone-public', PORTS.keystone, '/var/lib/kolla/venv/bin/keystone-wsgi-public'),
    },
  ];
  const config = configSecret('keystone-api-etc', files);
  const kv = keyVolumes();
  const container = {
    name: 'keystone-api',
    image: image(ctx, site),
    imagePullPolicy: 'IfNotPresent',
    command: ['apache2', '-DFOREGROUND', '-f', '/etc/discovery/httpd.conf'],
    ports: [{ name: 'http', containerPort: PORTS.keystone, protocol: 'TCP' }],
    readinessProbe: httpProbe('/v3', PORTS.keystone, 5),
    livenessProbe: httpProbe('/v3', PORTS.keystone, 30, 20),
    resources: resources('250m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), ...kv.mounts],
  };
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: 'keystone-api',
    replicas: resolveReplicas(ctx, 'keystone', site),
    role: 'control-plane',
    config: [config, ...keys(unit, ctx)],
    containers: [container],
    volumes: [configVolume('keystone-api-etc'), ...kv.volumes],
    securityContext: restrictedPodSecurity(KOLLA_UID.keystone),
    spread: true,
  });
  const service = serviceOf(SERVICE_NAMES.keystone, selectorLabels(ctx, unit.component, unit.step, unit.site), [
    { name: 'http', port: PORTS.keystone },
  ]);
  return [config, deployment, service];
};

/** Registers the site's region (child of the core's when different) and identity endpoints serving that region. */
const endpoints: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const region = regionOf(ctx, site);
  const url = keystoneUrl(ctx, site);
  const publicUrl = url.includes('.svc:') ? catalogUrl(ctx, site, SERVICE_NAMES.keystone, PORTS.keystone) : url;
  const script = ['set -eu', `openstack region show ${region} >/dev/null 2>&1 || openstack region create ${region}`];
  for (const iface of ['public', 'internal', 'admin']) {
    const target = iface === 'internal' ? url : publicUrl;
    script.push(
      `id=$(openstack endpoint list --service identity --interface ${iface} --region ${region} -f value -c ID)`,
      `if [ -z "$id" ]; then openstack endpoint create --region ${region} identity ${iface} ${target}; else openstack endpoint set --url ${target} "$id"; fi`,
    );
  }
  return registrationJob(ctx, unit, 'keystone-endpoints', script);
};

export const keystoneRenderers: Record<string, UnitRenderer> = {
  'keystone/db-create': dbCreate,
  'keystone/db-sync': dbSync,
  'keystone/keys': keys,
  'keystone/bootstrap': bootstrap,
  'keystone/api': api,
  'keystone/endpoints': endpoints,
};

export type { K8sObject, Unit };
