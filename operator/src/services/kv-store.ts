// Key/value store backend module (optional): Redis (one password-protected instance per site) or etcd (one cluster
// per site).
import { CONTROL } from '../catalog/steps.js';
import type { Unit } from '../planner/types.js';
import { applySite } from '../render/endpoints.js';
import {
  RESTRICTED_CONTAINER,
  configMounts,
  configSecret,
  configVolume,
  dataClaim,
  execProbe,
  resources,
  restrictedPodSecurity,
  serviceOf,
  tcpProbe,
  workload,
  type ConfigFile,
} from '../render/k8s.js';
import { selectorLabels, targetNamespace } from '../render/labels.js';
import { passwordSecret, secretValue } from '../render/secrets.js';
import type { K8sObject, RenderContext } from '../render/types.js';
import { defineBackend } from './module.js';

const PORTS = { redis: 6379, etcdClient: 2379, etcdPeer: 2380 } as const;
const SERVICE_NAMES = { server: 'kv-store' } as const;
const IMAGES = { redis: 'docker.io/library/redis:7.2.5', etcd: 'quay.io/coreos/etcd:v3.5.15' } as const;
const UIDS = { redis: 999, etcd: 1000 } as const;
/** The Redis password. */
const KV_SECRET = 'kv-store';

const STS = SERVICE_NAMES.server;
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
        `requirepass ${secretValue(ctx, KV_SECRET)}`,
        'appendonly yes',
        'dir /data',
        '',
      ].join('\n'),
    },
  ];
  const config = configSecret('kv-store-etc', files);
  const container = {
    name: 'redis',
    image: IMAGES.redis,
    imagePullPolicy: 'IfNotPresent',
    command: ['redis-server', '/etc/redis/redis.conf'],
    ports: [{ name: 'redis', containerPort: PORTS.redis, protocol: 'TCP' }],
    readinessProbe: tcpProbe(PORTS.redis, 5),
    livenessProbe: tcpProbe(PORTS.redis, 30, 20),
    resources: resources('100m', '128Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), { name: 'data', mountPath: '/data' }],
  };
  return [config, ...statefulSet(unit, ctx, [config], container, [{ name: 'redis', port: PORTS.redis }], UIDS.redis)];
}

function etcd(unit: Unit, ctx: RenderContext): K8sObject[] {
  const ns = targetNamespace(ctx, applySite(unit));
  const member = (i: number) => `${STS}-${i}=http://${STS}-${i}.${HEADLESS}.${ns}.svc:${PORTS.etcdPeer}`;
  const container = {
    name: 'etcd',
    image: IMAGES.etcd,
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
    UIDS.etcd,
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

export const kvStore = defineBackend({
  component: {
    name: 'kv-store',
    description: 'optional key/value store (redis or etcd) for coordination and caching',
    enabled: (spec) => spec.kvStore !== undefined && spec.kvStore !== null,
    backend: (spec) => spec.kvStore?.type,
    steps: [
      {
        id: 'server',
        kind: 'workload',
        expectedSeconds: { default: 20, redis: 15, etcd: 30 },
        placement: CONTROL,
        dependsOn: [],
        description: 'redis or etcd StatefulSet and Service',
      },
    ],
  },
  renderers: {
    server: (unit, ctx) => (ctx.dc.spec.kvStore?.type === 'etcd' ? etcd(unit, ctx) : redis(unit, ctx)),
  },
  secrets: [passwordSecret(KV_SECRET)],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uids: UIDS,
});
