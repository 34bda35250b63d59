// Placement service module: database, db sync, Keystone registration and the placement-api Deployment (Apache +
// mod_wsgi).
import { apiServiceSteps, serviceEnabled } from '../catalog/steps.js';
import { applySite } from '../render/endpoints.js';
import { renderIni, type IniDocument } from '../render/ini.js';
import {
  RESTRICTED_CONTAINER,
  configMounts,
  configSecret,
  configVolume,
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
import type { RenderContext, UnitRenderer } from '../render/types.js';
import { keystoneAuthtoken, ksRegisterJob, serviceUserSecret } from './keystone.js';
import { defineOpenStackService } from './module.js';
import {
  databaseUserSecret,
  dbConnection,
  dbCreateJob,
  httpdRuntimeVolume,
  openStackImage,
  wsgiHttpdConf,
} from './openstack.js';

const NAME = 'placement';
const PORTS = { api: 8778 } as const;
const SERVICE_NAMES = { api: 'placement-api' } as const;
const IMAGES = ['placement-api'] as const;
const UID = 42482;

export function placementConf(ctx: RenderContext, site: string): IniDocument {
  return resolveConfig(ctx, NAME, site, {
    DEFAULT: { log_file: '', use_stderr: 'true' },
    placement_database: {
      connection: dbConnection(ctx, site, { user: NAME, base: NAME, ownerSite: site }),
      max_retries: '-1',
    },
    api: { auth_strategy: 'keystone' },
    keystone_authtoken: keystoneAuthtoken(ctx, site, NAME),
    oslo_middleware: { enable_proxy_headers_parsing: 'true' },
  });
}

function image(ctx: RenderContext, site: string): string {
  return openStackImage(ctx, { name: NAME, images: IMAGES }, 'placement-api', site);
}

function confFile(ctx: RenderContext, site: string): ConfigFile {
  return { key: 'placement.conf', path: '/etc/placement/placement.conf', content: renderIni(placementConf(ctx, site)) };
}

const api: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const files: ConfigFile[] = [
    confFile(ctx, site),
    {
      key: 'httpd.conf',
      path: '/etc/discovery/httpd.conf',
      content: wsgiHttpdConf('placement-api', PORTS.api, '/var/lib/kolla/venv/bin/placement-api'),
    },
  ];
  const config = configSecret('placement-api-etc', files);
  const httpd = httpdRuntimeVolume();
  const container = {
    name: 'placement-api',
    image: image(ctx, site),
    imagePullPolicy: 'IfNotPresent',
    command: ['apache2', '-DFOREGROUND', '-f', '/etc/discovery/httpd.conf'],
    ports: [{ name: 'http', containerPort: PORTS.api, protocol: 'TCP' }],
    readinessProbe: httpProbe('/', PORTS.api, 5),
    livenessProbe: httpProbe('/', PORTS.api, 30, 20),
    resources: resources('100m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), httpd.mount],
  };
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: 'placement-api',
    replicas: resolveReplicas(ctx, NAME, site),
    role: 'control-plane',
    config: [config],
    containers: [container],
    volumes: [configVolume('placement-api-etc'), httpd.volume],
    securityContext: restrictedPodSecurity(UID),
    spread: true,
  });
  const service = serviceOf(SERVICE_NAMES.api, selectorLabels(ctx, unit.component, unit.step, unit.site), [
    { name: 'http', port: PORTS.api },
  ]);
  return [config, deployment, service];
};

export const placement = defineOpenStackService({
  component: {
    name: NAME,
    description: 'resource inventory and allocation service',
    enabled: serviceEnabled(NAME),
    requires: ['keystone'],
    steps: apiServiceSteps(NAME, 25),
  },
  renderers: {
    'db-create': (unit, ctx) => dbCreateJob(ctx, unit, NAME, [NAME]),
    'db-sync': (unit, ctx) =>
      job(ctx, unit, {
        baseName: 'placement-db-sync',
        image: image(ctx, applySite(unit)),
        command: ['placement-manage', '--config-file', '/etc/placement/placement.conf', 'db', 'sync'],
        files: [confFile(ctx, applySite(unit))],
        uid: UID,
      }),
    'ks-register': (unit, ctx) =>
      ksRegisterJob(ctx, unit, NAME, [
        { type: 'placement', description: 'Placement API', svc: SERVICE_NAMES.api, port: PORTS.api },
      ]),
    api,
  },
  secrets: [databaseUserSecret(NAME), serviceUserSecret(NAME)],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uid: UID,
});
