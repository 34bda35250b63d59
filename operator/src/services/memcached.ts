// memcached backend module: token/cache backend for Keystone, keystonemiddleware and oslo.cache, one Deployment per
// hosting site; and the memcached_servers value of the services that use it.
import { CONTROL } from '../catalog/steps.js';
import { serviceAddress, siteServing } from '../render/endpoints.js';
import {
  RESTRICTED_CONTAINER,
  resources,
  restrictedPodSecurity,
  serviceOf,
  tcpProbe,
  workload,
} from '../render/k8s.js';
import { backendImage } from '../render/images.js';
import { selectorLabels } from '../render/labels.js';
import type { RenderContext, UnitRenderer } from '../render/types.js';
import { defineBackend } from './module.js';

const PORTS = { server: 11211 } as const;
const SERVICE_NAMES = { server: 'memcached' } as const;
/** Kolla's memcached, resolved through spec.images; Kolla's uid of memcache (42457). */
const IMAGES = { memcached: 'memcached' } as const;
const UIDS = { memcached: 42457 } as const;

/** memcached servers (host:port) a unit at `fromSite` uses: its own site's, else the core's. */
export function memcachedServers(ctx: RenderContext, fromSite: string): string {
  const host = siteServing(ctx, fromSite, 'memcached', 'server');
  return serviceAddress(
    ctx,
    fromSite,
    host,
    { name: SERVICE_NAMES.server, component: 'memcached', step: 'server' },
    PORTS.server,
  );
}

const server: UnitRenderer = (unit, ctx) => {
  const container = {
    name: 'memcached',
    image: backendImage(ctx.dc, IMAGES.memcached),
    imagePullPolicy: 'IfNotPresent',
    command: ['memcached', '-p', String(PORTS.server), '-U', '0', '-m', '256', '-c', '4096', '-v'],
    ports: [{ name: 'memcache', containerPort: PORTS.server, protocol: 'TCP' }],
    readinessProbe: tcpProbe(PORTS.server, 5),
    livenessProbe: tcpProbe(PORTS.server, 30, 20),
    resources: resources('100m', '128Mi', '512Mi'),
    securityContext: RESTRICTED_CONTAINER,
  };
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: SERVICE_NAMES.server,
    replicas: ctx.dc.spec.memcached?.replicas ?? 1,
    role: 'control-plane',
    config: [],
    containers: [container],
    securityContext: restrictedPodSecurity(UIDS.memcached),
    spread: true,
  });
  const service = serviceOf(SERVICE_NAMES.server, selectorLabels(ctx, unit.component, unit.step, unit.site), [
    { name: 'memcache', port: PORTS.server },
  ]);
  return [deployment, service];
};

export const memcached = defineBackend({
  component: {
    name: 'memcached',
    description: 'token and API cache',
    enabled: (spec) => spec.memcached?.enabled !== false,
    steps: [
      {
        id: 'server',
        kind: 'workload',
        expectedSeconds: 10,
        placement: CONTROL,
        dependsOn: [],
        description: 'memcached Deployment and Service',
      },
    ],
  },
  renderers: { server },
  secrets: [],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uids: UIDS,
});
