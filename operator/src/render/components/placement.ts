// Placement: database, db sync, Keystone registration and the placement-api Deployment (Apache + mod_wsgi).
import { PORTS, SERVICE_NAMES, applySite } from '../endpoints.js';
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
import type { RenderContext, UnitRenderer } from '../types.js';
import { KOLLA_UID, dbConnection, dbCreateJob, keystoneAuthtoken, ksRegisterJob, wsgiHttpdConf } from './openstack.js';

export function placementConf(ctx: RenderContext, site: string): IniDocument {
  return resolveConfig(ctx, 'placement', site, {
    DEFAULT: { log_file: '', use_stderr: 'true' },
    placement_database: {
      connection: dbConnection(ctx, site, { user: 'placement', base: 'placement', ownerSite: site }),
      max_retries: '-1',
    },
    api: { auth_strategy: 'keystone' },
    keystone_authtoken: keystoneAuthtoken(ctx, site, 'placement'),
    oslo_middleware: { enable_proxy_headers_parsing: 'true' },
  });
}

function image(ctx: RenderContext, site: string): string {
  return serviceImage('placement', 'placement-api', ctx.dc.spec.release, imageOverrides(ctx, 'placement', site));
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
      content: wsgiHttpdConf('placement-api', PORTS.placement, '/var/lib/kolla/venv/bin/placement-api'),
    },
  ];
  const config = configSecret('placement-api-etc', files);
  const container = {
    name: 'placement-api',
    image: image(ctx, site),
    imagePullPolicy: 'IfNotPresent',
    command: ['apache2', '-DFOREGROUND', '-f', '/etc/discovery/httpd.conf'],
    ports: [{ name: 'http', containerPort: PORTS.placement, protocol: 'TCP' }],
    readinessProbe: httpProbe('/', PORTS.placement, 5),
    livenessProbe: httpProbe('/', PORTS.placement, 30, 20),
    resources: resources('250m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: configMounts(files),
  };
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: 'placement-api',
    replicas: resolveReplicas(ctx, 'placement', site),
    role: 'control-plane',
    config: [config],
    containers: [container],
    volumes: [configVolume('placement-api-etc')],
    securityContext: restrictedPodSecurity(KOLLA_UID.placement),
    spread: true,
  });
  const service = serviceOf(SERVICE_NAMES.placement, selectorLabels(ctx, unit.component, unit.step, unit.site), [
    { name: 'http', port: PORTS.placement },
  ]);
  return [config, deployment, service];
};

export const placementRenderers: Record<string, UnitRenderer> = {
  'placement/db-create': (unit, ctx) => dbCreateJob(ctx, unit, 'placement', ['placement']),
  'placement/db-sync': (unit, ctx) =>
    job(ctx, unit, {
      baseName: 'placement-db-sync',
      image: image(ctx, applySite(unit)),
      command: ['placement-manage', '--config-file', '/etc/placement/placement.conf', 'db', 'sync'],
      files: [confFile(ctx, applySite(unit))],
      uid: KOLLA_UID.placement,
    }),
  'placement/ks-register': (unit, ctx) =>
    ksRegisterJob(ctx, unit, 'placement', [
      { type: 'placement', description: 'Placement API', svc: SERVICE_NAMES.placement, port: PORTS.placement },
    ]),
  'placement/api': api,
};
