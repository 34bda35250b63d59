// Message bus backend module: a RabbitMQ StatefulSet per bus-hosting site, or a Qpid Dispatch Router per site whose
// inter-router connectors form a full mesh across the sites (each site routes locally; AMQP 1.0 via oslo.messaging's
// amqp driver). Also the transport URL and oslo.messaging sections the OpenStack services use.
import { CELL_LOCAL } from '../catalog/steps.js';
import type { Unit } from '../planner/types.js';
import {
  applySite,
  serviceAddress,
  siteServing,
  sitesHosting,
  splitAddress,
  type ServiceRef,
} from '../render/endpoints.js';
import {
  RESTRICTED_CONTAINER,
  configMounts,
  configSecret,
  configVolume,
  dataClaim,
  execProbe,
  KOLLA_START,
  kollaConfigFiles,
  kollaConfigMount,
  resources,
  restrictedPodSecurity,
  serviceOf,
  tcpProbe,
  workload,
  type ConfigFile,
} from '../render/k8s.js';
import { backendImage } from '../render/images.js';
import { selectorLabels, targetNamespace } from '../render/labels.js';
import { secretValue } from '../render/secrets.js';
import type { K8sObject, RenderContext } from '../render/types.js';
import { defineBackend } from './module.js';

const PORTS = { amqp: 5672, rabbitDist: 25672, rabbitManagement: 15672, interRouter: 55672 } as const;
const SERVICE_NAMES = { server: 'message-bus' } as const;
const IMAGES = {
  /** Kolla's RabbitMQ, resolved through spec.images. */
  rabbitmq: 'rabbitmq',
  qdrouterd: 'quay.io/interconnectedcloud/qdrouterd:1.19.0',
} as const;
/** Kolla's uid of rabbitmq (42439); the qdrouterd image runs as 1000. */
const UIDS = { rabbitmq: 42439, qdrouterd: 1000 } as const;
/** The bus user's password and the Erlang cookie of RabbitMQ. */
const BUS_SECRET = 'message-bus';

export const BUS_USER = 'openstack';

const BUS_REF: ServiceRef = { name: SERVICE_NAMES.server, component: 'message-bus', step: 'server' };

/** The site whose bus a unit at `fromSite` uses (its own when it hosts one, else the core's). */
export function busSite(ctx: RenderContext, fromSite: string): string {
  return siteServing(ctx, fromSite, 'message-bus', 'server');
}

/** oslo.messaging transport_url of the bus at `hostSite`, as reached from `fromSite`. */
export function transportUrl(ctx: RenderContext, fromSite: string, hostSite: string): string {
  const address = serviceAddress(ctx, fromSite, hostSite, BUS_REF, PORTS.amqp);
  if (ctx.dc.spec.messageBus.type === 'qpid-dispatch') return `amqp://${address}/`;
  return `rabbit://${BUS_USER}:${secretValue(ctx, BUS_SECRET)}@${address}/`;
}

/** oslo.messaging driver sections matching the bus type. */
export function messagingSections(ctx: RenderContext): Record<string, Record<string, string>> {
  if (ctx.dc.spec.messageBus.type === 'qpid-dispatch') {
    return {
      oslo_messaging_amqp: {
        addressing_mode: 'routable',
        rpc_address_prefix: 'openstack.org/om/rpc',
        notify_address_prefix: 'openstack.org/om/notify',
        default_send_timeout: '30',
      },
    };
  }
  return {
    oslo_messaging_rabbit: {
      rabbit_ha_queues: 'false',
      rabbit_quorum_queue: 'true',
      heartbeat_timeout_threshold: '60',
    },
  };
}

function rabbitmq(unit: Unit, ctx: RenderContext): K8sObject[] {
  const replicas = ctx.dc.spec.messageBus.replicas ?? 1;
  const ns = targetNamespace(ctx, applySite(unit));
  const conf = [
    'cluster_formation.peer_discovery_backend = classic_config',
    ...Array.from(
      { length: replicas },
      (_, i) =>
        `cluster_formation.classic_config.nodes.${i + 1} = rabbit@${SERVICE_NAMES.server}-${i}.${SERVICE_NAMES.server}-headless.${ns}.svc`,
    ),
    `listeners.tcp.default = ${PORTS.amqp}`,
    `management.tcp.port = ${PORTS.rabbitManagement}`,
    'loopback_users.guest = false',
    `default_user = ${BUS_USER}`,
    `default_pass = ${secretValue(ctx, BUS_SECRET)}`,
    'default_permissions.configure = .*',
    'default_permissions.read = .*',
    'default_permissions.write = .*',
    'cluster_partition_handling = pause_minority',
    'queue_leader_locator = balanced',
    'vm_memory_high_watermark.relative = 0.6',
    'log.console = true',
    'log.file = false',
    '',
  ].join('\n');
  // Kolla's contract: kolla_start copies the configuration and the Erlang cookie (mode 0400, as Erlang demands)
  // where RabbitMQ and its CLI (the probes) read them, then runs rabbitmq-server.
  const own = { owner: 'rabbitmq', perm: '0600' };
  const files = kollaConfigFiles('rabbitmq-server', [
    { key: 'rabbitmq.conf', content: conf, dest: '/etc/rabbitmq/rabbitmq.conf', ...own },
    { key: 'enabled_plugins', content: '[rabbitmq_management].\n', dest: '/etc/rabbitmq/enabled_plugins', ...own },
    {
      key: 'erlang-cookie',
      content: secretValue(ctx, BUS_SECRET, 'erlang-cookie'),
      dest: '/var/lib/rabbitmq/.erlang.cookie',
      owner: 'rabbitmq',
      perm: '0400',
    },
  ]);
  const config = configSecret('message-bus-etc', files);
  const labels = selectorLabels(ctx, unit.component, unit.step, unit.site);
  const container = {
    name: 'rabbitmq',
    image: backendImage(ctx.dc, IMAGES.rabbitmq),
    command: KOLLA_START,
    env: [
      { name: 'RABBITMQ_USE_LONGNAME', value: 'true' },
      { name: 'MY_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      {
        name: 'RABBITMQ_NODENAME',
        value: `rabbit@$(MY_POD_NAME).${SERVICE_NAMES.server}-headless.${ns}.svc`,
      },
    ],
    ports: [
      { name: 'amqp', containerPort: PORTS.amqp, protocol: 'TCP' },
      { name: 'dist', containerPort: PORTS.rabbitDist, protocol: 'TCP' },
      { name: 'management', containerPort: PORTS.rabbitManagement, protocol: 'TCP' },
    ],
    // rabbitmq-diagnostics starts an Erlang VM of its own: 4-15 s on a busy 2-core node, so generous timeouts.
    readinessProbe: execProbe(['rabbitmq-diagnostics', '-q', 'check_port_connectivity'], 10, 20, 30),
    livenessProbe: execProbe(['rabbitmq-diagnostics', '-q', 'check_running'], 60, 60, 45),
    resources: resources('100m', '512Mi', '2Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [kollaConfigMount(), { name: 'data', mountPath: '/var/lib/rabbitmq/mnesia' }],
  };
  const sts = workload(ctx, unit, {
    kind: 'StatefulSet',
    name: SERVICE_NAMES.server,
    serviceName: `${SERVICE_NAMES.server}-headless`,
    replicas,
    podManagementPolicy: 'Parallel',
    role: 'control-plane',
    config: [config],
    containers: [container],
    volumes: [configVolume('message-bus-etc')],
    securityContext: restrictedPodSecurity(UIDS.rabbitmq),
    spread: true,
    volumeClaimTemplates: [dataClaim('5Gi')],
  });
  return [
    config,
    serviceOf(
      `${SERVICE_NAMES.server}-headless`,
      labels,
      [
        { name: 'amqp', port: PORTS.amqp },
        { name: 'dist', port: PORTS.rabbitDist },
      ],
      {
        headless: true,
        publishNotReady: true,
      },
    ),
    serviceOf(SERVICE_NAMES.server, labels, [
      { name: 'amqp', port: PORTS.amqp },
      { name: 'management', port: PORTS.rabbitManagement },
    ]),
    sts,
  ];
}

/** qdrouterd.conf for a site: interior router, client listener, inter-router listener, connectors to peers. */
export function qdrouterdConf(ctx: RenderContext, site: string): string {
  const peers = sitesHosting(ctx, 'message-bus', 'server').filter((s) => s !== site);
  const block = (name: string, fields: Record<string, string>) =>
    `${name} {\n${Object.entries(fields)
      .map(([k, v]) => `    ${k}: ${v}`)
      .join('\n')}\n}\n`;
  const parts = [
    block('router', { mode: 'interior', id: `${ctx.dc.metadata.name ?? 'discovery'}.${site}`, workerThreads: '4' }),
    block('listener', {
      host: '0.0.0.0',
      port: String(PORTS.amqp),
      role: 'normal',
      authenticatePeer: 'no',
      saslMechanisms: 'ANONYMOUS',
    }),
    block('listener', {
      host: '0.0.0.0',
      port: String(PORTS.interRouter),
      role: 'inter-router',
      authenticatePeer: 'no',
      saslMechanisms: 'ANONYMOUS',
    }),
  ];
  // Full mesh: each pair connects once, from the site whose name sorts first to the other (no duplicate links).
  for (const peer of peers) {
    if (site < peer) {
      const { host, port } = splitAddress(serviceAddress(ctx, site, peer, BUS_REF, PORTS.interRouter));
      parts.push(
        block('connector', {
          name: `to-${peer}`,
          host,
          port,
          role: 'inter-router',
          saslMechanisms: 'ANONYMOUS',
        }),
      );
    }
  }
  // oslo.messaging AMQP 1.0 addressing: RPC/notification patterns; anycast to the closest consumer keeps
  // traffic within a site when a local server exists.
  parts.push(
    block('address', { prefix: 'openstack.org/om/rpc/multicast', distribution: 'multicast' }),
    block('address', { prefix: 'openstack.org/om/rpc/unicast', distribution: 'closest' }),
    block('address', { prefix: 'openstack.org/om/rpc/anycast', distribution: 'closest' }),
    block('address', { prefix: 'openstack.org/om/notify/multicast', distribution: 'multicast' }),
    block('address', { prefix: 'openstack.org/om/notify/unicast', distribution: 'closest' }),
    block('address', { prefix: 'openstack.org/om/notify/anycast', distribution: 'balanced', waypoint: 'yes' }),
  );
  return parts.join('\n');
}

function qdrouterd(unit: Unit, ctx: RenderContext): K8sObject[] {
  const site = applySite(unit);
  const files: ConfigFile[] = [
    { key: 'qdrouterd.conf', path: '/etc/qpid-dispatch/qdrouterd.conf', content: qdrouterdConf(ctx, site) },
  ];
  const config = configSecret('message-bus-etc', files);
  const labels = selectorLabels(ctx, unit.component, unit.step, unit.site);
  const container = {
    name: 'qdrouterd',
    image: IMAGES.qdrouterd,
    imagePullPolicy: 'IfNotPresent',
    command: ['qdrouterd', '-c', '/etc/qpid-dispatch/qdrouterd.conf'],
    ports: [
      { name: 'amqp', containerPort: PORTS.amqp, protocol: 'TCP' },
      { name: 'inter-router', containerPort: PORTS.interRouter, protocol: 'TCP' },
    ],
    readinessProbe: tcpProbe(PORTS.amqp, 5),
    livenessProbe: tcpProbe(PORTS.amqp, 30, 20),
    resources: resources('100m', '128Mi', '512Mi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: configMounts(files),
  };
  // One interior router per site (the router id is per site); a router has no state to keep.
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: SERVICE_NAMES.server,
    replicas: 1,
    role: 'control-plane',
    config: [config],
    containers: [container],
    volumes: [configVolume('message-bus-etc')],
    securityContext: restrictedPodSecurity(UIDS.qdrouterd),
  });
  return [
    config,
    serviceOf(SERVICE_NAMES.server, labels, [
      { name: 'amqp', port: PORTS.amqp },
      { name: 'inter-router', port: PORTS.interRouter },
    ]),
    deployment,
  ];
}

export const messageBus = defineBackend({
  component: {
    name: 'message-bus',
    description: 'RPC bus: rabbitmq, or a qpid-dispatch router per site meshed with its peers',
    enabled: () => true,
    backend: (spec) => spec.messageBus.type,
    steps: [
      {
        id: 'server',
        kind: 'workload',
        expectedSeconds: { default: 60, rabbitmq: 60, 'qpid-dispatch': 20 },
        placement: CELL_LOCAL,
        dependsOn: [],
        description: 'rabbitmq StatefulSet or qdrouterd Deployment, and Services',
      },
    ],
  },
  renderers: {
    server: (unit, ctx) =>
      ctx.dc.spec.messageBus.type === 'qpid-dispatch' ? qdrouterd(unit, ctx) : rabbitmq(unit, ctx),
  },
  secrets: [{ name: BUS_SECRET, keys: { password: 'password', 'erlang-cookie': 'cookie' } }],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uids: UIDS,
});
