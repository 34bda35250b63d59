// memcached: token/cache backend for Keystone, keystonemiddleware and oslo.cache, one Deployment per hosting site.
import { PORTS, SERVICE_NAMES } from '../endpoints.js';
import { BACKEND_IMAGES } from '../images.js';
import { RESTRICTED_CONTAINER, resources, restrictedPodSecurity, serviceOf, tcpProbe, workload } from '../k8s.js';
import { selectorLabels } from '../labels.js';
import type { UnitRenderer } from '../types.js';

export const memcachedRenderers: Record<string, UnitRenderer> = {
  'memcached/server': (unit, ctx) => {
    const container = {
      name: 'memcached',
      image: BACKEND_IMAGES.memcached,
      imagePullPolicy: 'IfNotPresent',
      command: ['memcached', '-p', String(PORTS.memcached), '-U', '0', '-m', '256', '-c', '4096', '-v'],
      ports: [{ name: 'memcache', containerPort: PORTS.memcached, protocol: 'TCP' }],
      readinessProbe: tcpProbe(PORTS.memcached, 5),
      livenessProbe: tcpProbe(PORTS.memcached, 30, 20),
      resources: resources('100m', '128Mi', '512Mi'),
      securityContext: RESTRICTED_CONTAINER,
    };
    const deployment = workload(ctx, unit, {
      kind: 'Deployment',
      name: SERVICE_NAMES.memcached,
      replicas: ctx.dc.spec.memcached?.replicas ?? 1,
      role: 'control-plane',
      config: [],
      containers: [container],
      securityContext: restrictedPodSecurity(11211),
      spread: true,
    });
    const service = serviceOf(SERVICE_NAMES.memcached, selectorLabels(ctx, unit.component, unit.step, unit.site), [
      { name: 'memcache', port: PORTS.memcached },
    ]);
    return [deployment, service];
  },
};
