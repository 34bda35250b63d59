// Glance: database, db_sync, Keystone registration and the glance-api Deployment (file store on a volume claim).
import { PORTS, SERVICE_NAMES, applySite, catalogUrl } from '../endpoints.js';
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
  serviceOf,
  workload,
  type ConfigFile,
} from '../k8s.js';
import { selectorLabels } from '../labels.js';
import { imageOverrides, resolveConfig, resolveReplicas } from '../overrides.js';
import type { K8sObject, RenderContext, UnitRenderer } from '../types.js';
import { KOLLA_UID, dbConnection, dbCreateJob, keystoneAuthtoken, ksRegisterJob } from './openstack.js';

export const GLANCE_IMAGES_CLAIM = 'glance-images';

export function glanceApiConf(ctx: RenderContext, site: string): IniDocument {
  return resolveConfig(ctx, 'glance', site, {
    DEFAULT: {
      bind_host: '0.0.0.0',
      bind_port: String(PORTS.glance),
      workers: '2',
      log_file: '',
      use_stderr: 'true',
      public_endpoint: catalogUrl(ctx, site, SERVICE_NAMES.glance, PORTS.glance),
      enabled_backends: 'file:file',
    },
    database: {
      connection: dbConnection(ctx, site, { user: 'glance', base: 'glance', ownerSite: site }),
      max_retries: '-1',
    },
    keystone_authtoken: keystoneAuthtoken(ctx, site, 'glance'),
    paste_deploy: { flavor: 'keystone' },
    glance_store: { default_backend: 'file' },
    file: { filesystem_store_datadir: '/var/lib/glance/images/' },
    oslo_messaging_notifications: { driver: 'noop' },
    oslo_middleware: { enable_proxy_headers_parsing: 'true' },
  });
}

function image(ctx: RenderContext, site: string): string {
  return serviceImage('glance', 'glance-api', ctx.dc.spec.release, imageOverrides(ctx, 'glance', site));
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
    ports: [{ name: 'http', containerPort: PORTS.glance, protocol: 'TCP' }],
    readinessProbe: httpProbe('/healthcheck', PORTS.glance, 5),
    livenessProbe: httpProbe('/healthcheck', PORTS.glance, 30, 20),
    resources: resources('250m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), { name: 'images', mountPath: '/var/lib/glance/images' }],
  };
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: 'glance-api',
    // The file store lives on one ReadWriteOnce claim: more replicas need a shared (RWX) store or a Ceph backend.
    replicas: resolveReplicas(ctx, 'glance', site),
    role: 'control-plane',
    config: [config],
    containers: [container],
    volumes: [
      configVolume('glance-api-etc'),
      { name: 'images', persistentVolumeClaim: { claimName: GLANCE_IMAGES_CLAIM } },
    ],
    securityContext: restrictedPodSecurity(KOLLA_UID.glance),
    spread: true,
  });
  const service = serviceOf(SERVICE_NAMES.glance, selectorLabels(ctx, unit.component, unit.step, unit.site), [
    { name: 'http', port: PORTS.glance },
  ]);
  return [config, claim, deployment, service];
};

export const glanceRenderers: Record<string, UnitRenderer> = {
  'glance/db-create': (unit, ctx) => dbCreateJob(ctx, unit, 'glance', ['glance']),
  'glance/db-sync': (unit, ctx) =>
    job(ctx, unit, {
      baseName: 'glance-db-sync',
      image: image(ctx, applySite(unit)),
      command: ['glance-manage', '--config-file', '/etc/glance/glance-api.conf', 'db_sync'],
      files: [confFile(ctx, applySite(unit))],
      uid: KOLLA_UID.glance,
    }),
  'glance/ks-register': (unit, ctx) =>
    ksRegisterJob(ctx, unit, 'glance', [
      { type: 'image', description: 'OpenStack Image', svc: SERVICE_NAMES.glance, port: PORTS.glance },
    ]),
  'glance/api': api,
};
