// Glance service module: database, db_sync, Keystone registration and the glance-api Deployment (file store on a
// volume claim).
import { apiServiceSteps, serviceEnabled } from '../catalog/steps.js';
import { applySite, catalogUrl } from '../render/endpoints.js';
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
import type { K8sObject, RenderContext, UnitRenderer } from '../render/types.js';
import { keystoneAuthtoken, ksRegisterJob, serviceUserSecret } from './keystone.js';
import { defineOpenStackService } from './module.js';
import { databaseUserSecret, dbConnection, dbCreateJob, openStackImage } from './openstack.js';

const NAME = 'glance';
const PORTS = { api: 9292 } as const;
const SERVICE_NAMES = { api: 'glance-api' } as const;
const IMAGES = ['glance-api'] as const;
const UID = 42415;

export const GLANCE_IMAGES_CLAIM = 'glance-images';

export function glanceApiConf(ctx: RenderContext, site: string): IniDocument {
  return resolveConfig(ctx, NAME, site, {
    DEFAULT: {
      bind_host: '0.0.0.0',
      bind_port: String(PORTS.api),
      workers: '2',
      log_file: '',
      use_stderr: 'true',
      public_endpoint: catalogUrl(ctx, site, { name: SERVICE_NAMES.api, component: 'glance', step: 'api' }, PORTS.api),
      enabled_backends: 'file:file',
    },
    database: {
      connection: dbConnection(ctx, site, { user: NAME, base: NAME, ownerSite: site }),
      max_retries: '-1',
    },
    keystone_authtoken: keystoneAuthtoken(ctx, site, NAME),
    paste_deploy: { flavor: 'keystone' },
    glance_store: { default_backend: 'file' },
    file: { filesystem_store_datadir: '/var/lib/glance/images/' },
    oslo_messaging_notifications: { driver: 'noop' },
    oslo_middleware: { enable_proxy_headers_parsing: 'true' },
  });
}

function image(ctx: RenderContext, site: string): string {
  return openStackImage(ctx, { name: NAME, images: IMAGES }, 'glance-api', site);
}

function confFile(ctx: RenderContext, site: string): ConfigFile {
  return { key: 'glance-api.conf', path: '/etc/glance/glance-api.conf', content: renderIni(glanceApiConf(ctx, site)) };
}

const api: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const files = [confFile(ctx, site)];
  const config = configSecret('glance-api-etc', files);
  const claim: K8sObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: GLANCE_IMAGES_CLAIM },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
  };
  const container = {
    name: 'glance-api',
    image: image(ctx, site),
    imagePullPolicy: 'IfNotPresent',
    command: ['glance-api', '--config-file', '/etc/glance/glance-api.conf'],
    ports: [{ name: 'http', containerPort: PORTS.api, protocol: 'TCP' }],
    readinessProbe: httpProbe('/healthcheck', PORTS.api, 5),
    livenessProbe: httpProbe('/healthcheck', PORTS.api, 30, 20),
    resources: resources('100m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), { name: 'images', mountPath: '/var/lib/glance/images' }],
  };
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: 'glance-api',
    // The file store lives on one ReadWriteOnce claim: more replicas need a shared (RWX) store or a Ceph backend.
    replicas: resolveReplicas(ctx, NAME, site),
    role: 'control-plane',
    config: [config],
    containers: [container],
    volumes: [
      configVolume('glance-api-etc'),
      { name: 'images', persistentVolumeClaim: { claimName: GLANCE_IMAGES_CLAIM } },
    ],
    securityContext: restrictedPodSecurity(UID),
    spread: true,
  });
  const service = serviceOf(SERVICE_NAMES.api, selectorLabels(ctx, unit.component, unit.step, unit.site), [
    { name: 'http', port: PORTS.api },
  ]);
  return [config, claim, deployment, service];
};

export const glance = defineOpenStackService({
  component: {
    name: NAME,
    description: 'image service',
    enabled: serviceEnabled(NAME),
    requires: ['keystone'],
    steps: apiServiceSteps(NAME, 30),
  },
  renderers: {
    'db-create': (unit, ctx) => dbCreateJob(ctx, unit, NAME, [NAME]),
    'db-sync': (unit, ctx) =>
      job(ctx, unit, {
        baseName: 'glance-db-sync',
        image: image(ctx, applySite(unit)),
        command: ['glance-manage', '--config-file', '/etc/glance/glance-api.conf', 'db_sync'],
        files: [confFile(ctx, applySite(unit))],
        uid: UID,
      }),
    'ks-register': (unit, ctx) =>
      ksRegisterJob(ctx, unit, NAME, [
        { type: 'image', description: 'OpenStack Image', svc: SERVICE_NAMES.api, port: PORTS.api },
      ]),
    api,
  },
  secrets: [databaseUserSecret(NAME), serviceUserSecret(NAME)],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uid: UID,
});
