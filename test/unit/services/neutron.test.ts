// Neutron, agent-less and opt-in: the API gives spec.services.neutron no default, so only a DistributedCloud that
// lists it plans it; its rendered neutron.conf and ml2_conf.ini (parsed back), the db-sync command, its Keystone
// registration as `network`, the neutron-server Deployment; nova's [neutron] section per daemon and site, and the
// dependencies nova and the smoke Job get, in every topology.
import { describe, expect, test } from '@jest/globals';
import { distributedCloud } from '../../../operator/src/api/schema/index.js';
import type { DistributedCloud, ServiceSpec } from '../../../operator/src/api/types.js';
import { validateDistributedCloud } from '../../../operator/src/api/validate.js';
import { CATALOG } from '../../../operator/src/catalog/index.js';
import { buildPlan } from '../../../operator/src/planner/index.js';
import { renderNamespace, renderUnit, type K8sObject, type RenderContext } from '../../../operator/src/render/index.js';
import { parseIni, type IniDocument } from '../../../operator/src/render/ini.js';
import { memberNamespace } from '../../../operator/src/render/labels.js';
import { OPENSTACK_SERVICES, OPT_IN_SERVICES } from '../../../operator/src/services/registry.js';
import { TOPOLOGIES, exposedAt, liveContext, sampleDc, sampleSites, type TopologyName } from '../render/fixtures.js';

function withNeutron(topology: TopologyName, neutron: ServiceSpec | undefined = {}): DistributedCloud {
  const dc = sampleDc(topology);
  return { ...dc, spec: { ...dc.spec, services: { ...dc.spec.services, neutron } } };
}

const contexts = new Map<TopologyName, RenderContext>();
/** The sample of a topology with spec.services.neutron: {} (rendered as the operator does, with nodePorts). */
function ctxOf(topology: TopologyName): RenderContext {
  let ctx = contexts.get(topology);
  if (!ctx) contexts.set(topology, (ctx = liveContext(withNeutron(topology))));
  return ctx;
}

function unitObjects(ctx: RenderContext, id: string): K8sObject[] {
  const unit = ctx.plan.byId.get(id);
  if (!unit) throw new Error(`no unit ${id} in plan`);
  return renderUnit(unit, ctx);
}

function secretFile(objects: K8sObject[], key: string): string {
  for (const o of objects) {
    const data = (o.kind === 'Secret' ? o.data : undefined) as Record<string, string> | undefined;
    if (data?.[key] !== undefined) return Buffer.from(data[key], 'base64').toString('utf8');
  }
  throw new Error(`no Secret key ${key} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
}

function ini(ctx: RenderContext, id: string, file: string): IniDocument {
  return parseIni(secretFile(unitObjects(ctx, id), file));
}

type Container = {
  name: string;
  image: string;
  command: string[];
  volumeMounts: { name: string; mountPath: string; subPath?: string }[];
  readinessProbe?: { httpGet?: { path: string; port: number } };
  livenessProbe?: { httpGet?: { path: string; port: number } };
  securityContext: Record<string, unknown>;
};
type PodSpec = {
  containers: Container[];
  volumes: Record<string, unknown>[];
  securityContext: Record<string, unknown>;
};

function podSpec(objects: K8sObject[], kind: string): PodSpec {
  const o = objects.find((x) => x.kind === kind);
  if (!o) throw new Error(`no ${kind}`);
  return (o.spec as { template: { spec: PodSpec } }).template.spec;
}

const ns = (ctx: RenderContext, site: string) => memberNamespace(ctx.dc, site);
const neutronUnits = (ctx: RenderContext) => ctx.plan.units.filter((u) => u.component === 'neutron').map((u) => u.id);

describe('opt-in: spec.services.neutron has no default and deploys neutron only when present', () => {
  test('the API: no default for neutron (every other service defaults to {}), its description says opt-in', () => {
    expect(Object.keys(OPT_IN_SERVICES)).toEqual(['neutron']);
    const services = distributedCloud.schema.properties!.spec!.properties!.services!.properties!;
    for (const name of OPENSTACK_SERVICES) {
      if (name === 'neutron') expect(services[name]!.default).toBeUndefined();
      else expect(services[name]!.default).toEqual({});
    }
    expect(services.neutron!.description).toMatch(/^Opt-in: deployed only when present/);
    expect(services.neutron!.description).toContain('Not proven on a real-node fleet yet');
  });

  test('defaulting (as the API server does) leaves an absent neutron absent; neutron: {} is enabled', () => {
    const without = validateDistributedCloud(JSON.parse(JSON.stringify(sampleDc('centralized'))));
    expect(without.ok).toBe(true);
    const spec = (without as { value: DistributedCloud }).value.spec;
    expect(spec.services.neutron).toBeUndefined();
    expect(spec.services.glance).toMatchObject({ enabled: true, replicas: 1 });
    const withIt = validateDistributedCloud(JSON.parse(JSON.stringify(withNeutron('centralized'))));
    expect((withIt as { value: DistributedCloud }).value.spec.services.neutron).toEqual({ enabled: true, replicas: 1 });
  });

  test.each(TOPOLOGIES)('%s: no neutron unit unless listed; listed, one of each step per CONTROL site', (topology) => {
    const sites = sampleSites();
    const plain = buildPlan(sampleDc(topology), sites);
    expect(plain.units.filter((u) => u.component === 'neutron')).toEqual([]);
    expect(
      buildPlan(withNeutron(topology, { enabled: false }), sites).units.some((u) => u.component === 'neutron'),
    ).toBe(false);
    const ctx = ctxOf(topology);
    const control = topology === 'distributed' ? ctx.plan.sites : ['core'];
    expect(neutronUnits(ctx).sort()).toEqual(
      control
        .flatMap((s) => ['db-create', 'db-sync', 'ks-register', 'api'].map((step) => `neutron-${step}@${s}`))
        .sort(),
    );
  });

  test('the catalog entry enables neutron only when spec.services.neutron is present and not disabled', () => {
    const enabled = CATALOG.find((c) => c.name === 'neutron')!.enabled;
    expect(enabled(sampleDc('centralized').spec)).toBe(false);
    expect(enabled(withNeutron('centralized').spec)).toBe(true);
    expect(enabled(withNeutron('centralized', { enabled: false }).spec)).toBe(false);
  });
});

describe('neutron.conf and ml2_conf.ini', () => {
  test('centralized: ML2 without agents or service plugins, the core database, bus, Keystone and memcached', () => {
    const ctx = ctxOf('centralized');
    const core = ns(ctx, 'core');
    const conf = ini(ctx, 'neutron-api@core', 'neutron.conf');
    expect(conf.DEFAULT).toEqual({
      log_file: '',
      use_stderr: 'true',
      bind_host: '0.0.0.0',
      bind_port: '9696',
      core_plugin: 'ml2',
      service_plugins: '',
      auth_strategy: 'keystone',
      transport_url: `rabbit://openstack:${ctx.secrets['message-bus']!.password}@message-bus.${core}.svc:5672/`,
      api_workers: '2',
      rpc_workers: '0',
      rpc_state_report_workers: '0',
      dhcp_agent_notification: 'false',
      notify_nova_on_port_status_changes: 'false',
      notify_nova_on_port_data_changes: 'false',
    });
    expect(conf.database).toEqual({
      connection: `mysql+pymysql://neutron:${ctx.secrets['database-neutron']!.password}@database.${core}.svc:3306/neutron?charset=utf8`,
      max_retries: '-1',
    });
    expect(conf.keystone_authtoken).toMatchObject({
      auth_url: `http://keystone-api.${core}.svc:5000`,
      www_authenticate_uri: `http://keystone-api.${core}.svc:5000`,
      auth_type: 'password',
      project_name: 'service',
      username: 'neutron',
      password: ctx.secrets['keystone-user-neutron']!.password,
      region_name: 'paris',
      memcached_servers: `memcached.${core}.svc:11211`,
    });
    expect(conf.oslo_concurrency).toEqual({ lock_path: '/var/lib/neutron/tmp' });
    expect(conf.oslo_messaging_rabbit?.rabbit_quorum_queue).toBe('true');
    expect(conf.nova).toBeUndefined(); // no port event is ever sent to nova
    expect(Object.keys(conf).filter((s) => s.startsWith('ml2'))).toEqual([]);
    expect(ini(ctx, 'neutron-api@core', 'ml2_conf.ini')).toEqual({
      // vlan: its driver's start-up query configures the ORM mappers before the API workers fork (else each
      // worker's first GET /v2.0/ports, nova's call, answers 500: Port.port_forwardings is not set up yet)
      ml2: { type_drivers: 'flat,vlan', tenant_network_types: '', mechanism_drivers: '', extension_drivers: '' },
    });
  });

  test('distributed: each site its own neutron database and bus, its own Keystone and region', () => {
    const ctx = ctxOf('distributed');
    const e1 = ns(ctx, 'edge-1');
    const conf = ini(ctx, 'neutron-api@edge-1', 'neutron.conf');
    expect(conf.database!.connection).toMatch(
      new RegExp(`^mysql\\+pymysql://neutron:[^@]+@database\\.${e1}\\.svc:3306/neutron_edge_1\\?charset=utf8$`),
    );
    expect(conf.DEFAULT!.transport_url).toMatch(new RegExp(`@message-bus\\.${e1}\\.svc:5672/$`));
    expect(conf.keystone_authtoken!.auth_url).toBe(`http://keystone-api.${e1}.svc:5000`);
    expect(conf.keystone_authtoken!.region_name).toBe('lyon');
    const create = secretFile(unitObjects(ctx, 'neutron-db-create@edge-1'), 'create.sql');
    expect(create).toContain('CREATE DATABASE IF NOT EXISTS `neutron_edge_1`');
    expect(create).toContain(`IDENTIFIED BY '${ctx.secrets['database-neutron']!.password}'`);
  });

  test('overrides: ml2 sections land in ml2_conf.ini (read last), the others in neutron.conf; the site wins', () => {
    const dc = withNeutron('centralized', {
      config: { DEFAULT: { debug: 'true', api_workers: '4' }, ml2: { mechanism_drivers: 'openvswitch' } },
    });
    dc.spec.siteOverrides = [{ site: 'core', config: { neutron: { ml2_type_flat: { flat_networks: 'physnet1' } } } }];
    const ctx = liveContext(dc);
    const conf = ini(ctx, 'neutron-api@core', 'neutron.conf');
    expect(conf.DEFAULT).toMatchObject({ debug: 'true', api_workers: '4' });
    expect(conf.ml2).toBeUndefined();
    expect(ini(ctx, 'neutron-api@core', 'ml2_conf.ini')).toEqual({
      ml2: {
        type_drivers: 'flat,vlan',
        tenant_network_types: '',
        mechanism_drivers: 'openvswitch',
        extension_drivers: '',
      },
      ml2_type_flat: { flat_networks: 'physnet1' },
    });
  });
});

describe('neutron Jobs and neutron-server', () => {
  const ctx = ctxOf('centralized');

  test('db-sync: neutron-db-manage with both files, upgrade heads, as uid neutron in a restricted pod', () => {
    const objects = unitObjects(ctx, 'neutron-db-sync@core');
    const pod = podSpec(objects, 'Job');
    const c = pod.containers[0]!;
    expect(c.command).toEqual([
      'neutron-db-manage',
      '--config-file',
      '/etc/neutron/neutron.conf',
      '--config-file',
      '/etc/neutron/plugins/ml2/ml2_conf.ini',
      'upgrade',
      'heads',
    ]);
    expect(c.image).toBe('quay.io/openstack.kolla/neutron-server:2025.1-ubuntu-noble');
    expect(c.volumeMounts.map((m) => [m.mountPath, m.subPath])).toEqual([
      ['/etc/neutron/neutron.conf', 'neutron.conf'],
      ['/etc/neutron/plugins/ml2/ml2_conf.ini', 'ml2_conf.ini'],
    ]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 42435, fsGroup: 42435 });
    // the Job reads the very files neutron-server reads
    for (const f of ['neutron.conf', 'ml2_conf.ini'])
      expect(secretFile(objects, f)).toBe(secretFile(unitObjects(ctx, 'neutron-api@core'), f));
  });

  test('ks-register: service type network, neutron-server:9696 in the region, the neutron service user', () => {
    const objects = unitObjects(ctx, 'neutron-ks-register@core');
    const registration = JSON.parse(secretFile(objects, 'input.json')) as {
      region: string;
      user: { name: string; project: string; roles: string[] };
      services: { name: string; type: string; endpoints: Record<string, string> }[];
    };
    expect(registration.region).toBe('paris');
    expect(registration.user).toEqual({ name: 'neutron', project: 'service', roles: ['admin', 'service'] });
    const publicUrl = `http://${exposedAt(ctx, 'core', 'neutron-server', 9696)}`;
    expect(registration.services).toEqual([
      {
        name: 'neutron',
        type: 'network',
        description: 'OpenStack Networking',
        endpoints: {
          public: publicUrl,
          internal: `http://neutron-server.${ns(ctx, 'core')}.svc:9696`,
          admin: publicUrl,
        },
      },
    ]);
    expect(secretFile(objects, 'SERVICE_PASSWORD')).toBe(ctx.secrets['keystone-user-neutron']!.password);
  });

  test('api: neutron-server with both files, probes on GET /, Service on 9696, restricted as uid neutron', () => {
    const objects = unitObjects(ctx, 'neutron-api@core');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/neutron-server-etc',
      'Deployment/neutron-server',
      'Service/neutron-server',
    ]);
    const pod = podSpec(objects, 'Deployment');
    const c = pod.containers[0]!;
    expect(c.command).toEqual([
      'neutron-server',
      '--config-file',
      '/etc/neutron/neutron.conf',
      '--config-file',
      '/etc/neutron/plugins/ml2/ml2_conf.ini',
    ]);
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/', port: 9696 });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/', port: 9696 });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 42435, runAsGroup: 42435 });
    // the lock_path lives in an emptyDir the uid can write (fsGroup)
    const state = c.volumeMounts.find((m) => m.mountPath === '/var/lib/neutron')!;
    expect(pod.volumes.find((v) => v.name === state.name)).toEqual({ name: state.name, emptyDir: {} });
    const svc = objects.find((o) => o.kind === 'Service')!.spec as { ports: { port: number }[] };
    expect(svc.ports.map((p) => p.port)).toEqual([9696]);
    // neutron-server needs no privilege: the core's namespace stays restricted
    expect(renderNamespace(ctx, 'core').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('spec.services.neutron.image and replicas apply to neutron-server', () => {
    const c = liveContext(withNeutron('centralized', { replicas: 2, image: 'example.org/neutron-server:x' }));
    const dep = unitObjects(c, 'neutron-api@core').find((o) => o.kind === 'Deployment')!;
    const spec = dep.spec as { replicas: number; template: { spec: { containers: { image: string }[] } } };
    expect(spec.replicas).toBe(2);
    expect(spec.template.spec.containers[0]!.image).toBe('example.org/neutron-server:x');
  });
});

describe("nova's [neutron] section", () => {
  const auth = (ctx: RenderContext, keystone: string, region: string, interfaces: string) => ({
    auth_type: 'password',
    auth_url: `http://${keystone}`,
    project_domain_name: 'Default',
    user_domain_name: 'Default',
    project_name: 'service',
    username: 'nova',
    password: ctx.secrets['keystone-user-nova']!.password,
    region_name: region,
    valid_interfaces: interfaces,
  });

  test('centralized: api and conductor use the internal endpoint, edge computes the public one', () => {
    const ctx = ctxOf('centralized');
    const keystone = `keystone-api.${ns(ctx, 'core')}.svc:5000`;
    const secret = ctx.secrets['nova-metadata-proxy']!['shared-secret'];
    expect(ini(ctx, 'nova-api@core', 'nova.conf').neutron).toEqual({
      metadata_proxy_shared_secret: secret,
      ...auth(ctx, keystone, 'paris', 'internal,public'),
    });
    expect(ini(ctx, 'nova-conductor@core', 'nova.conf').neutron).toEqual(
      auth(ctx, keystone, 'paris', 'internal,public'),
    );
    expect(ini(ctx, 'nova-compute@edge-1', 'nova.conf').neutron).toEqual(
      auth(ctx, exposedAt(ctx, 'core', 'keystone-api', 5000), 'paris', 'public'),
    );
    // no network call from the scheduler or the nova-manage Jobs
    for (const id of ['nova-scheduler@core', 'nova-db-sync@core', 'nova-discover-hosts@core'])
      expect([id, ini(ctx, id, 'nova.conf').neutron]).toEqual([id, undefined]);
  });

  test('cells: the cell conductor and computes of an edge use the core neutron through its public endpoint', () => {
    const ctx = ctxOf('cells');
    const keystone = exposedAt(ctx, 'core', 'keystone-api', 5000);
    expect(ini(ctx, 'nova-conductor@edge-1', 'nova.conf').neutron).toEqual(auth(ctx, keystone, 'paris', 'public'));
    expect(ini(ctx, 'nova-compute@edge-2', 'nova.conf').neutron).toEqual(auth(ctx, keystone, 'paris', 'public'));
  });

  test("distributed: every site's daemons use their own site's neutron, in their own region", () => {
    const ctx = ctxOf('distributed');
    const keystone = `keystone-api.${ns(ctx, 'edge-1')}.svc:5000`;
    expect(ini(ctx, 'nova-compute@edge-1', 'nova.conf').neutron).toEqual(
      auth(ctx, keystone, 'lyon', 'internal,public'),
    );
    expect(ini(ctx, 'nova-conductor@edge-1', 'nova.conf').neutron).toEqual(
      auth(ctx, keystone, 'lyon', 'internal,public'),
    );
  });

  test('without neutron: nova-api keeps only the metadata secret, conductor and compute have no [neutron]', () => {
    const ctx = liveContext(sampleDc('centralized'));
    expect(Object.keys(ini(ctx, 'nova-api@core', 'nova.conf').neutron!)).toEqual(['metadata_proxy_shared_secret']);
    expect(ini(ctx, 'nova-conductor@core', 'nova.conf').neutron).toBeUndefined();
    expect(ini(ctx, 'nova-compute@edge-1', 'nova.conf').neutron).toBeUndefined();
  });
});

describe('dependencies', () => {
  const deps = (ctx: RenderContext, id: string) => [...ctx.plan.byId.get(id)!.dependsOn].sort();

  test('neutron-server waits for its database sync, its registration, memcached and the bus', () => {
    const ctx = ctxOf('centralized');
    expect(deps(ctx, 'neutron-api@core')).toEqual([
      'memcached-server@core',
      'message-bus-server@core',
      'neutron-db-sync@core',
      'neutron-ks-register@core',
    ]);
    expect(deps(ctx, 'neutron-db-sync@core')).toEqual(['neutron-db-create@core']);
    expect(deps(ctx, 'neutron-ks-register@core')).toEqual(['keystone-api@core']);
  });

  test.each([
    ['centralized', 'nova-api@core', 'neutron-ks-register@core'],
    ['centralized', 'nova-conductor@core', 'neutron-ks-register@core'],
    ['centralized', 'nova-compute@edge-3', 'neutron-ks-register@core'],
    ['cells', 'nova-conductor@edge-1', 'neutron-ks-register@core'],
    ['cells', 'nova-compute@edge-1', 'neutron-ks-register@core'],
    ['distributed', 'nova-compute@edge-2', 'neutron-ks-register@edge-2'],
    ['distributed', 'nova-api@edge-2', 'neutron-ks-register@edge-2'],
  ] as const)('%s: %s waits for %s (the network endpoint in the catalog)', (topology, unit, dependency) => {
    expect(deps(ctxOf(topology), unit)).toContain(dependency);
  });

  test.each(TOPOLOGIES)('%s: the smoke Job of each control site waits for that site’s neutron-server', (topology) => {
    const ctx = ctxOf(topology);
    for (const u of ctx.plan.units.filter((x) => x.component === 'smoke'))
      expect(deps(ctx, u.id)).toEqual(
        expect.arrayContaining([`neutron-api@${u.site}`, `neutron-ks-register@${u.site}`]),
      );
  });

  test.each(TOPOLOGIES)('%s without neutron: no unit depends on a neutron unit', (topology) => {
    const plan = buildPlan(sampleDc(topology), sampleSites());
    expect(plan.units.flatMap((u) => u.dependsOn).filter((d) => d.startsWith('neutron-'))).toEqual([]);
  });

  test('the scheduler does not wait for neutron', () => {
    expect(deps(ctxOf('centralized'), 'nova-scheduler@core').some((d) => d.startsWith('neutron-'))).toBe(false);
  });
});
