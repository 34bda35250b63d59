// Neutron service module, agent-less: database, neutron-db-manage, Keystone registration (`network`) and the
// neutron-server Deployment (ML2 without mechanism driver, no service plugin, no RPC worker). It is there for
// nova: showing, listing, deleting, starting and rebooting a server ask Neutron for the server's ports, even for a
// `networks: none` server (docs/research/guest-boot.md). No agent runs: nothing carries guest traffic, no port can
// be bound, and servers boot with `--nic none`. Opt-in (spec.services.neutron), not proven on a real fleet yet.
import { CONTROL, DATABASE_READY, KEYSTONE_READY, dep, serviceOptIn } from '../catalog/steps.js';
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
import { busSite, messagingSections, transportUrl } from './message-bus.js';
import { defineOpenStackService } from './module.js';
import { databaseUserSecret, dbConnection, dbCreateJob, openStackImage } from './openstack.js';

const NAME = 'neutron';
const PORTS = { api: 9696 } as const;
const SERVICE_NAMES = { api: 'neutron-server' } as const;
const IMAGES = ['neutron-server'] as const;
const UID = 42435;

export const NEUTRON_CONF = '/etc/neutron/neutron.conf';
export const ML2_CONF = '/etc/neutron/plugins/ml2/ml2_conf.ini';
/** Every neutron command reads both files, ml2_conf.ini last (as Debian's and Kolla's services do). */
const CONFIG_ARGS = ['--config-file', NEUTRON_CONF, '--config-file', ML2_CONF];
/** neutron-server's state_path (oslo.concurrency's locks below it): an emptyDir. */
const STATE_DIR = '/var/lib/neutron';

/**
 * neutron.conf and ml2_conf.ini of a site, overrides (spec.services.neutron.config, then the site's) applied to both:
 * the `ml2*` sections go to ml2_conf.ini, which neutron reads last, so an override of them wins there too.
 */
export function neutronConfig(ctx: RenderContext, site: string): { neutron: IniDocument; ml2: IniDocument } {
  const doc = resolveConfig(ctx, NAME, site, {
    DEFAULT: {
      log_file: '',
      use_stderr: 'true',
      bind_host: '0.0.0.0',
      bind_port: String(PORTS.api),
      core_plugin: 'ml2',
      // None: nova needs ports only (routers, floating IPs, QoS... need agents to mean anything).
      service_plugins: '',
      auth_strategy: 'keystone',
      // ML2's notifications to agents are casts on the bus (nobody consumes them): no RPC worker process, no DHCP
      // agent notification.
      transport_url: transportUrl(ctx, site, busSite(ctx, site)),
      api_workers: '2',
      rpc_workers: '0',
      rpc_state_report_workers: '0',
      dhcp_agent_notification: 'false',
      // No port is ever bound (no mechanism driver), so no port event concerns nova: no [nova] credentials needed.
      notify_nova_on_port_status_changes: 'false',
      notify_nova_on_port_data_changes: 'false',
    },
    database: {
      connection: dbConnection(ctx, site, { user: NAME, base: NAME, ownerSite: site }),
      max_retries: '-1',
    },
    keystone_authtoken: keystoneAuthtoken(ctx, site, NAME),
    oslo_concurrency: { lock_path: `${STATE_DIR}/tmp` },
    ...messagingSections(ctx),
    oslo_messaging_notifications: { driver: 'noop' },
    oslo_middleware: { enable_proxy_headers_parsing: 'true' },
    ml2: {
      // `vlan` for what its driver does at start: it syncs its (here empty) VLAN allocations, the one database query
      // before the API workers fork, which configures SQLAlchemy's mappers. With `flat` alone nothing queries, the
      // Port.port_forwardings relationship does not exist yet, and each worker's GET /v2.0/ports — nova's call for a
      // server's show, list, delete, start and reboot — answers 500 until some other request has queried.
      // An admin may record flat and VLAN provider networks (rows nothing wires); projects get no network type,
      // since nothing would carry their traffic; no mechanism driver, so a port with a host never binds.
      type_drivers: 'flat,vlan',
      tenant_network_types: '',
      mechanism_drivers: '',
      extension_drivers: '',
    },
  });
  const split = (ml2: boolean) =>
    Object.fromEntries(Object.entries(doc).filter(([section]) => section.startsWith('ml2') === ml2));
  return { neutron: split(false), ml2: split(true) };
}

function image(ctx: RenderContext, site: string): string {
  return openStackImage(ctx, { name: NAME, images: IMAGES }, 'neutron-server', site);
}

function confFiles(ctx: RenderContext, site: string): ConfigFile[] {
  const { neutron: conf, ml2 } = neutronConfig(ctx, site);
  return [
    { key: 'neutron.conf', path: NEUTRON_CONF, content: renderIni(conf) },
    { key: 'ml2_conf.ini', path: ML2_CONF, content: renderIni(ml2) },
  ];
}

const api: UnitRenderer = (unit, ctx) => {
  const site = applySite(unit);
  const files = confFiles(ctx, site);
  const config = configSecret('neutron-server-etc', files);
  const container = {
    name: 'neutron-server',
    image: image(ctx, site),
    imagePullPolicy: 'IfNotPresent',
    command: ['neutron-server', ...CONFIG_ARGS],
    ports: [{ name: 'http', containerPort: PORTS.api, protocol: 'TCP' }],
    // GET / is the versions document, served without a token
    readinessProbe: httpProbe('/', PORTS.api, 10),
    livenessProbe: httpProbe('/', PORTS.api, 60, 20),
    resources: resources('100m', '256Mi', '1Gi'),
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [...configMounts(files), { name: 'state', mountPath: STATE_DIR }],
  };
  const deployment = workload(ctx, unit, {
    kind: 'Deployment',
    name: 'neutron-server',
    replicas: resolveReplicas(ctx, NAME, site),
    role: 'control-plane',
    config: [config],
    containers: [container],
    volumes: [configVolume('neutron-server-etc'), { name: 'state', emptyDir: {} }],
    securityContext: restrictedPodSecurity(UID),
    spread: true,
  });
  const service = serviceOf(SERVICE_NAMES.api, selectorLabels(ctx, unit.component, unit.step, unit.site), [
    { name: 'http', port: PORTS.api },
  ]);
  return [config, deployment, service];
};

export const neutron = defineOpenStackService({
  component: {
    name: NAME,
    description: 'network service, agent-less (neutron-server alone: the ports nova asks for, no connectivity)',
    enabled: serviceOptIn(NAME),
    requires: ['keystone'],
    steps: [
      {
        id: 'db-create',
        kind: 'job',
        expectedSeconds: 10,
        placement: CONTROL,
        dependsOn: DATABASE_READY,
        description: 'create the neutron database and its user',
      },
      {
        id: 'db-sync',
        kind: 'job',
        expectedSeconds: 40,
        placement: CONTROL,
        dependsOn: [dep(NAME, 'db-create', 'same-site')],
        description: 'neutron-db-manage upgrade heads',
      },
      {
        id: 'ks-register',
        kind: 'job',
        expectedSeconds: 20,
        placement: CONTROL,
        dependsOn: KEYSTONE_READY,
        description: 'service user, service and endpoints of neutron in Keystone',
      },
      {
        id: 'api',
        kind: 'workload',
        expectedSeconds: 30,
        placement: CONTROL,
        dependsOn: [
          dep(NAME, 'db-sync', 'same-site'),
          dep(NAME, 'ks-register', 'same-site'),
          dep('memcached', 'server'),
          dep('message-bus', 'server'),
        ],
        description: 'neutron-server Deployment and Service',
      },
    ],
  },
  renderers: {
    'db-create': (unit, ctx) => dbCreateJob(ctx, unit, NAME, [NAME]),
    'db-sync': (unit, ctx) =>
      job(ctx, unit, {
        baseName: 'neutron-db-sync',
        image: image(ctx, applySite(unit)),
        command: ['neutron-db-manage', ...CONFIG_ARGS, 'upgrade', 'heads'],
        files: confFiles(ctx, applySite(unit)),
        uid: UID,
      }),
    'ks-register': (unit, ctx) =>
      ksRegisterJob(ctx, unit, NAME, [
        { type: 'network', description: 'OpenStack Networking', svc: SERVICE_NAMES.api, port: PORTS.api },
      ]),
    api,
  },
  secrets: [databaseUserSecret(NAME), serviceUserSecret(NAME)],
  ports: PORTS,
  serviceNames: SERVICE_NAMES,
  images: IMAGES,
  uid: UID,
  optIn:
    'Opt-in: deployed only when present (neutron: {}). Agent-less Neutron: neutron-server alone (ML2 without mechanism driver, no L2, L3, DHCP or metadata agent), so that nova can show, list, delete, start and reboot servers booted with --nic none; no network carries traffic and no port can be bound. Not proven on a real-node fleet yet.',
});
