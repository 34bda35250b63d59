// Keystone service module: database, db_sync, fernet/credential keys, bootstrap, API (Apache + mod_wsgi) and per-site
// region/identity endpoints. Also the identity helpers every other OpenStack service uses: the Keystone URL serving a
// site, [keystone_authtoken], the service user's generated password and the Keystone registration Jobs.
import { CONTROL, dep, DATABASE_READY, serviceEnabled } from '../catalog/steps.js';
import type { Unit } from '../planner/types.js';
import {
  applySite,
  catalogUrl,
  internalUrl,
  regionOf,
  serviceAddress,
  siteServing,
  type ServiceRef,
} from '../render/endpoints.js';
import { dcImage } from '../render/images.js';
import { REGISTER_PY, type Registration } from './keystone-register.js';
import { renderIni, type IniDocument } from '../render/ini.js';
import {
  RESTRICTED_CONTAINER,
  configMounts,
  configSecret,
  configVolume,
  httpProbe,
  job,
  jobBaseName,
  resources,
  restrictedPodSecurity,
  secretOf,
  serviceOf,
  workload,
  type ConfigFile,
} from '../render/k8s.js';
import { selectorLabels } from '../render/labels.js';
import { resolveConfig, resolveReplicas } from '../render/overrides.js';
import { passwordSecret, secretValue, type RequiredSecret } from '../render/secrets.js';
import type { K8sObject, RenderContext, UnitRenderer } from '../render/types.js';
import { memcachedServers } from './memcached.js';
import { defineOpenStackService } from './module.js';
import {
  cacheSection,
  databaseUserSecret,
  dbConnection,
  dbCreateJob,
  openStackImage,
  httpdRuntimeVolume,
  wsgiHttpdConf,
} from './openstack.js';

const NAME = 'keystone';
const PORTS = { api: 5000 } as const;
const SERVICE_NAMES = { api: 'keystone-api' } as const;
const IMAGES = ['keystone'] as const;
const UID = 42425;
/** kolla-toolbox (the openstack CLI) runs the registration Jobs of every service. */
const TOOLBOX = { image: 'kolla-toolbox', uid: 42401 } as const;
/** Password of the Keystone admin user. */
const ADMIN_SECRET = 'keystone-admin';

const API_REF: ServiceRef = { name: SERVICE_NAMES.api, component: 'keystone', step: 'api' };

export const FERNET_KEYS_SECRET = 'keystone-fernet-keys';
export const CREDENTIAL_KEYS_SECRET = 'keystone-credential-keys';

/** URL of the Keystone serving `fromSite` (its own site's, else the core's). */
export function keystoneUrl(ctx: RenderContext, fromSite: string): string {
  const host = siteServing(ctx, fromSite, 'keystone', 'api');
  return `http://${serviceAddress(ctx, fromSite, host, API_REF, PORTS.api)}`;
}

/** Name of the generated secret holding the password of a service's Keystone user. */
export function serviceUserSecretName(service: string): string {
  return `keystone-user-${service}`;
}

/** The generated password of a service's Keystone user (the module lists it in its `secrets`). */
export function serviceUserSecret(service: string): RequiredSecret {
  return passwordSecret(serviceUserSecretName(service));
}

/** The region whose catalog holds the API a unit at `fromSite` uses (the region of the site hosting that API). */
export function apiRegion(ctx: RenderContext, fromSite: string, component: string): string {
  return regionOf(ctx, siteServing(ctx, fromSite, component, 'api'));
}

/** [keystone_authtoken] for a service user, pointing at the Keystone that serves `site`. */
export function keystoneAuthtoken(ctx: RenderContext, site: string, service: string): Record<string, string> {
  const url = keystoneUrl(ctx, site);
  return {
    www_authenticate_uri: url,
    auth_url: url,
    auth_type: 'password',
    project_domain_name: 'Default',
    user_domain_name: 'Default',
    project_name: 'service',
    username: service,
    password: secretValue(ctx, serviceUserSecretName(service)),
    region_name: apiRegion(ctx, site, 'keystone'),
    memcached_servers: memcachedServers(ctx, site),
    service_token_roles_required: 'true',
  };
}

export interface CatalogEntry {
  type: string;
  description: string;
  svc: string;
  port: number;
  path?: string;
}

/**
 * Job registering a service in Keystone (kolla-toolbox, REGISTER_PY): service user with the admin and service roles
 * in project "service", the service entry, and public/internal/admin endpoints in the unit site's region pointing at
 * the API serving that site. Idempotent, and safe next to the other services' registrations.
 */
export function ksRegisterJob(ctx: RenderContext, unit: Unit, service: string, entries: CatalogEntry[]): K8sObject[] {
  const site = applySite(unit);
  const apiSite = siteServing(ctx, site, service, 'api');
  const registration: Registration = {
    region: regionOf(ctx, site),
    user: { name: service, project: 'service', roles: ['admin', 'service'] },
    services: entries.map((e) => ({
      name: service,
      type: e.type,
      description: e.description,
      endpoints: Object.fromEntries(
        ['public', 'internal', 'admin'].map((iface) => [
          iface,
          iface === 'internal' && apiSite === site
            ? internalUrl(ctx, apiSite, e.svc, e.port, e.path)
            : catalogUrl(ctx, apiSite, { name: e.svc, component: service, step: 'api' }, e.port, e.path),
        ]),
      ),
    })),
  };
  return registrationJob(ctx, unit, `${service}-ks-register`, registration, {
    SERVICE_PASSWORD: secretValue(ctx, serviceUserSecretName(service)),
  });
}

/** A kolla-toolbox Job running REGISTER_PY as the Keystone admin of the Keystone serving the unit. */
export function registrationJob(
  ctx: RenderContext,
  unit: Unit,
  baseName: string,
  registration: Registration,
  extraSecretEnv: Record<string, string> = {},
): K8sObject[] {
  return adminToolboxJob(ctx, unit, baseName, REGISTER_PY, registration, extraSecretEnv);
}

/**
 * A kolla-toolbox Job running a Python `program` (openstacksdk) with `input` as JSON, authenticated as the Keystone
 * admin of the Keystone serving the unit (OS_* environment; the passwords from the Job's Secret).
 */
export function adminToolboxJob(
  ctx: RenderContext,
  unit: Unit,
  baseName: string,
  program: string,
  input: unknown,
  extraSecretEnv: Record<string, string> = {},
): K8sObject[] {
  const site = applySite(unit);
  const files: ConfigFile[] = [
    { key: 'program.py', path: '/etc/discovery/program.py', content: program },
    { key: 'input.json', path: '/etc/discovery/input.json', content: `${JSON.stringify(input, null, 2)}\n` },
    { key: 'OS_PASSWORD', content: secretValue(ctx, ADMIN_SECRET) },
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
    image: dcImage(ctx.dc, TOOLBOX.image),
    command: ['python3', '/etc/discovery/program.py', '/etc/discovery/input.json'],
    files,
    env,
    uid: TOOLBOX.uid,
  });
}

export function keystoneConf(ctx: RenderContext, site: string): IniDocument {
  return resolveConfig(ctx, NAME, site, {
    DEFAULT: { debug: 'false', log_file: '', use_stderr: 'true' },
    database: {
      connection: dbConnection(ctx, site, { user: NAME, base: NAME, ownerSite: site }),
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
  return openStackImage(ctx, { name: NAME, images: IMAGES }, 'keystone', site);
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

const dbCreate: UnitRenderer = (unit, ctx) => dbCreateJob(ctx, unit, NAME, [NAME]);

const dbSync: UnitRenderer = (unit, ctx) =>
  job(ctx, unit, {
    baseName: 'keystone-db-sync',
    image: image(ctx, applySite(unit)),
    command: ['keystone-manage', '--config-file', '/etc/keystone/keystone.conf', 'db_sync'],
    files: [confFile(ctx, applySite(unit))],
    uid: UID,
  });

/** Fernet and credential key repositories, from generated secrets (identical on every site: shared identity). */
const keys: UnitRenderer = (_unit, ctx) => [
  secretOf(FERNET_KEYS_SECRET, {
    '0': secretValue(ctx, FERNET_KEYS_SECRET, '0'),
    '1': secretValue(ctx, FERNET_KEYS_SECRET, '1'),
  }),
  secretOf(CREDENTIAL_KEYS_SECRET, {
    '0': secretValue(ctx, CREDENTIAL_KEYS_SECRET, '0'),
    '1': secretValue(ctx, CREDENTIAL_KEYS_SECRET, '1'),
  }),
];

const bootstrap: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const publicUrl = catalogUrl(ctx, site, API_REF, PORTS.api);
  const files: ConfigFile[] = [confFile(ctx, site), { key: 'admin-password', content: secretValue(ctx, ADMIN_SECRET) }];
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
      internalUrl(ctx, site, SERVICE_NAMES.api, PORTS.api),
      '--bootstrap-public-url',
      publicUrl,
    ],
    files,
    // bootstrap creates the admin's credentials and needs both key repositories, as keystone-api has them.
    volumes: keyVolumes().volumes,
    volumeMounts: keyVolumes().mounts,
    env: [
      {
        name: 'OS_BOOTSTRAP_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'keystone-bootstrap-etc', key: 'admin-password' } },
      },
    ],
    uid: UID,
  });
};

const api: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const files: ConfigFile[] = [
    confFile(ctx, site),
    {
      key: 'httpd.conf',
      path: '/etc/discovery/httpd.conf',
      content: wsgiHttpdConf('keystone-public', PORTS.api, '/var/lib/kolla/venv/bin/keystone-wsgi-public'),
    },
  ];
  const config = configSecret('keystone-api-etc', files);
  const kv = keyVolumes();
  const httpd = httpdRuntimeVolume();
  const container = {
    name: 'keystone-api',
    image: image(ctx, site),
    imagePullPolicy: 'IfNotPresent',
    command: ['apache2', '-DFOREGROUND', '-f', '/etc/discovery/httpd.conf'],
    ports: [{ name: 'http', containerPort: PORTS.api, protocol: 'TCP' }],
    readinessProbe: httpProbe('/v3', PORTS.api, 5),
    livenessProbe: httpProbe('/v3', PORTS.api, 30, 20),
    resources: resources('100m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), ...kv.mounts, httpd.mount],
  };
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: 'keystone-api',
    replicas: resolveReplicas(ctx, NAME, site),
    role: 'control-plane',
    config: [config, ...keys(unit, ctx)],
    containers: [container],
    volumes: [configVolume('keystone-api-etc'), ...kv.volumes, httpd.volume],
    securityContext: restrictedPodSecurity(UID),
    spread: true,
  });
  const service = serviceOf(SERVICE_NAMES.api, selectorLabels(ctx, unit.component, unit.step, unit.site), [
    { name: 'http', port: PORTS.api },
  ]);
  return [config, deployment, service];
};

/** Registers the site's region and the identity endpoints serving that region. */
const endpoints: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const url = keystoneUrl(ctx, site);
  const publicUrl = url.includes('.svc:') ? catalogUrl(ctx, site, API_REF, PORTS.api) : url;
  return registrationJob(ctx, unit, 'keystone-endpoints', {
    region: regionOf(ctx, site),
    services: [
      {
        name: 'keystone',
        type: 'identity',
        description: 'OpenStack Identity',
        endpoints: { public: publicUrl, internal: url, admin: publicUrl },
      },
    ],
  });
};

export const keystone = defineOpenStackService({
  component: {
    name: NAME,
    description: 'identity service',
    enabled: serviceEnabled(NAME),
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
        dependsOn: [dep(NAME, 'db-create', 'same-site')],
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
        dependsOn: [dep(NAME, 'db-sync', 'same-site'), dep(NAME, 'keys', 'same-site')],
        description: 'keystone-manage bootstrap (admin user, identity service and endpoints)',
      },
      {
        id: 'api',
        kind: 'workload',
        expectedSeconds: 40,
        placement: CONTROL,
        dependsOn: [dep(NAME, 'bootstrap', 'same-site'), dep('memcached', 'server')],
        description: 'keystone-api Deployment and Service',
      },
      {
        id: 'endpoints',
        kind: 'job',
        expectedSeconds: 15,
        placement: { distributed: 'all-sites' },
        dependsOn: [dep(NAME, 'api', 'same-site')],
        description: "the site's region and identity endpoints in the shared identity",
      },
    ],
  },
  renderers: { 'db-create': dbCreate, 'db-sync': dbSync, keys, bootstrap, api, endpoints },
  secrets: [
    databaseUserSecret(NAME),
    passwordSecret(ADMIN_SECRET),
    { name: FERNET_KEYS_SECRET, keys: { '0': 'fernet-key', '1': 'fernet-key' } },
    { name: CREDENTIAL_KEYS_SECRET, keys: { '0': 'fernet-key', '1': 'fernet-key' } },
  ],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uid: UID,
});
