// Key/value store (optional): Redis (one password-protected instance per site) or etcd (one cluster per site).
import type { Unit } from '../../planner/types.js';
import { PORTS, SERVICE_NAMES, applySite } from '../endpoints.js';
import { BACKEND_IMAGES } from '../images.js';
import {
  RESTRICTED_CONTAINER,
  configMounts,
  configSecret,
  configVolume,
  execProbe,
  resources,
  restrictedPodSecurity,
  serviceOf,
  tcpProbe,
  workload,
  type ConfigFile,
} from '../k8s.js';
import { selectorLabels } from '../labels.js';
import { SECRET, secretValue } from '../secrets.js';
import type { K8sObject, RenderContext, UnitRenderer } from '../types.js';
import { dataClaim } from './messagebus.js';

const STS = SERVICE_NAMES.kvStore;
const HEADLESS = `${STS}-headless`;

function redis(unit: Unit, ctx: RenderContext): K8sObject[] {
  const files: ConfigFile[] = [
    {
      key: 'redis.conf',
      path: '/etc/redis/redis.conf',
      content: [
        `port ${PORTS.redis}`,
        'bind 0.0.0.0',
        'protected-mode yes',
        `requirepass ${secretValue(ctx, SECRET.kvStore)}`,
        'appendonly yes',
        'dir /data',
        '',
      ].join('\n'),
    },
  ];
  const config = configSecret('kv-store-etc', files);
  const container = {
    name: 'redis',
    image: BACKEND_IMAGES.redis,
    imagePullPolicy: 'IfNotPresent',
    command: ['redis-server', '/etc/redis/redis.conf'],
    ports: [{ name: 'redis', containerPort: PORTS.redis, protocol: 'TCP' }],
    readinessProbe: tcpProbe(PORTS.redis, 5),
    livenessProbe: tcpProbe(PORTS.redis, 30, 20),
    resources: resources('100m', '128Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), { name: 'data', mountPath: '/data' }],
  };
  return [config, ...statefulSet(unit, ctx, [config], container, [{ name: 'redis', port: PORTS.redis }], 999)];
}

function etcd(unit: Unit, ctx: RenderContext): K8sObject[] {
  const ns = ctx.dc.metadata.namespace ?? 'default';
  const member = (i: number) => `${STS}-${i}=http://${STS}-${i}.${HEADLESS}.${ns}.svc:${PORTS.etcdPeer}`;
  const container = {
    name: 'etcd',
    image: BACKEND_IMAGES.etcd,
    imagePullPolicy: 'IfNotPresent',
    command: [
      'etcd',
      '--name=$(POD_NAME)',
      '--data-dir=/var/lib/etcd',
      `--listen-client-urls=http://0.0.0.0:${PORTS.etcdClient}`,
      `--advertise-client-urls=http://$(POD_NAME).${HEADLESS}.${ns}.svc:${PORTS.etcdClient}`,
      `--listen-peer-urls=http://0.0.0.0:${PORTS.etcdPeer}`,
      `--initial-advertise-peer-urls=http://$(POD_NAME).${HEADLESS}.${ns}.svc:${PORTS.etcdPeer}`,
      `--initial-cluster=${member(0)}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${ctx.dc.metadata.name ?? 'discovery'}-${applySite(unit)}`,
    ],
    env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    ports: [
      { name: 'client', containerPort: PORTS.etcdClient, protocol: 'TCP' },
      { name: 'peer', containerPort: PORTS.etcdPeer, protocol: 'TCP' },
    ],
    readinessProbe: execProbe(['etcdctl', 'endpoint', 'health'], 5, 10),
    livenessProbe: execProbe(['etcdctl', 'endpoint', 'health'], 30, 20),
    resources: resources('100m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
  };
  return statefulSet(
    unit,
    ctx,
    [],
    container,
    [
      { name: 'client', port: PORTS.etcdClient },
      { name: 'peer', port: PORTS.etcdPeer },
    ],
    1000,
  );
}

function statefulSet(
  unit: Unit,
  ctx: RenderContext,
  config: K8sObject[],
  container: Record<string, unknown>,
  ports: { name: string; port: number }[],
  uid: number,
): K8sObject[] {
  const labels = selectorLabels(ctx, unit.component, unit.step, unit.site);
  const sts = workload(ctx, unit, {
    kind: 'StatefulSet',
    name: STS,
    serviceName: HEADLESS,
    replicas: 1,
    role: 'control-plane',
    config,
    containers: [container],
    volumes: config.length ? [configVolume('kv-store-etc')] : [],
    securityContext: restrictedPodSecurity(uid),
    volumeClaimTemplates: [dataClaim('5Gi')],
  });
  return [
    serviceOf(HEADLESS, labels, ports, { headless: true, publishNotReady: true }),
    serviceOf(STS, labels, ports),
    sts,
  ];
}

export const kvStoreRenderers: Record<string, UnitRenderer> = {
  'kv-store/server': (unit, ctx) => (ctx.dc.spec.kvStore?.type === 'etcd' ? etcd(unit, ctx) : redis(unit, ctx)),
};
