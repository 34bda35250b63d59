// Renderer tests over the three sample topologies: determinism, labels, compact snapshots, INI files parsed back
// with per-service/per-site assertions, Job input hashes, overrides order and the generated-secrets seam.
import { describe, expect, test } from '@jest/globals';
import type { DistributedCloud } from '../../../operator/src/api/types.js';
import {
  RenderError,
  generateMissingSecrets,
  generatedSecretsFromData,
  missingSecrets,
  renderManagementObjects,
  renderNamespace,
  renderPlan,
  renderUnit,
  requiredSecrets,
  toYaml,
  type K8sObject,
  type RenderContext,
} from '../../../operator/src/render/index.js';
import { parseIni, type IniDocument } from '../../../operator/src/render/ini.js';
import { memberNamespace } from '../../../operator/src/render/labels.js';
import {
  TOPOLOGIES,
  contextFor,
  exposedAt,
  liveContext,
  sampleContext,
  sampleDc,
  sampleSites,
  seededBytes,
} from './fixtures.js';

function unitObjects(ctx: RenderContext, id: string): K8sObject[] {
  const unit = ctx.plan.byId.get(id);
  if (!unit) throw new Error(`no unit ${id} in plan (${ctx.plan.units.map((u) => u.id).join(', ')})`);
  return renderUnit(unit, ctx);
}

/**
 * Rendered text with each member namespace (`<dc namespace>-<dc>-<site>-<hash>`, exact names checked in the labels
 * test) written NS(<site>), so wiring assertions say which site's namespace an address points into.
 */
function norm(text: string): string {
  return text.replace(/openstack-demo-[a-z]+-(core|edge-\d)-[0-9a-f]{8}/g, 'NS($1)');
}

function secretFile(objects: K8sObject[], key: string): string {
  for (const o of objects) {
    const data = (o.kind === 'Secret' ? o.data : undefined) as Record<string, string> | undefined;
    if (data?.[key] !== undefined) return norm(Buffer.from(data[key], 'base64').toString('utf8'));
  }
  throw new Error(`no Secret key ${key} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
}

function ini(ctx: RenderContext, id: string, file: string): IniDocument {
  return parseIni(secretFile(unitObjects(ctx, id), file));
}

function jobCommand(objects: K8sObject[]): string[] {
  const job = objects.find((o) => o.kind === 'Job') as
    { spec: { template: { spec: { containers: { command: string[] }[] } } } } | undefined;
  if (!job) throw new Error('no Job');
  return job.spec.template.spec.containers[0]!.command.map(norm);
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe.each(TOPOLOGIES)('%s sample', (topology) => {
  const ctx = sampleContext(topology);
  const files = renderPlan(ctx);

  test('renders every unit of the plan; re-rendering (fresh plan and context) is byte-identical', () => {
    expect(
      files
        .filter((f) => f.unit)
        .map((f) => f.unit)
        .sort(),
    ).toEqual(ctx.plan.units.map((u) => u.id).sort());
    const again = renderPlan(sampleContext(topology));
    expect(again.map((f) => f.path)).toEqual(files.map((f) => f.path));
    expect(again.map((f) => toYaml(f.objects)).join('')).toBe(files.map((f) => toYaml(f.objects)).join(''));
  });

  test('every object carries the standard and owner labels, the spec-hash annotation and its site member namespace', () => {
    for (const f of files) {
      for (const o of f.objects) {
        const labels = o.metadata.labels ?? {};
        expect(labels['app.kubernetes.io/part-of']).toBe('discovery');
        expect(labels['app.kubernetes.io/managed-by']).toBe('discovery-operator');
        expect(labels['discovery.beyondtheclouds.io/dc']).toBe(ctx.dc.metadata.name);
        for (const v of Object.values(labels)) expect(v).toMatch(LABEL_VALUE);
        for (const v of Object.values(labels)) expect(v.length).toBeLessThanOrEqual(63);
        expect(o.metadata.annotations?.['discovery.beyondtheclouds.io/spec-hash']).toMatch(/^[0-9a-f]{64}$/);
        expect(o.metadata.name.length).toBeLessThanOrEqual(63);
        // one member namespace per DC and per site: the site directory the file lands in
        const site = f.path.split('/')[0]!;
        if (site === 'management') expect(o.metadata.namespace).toBe('openstack');
        else if (o.kind === 'Namespace') expect(o.metadata.name).toBe(memberNamespace(ctx.dc, site));
        else expect(o.metadata.namespace).toBe(memberNamespace(ctx.dc, site));
        if (site !== 'management') expect(labels['discovery.beyondtheclouds.io/dc-namespace']).toBe('openstack');
        if (f.unit) {
          const unit = ctx.plan.byId.get(f.unit)!;
          expect(labels['discovery.beyondtheclouds.io/site']).toBe(unit.site);
          expect(labels['discovery.beyondtheclouds.io/component']).toBe(unit.component);
          expect(labels['discovery.beyondtheclouds.io/step']).toBe(unit.step);
          expect(labels['app.kubernetes.io/name']).toBe(unit.component);
          expect(o.metadata.annotations?.['discovery.beyondtheclouds.io/unit']).toBe(unit.id);
        }
      }
    }
  });

  test('no two objects of one cluster share kind and name', () => {
    const seen = new Map<string, string>();
    for (const f of files) {
      const site = f.path.split('/')[0]!;
      for (const o of f.objects) {
        const key = `${site}/${o.kind}/${o.metadata.name}`;
        if (
          o.kind === 'Secret' &&
          (o.metadata.name === 'keystone-fernet-keys' || o.metadata.name === 'keystone-credential-keys')
        )
          continue;
        expect(seen.get(key) ?? f.path).toBe(f.path);
        seen.set(key, f.path);
      }
    }
  });

  test('workloads: images pinned, probes, resources, config-hash annotation, node selector', () => {
    for (const f of files) {
      for (const o of f.objects) {
        if (!['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind)) continue;
        const spec = o.spec as {
          template: { metadata: { annotations?: Record<string, string> }; spec: Record<string, unknown> };
        };
        const pod = spec.template.spec as {
          containers: Record<string, unknown>[];
          nodeSelector: Record<string, string>;
        };
        for (const c of pod.containers) {
          expect(c.image).toMatch(/^(quay\.io|docker\.io)\/[^:]+:[^:]+$/);
          expect(c.image).not.toMatch(/:latest$/);
          expect(c.resources).toBeDefined();
          if (o.kind !== 'Job') expect(c.readinessProbe).toBeDefined();
        }
        const role = o.kind === 'DaemonSet' ? 'openstack-compute-node' : 'openstack-control-plane';
        expect(pod.nodeSelector[role]).toBe('enabled');
        if (o.kind !== 'Job' || (pod as { volumes?: unknown[] }).volumes?.length) {
          expect(spec.template.metadata.annotations?.['discovery.beyondtheclouds.io/config-hash']).toMatch(
            /^[0-9a-f]{64}$/,
          );
        }
      }
    }
  });

  test('Jobs are named after the hash of their inputs', () => {
    for (const f of files) {
      for (const o of f.objects.filter((x) => x.kind === 'Job')) {
        const hash = o.metadata.annotations?.['discovery.beyondtheclouds.io/input-hash'];
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(o.metadata.name.endsWith(`-${hash!.slice(0, 8)}`)).toBe(true);
        expect((o.spec as { backoffLimit?: number }).backoffLimit).toBeGreaterThan(0);
        expect((o.spec as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished).toBeUndefined();
      }
    }
  });

  test('[api_database] only where the unit touches the API database; compute has no database at all', () => {
    const apiSites = new Set(
      ctx.plan.units.filter((u) => u.component === 'nova' && u.step === 'api').map((u) => u.site),
    );
    for (const u of ctx.plan.units.filter((x) => x.component === 'nova')) {
      const objects = renderUnit(u, ctx);
      const secret = objects.find((o) => o.kind === 'Secret' && (o.data as Record<string, string>)['nova.conf']);
      if (!secret) continue;
      const conf = parseIni(secretFile([secret], 'nova.conf'));
      const expectsApiDb =
        ['api', 'scheduler', 'api-db-sync', 'map-cell0', 'create-cell', 'discover-hosts'].includes(u.step) ||
        (['conductor', 'db-sync'].includes(u.step) && apiSites.has(u.site));
      expect([u.id, conf.api_database !== undefined]).toEqual([u.id, expectsApiDb]);
      if (u.step === 'compute') expect(conf.database).toBeUndefined();
      expect(conf.DEFAULT?.transport_url).toMatch(/^(rabbit|amqp):\/\//);
    }
  });

  test('compact snapshot: object kinds and names per file', () => {
    const summary = Object.fromEntries(
      files.map((f) => [
        f.path,
        f.objects.map((o) => `${o.kind}/${o.metadata.name.replace(/-[0-9a-f]{8}$/, '-<hash>')}`),
      ]),
    );
    expect(summary).toMatchSnapshot();
  });
});

describe('centralized wiring', () => {
  const ctx = sampleContext('centralized');

  test("edge computes use the core bus, core Keystone and core Glance at the core's address and nodePorts", () => {
    const conf = ini(ctx, 'nova-compute@edge-1', 'nova.conf');
    const core = (svc: string, port: number) => exposedAt(ctx, 'core', svc, port);
    expect(core('message-bus', 5672)).toMatch(/^192\.0\.2\.10:3\d{4}$/);
    expect(conf.DEFAULT!.transport_url).toMatch(/^rabbit:\/\/openstack:[^@]+@(\S+)\/$/);
    expect(conf.DEFAULT!.transport_url!.endsWith(`@${core('message-bus', 5672)}/`)).toBe(true);
    expect(conf.placement!.auth_url).toBe(`http://${core('keystone-api', 5000)}`);
    expect(conf.placement!.region_name).toBe('paris');
    // the region's internal endpoints are the core's in-cluster names: an edge uses the public ones
    expect(conf.placement!.valid_interfaces).toBe('public');
    expect(ini(ctx, 'nova-conductor@core', 'nova.conf').placement!.valid_interfaces).toBe('internal,public');
    expect(conf.glance!.api_servers).toBe(`http://${core('glance-api', 9292)}`);
    expect(conf.cache!.memcache_servers).toBe(core('memcached', 11211));
    expect(conf.DEFAULT!.cpu_allocation_ratio).toBe('4.0'); // spec.services.nova.config
  });

  test('core services use in-cluster names; glance authenticates against core Keystone', () => {
    const glance = ini(ctx, 'glance-api@core', 'glance-api.conf');
    expect(glance.keystone_authtoken!.auth_url).toBe('http://keystone-api.NS(core).svc:5000');
    expect(glance.keystone_authtoken!.www_authenticate_uri).toBe('http://keystone-api.NS(core).svc:5000');
    expect(glance.keystone_authtoken!.memcached_servers).toBe('memcached.NS(core).svc:11211');
    expect(glance.database!.connection).toMatch(
      /^mysql\+pymysql:\/\/glance:[^@]+@database\.NS\(core\)\.svc:3306\/glance\?charset=utf8$/,
    );
    expect(glance.glance_store!.default_backend).toBe('file');
    const keystone = ini(ctx, 'keystone-api@core', 'keystone.conf');
    expect(keystone.token!.provider).toBe('fernet');
    expect(keystone.fernet_tokens!.key_repository).toBe('/etc/keystone/fernet-keys/');
    expect(keystone.credential!.key_repository).toBe('/etc/keystone/credential-keys/');
    expect(keystone.cache!.memcache_servers).toBe('memcached.NS(core).svc:11211');
    expect(keystone.database!.connection).toContain('@database.NS(core).svc:3306/keystone');
    const placement = ini(ctx, 'placement-api@core', 'placement.conf');
    expect(placement.placement_database!.connection).toContain('/placement?');
    expect(placement.keystone_authtoken!.username).toBe('placement');
    expect(placement.keystone_authtoken!.password).toBe(ctx.secrets['keystone-user-placement']!.password);
  });

  test('the single cell lives at the core: conductor, nova-api [database] is the cell DB', () => {
    const conductor = ini(ctx, 'nova-conductor@core', 'nova.conf');
    expect(conductor.database!.connection).toContain('@database.NS(core).svc:3306/nova?');
    expect(conductor.api_database!.connection).toContain('/nova_api?');
    const objects = unitObjects(ctx, 'nova-create-cell@core');
    expect(secretFile(objects, 'cell-transport-url')).toContain('@message-bus.NS(core).svc:5672/');
    expect(secretFile(objects, 'run.sh')).toContain("create_cell --name='cell1'");
  });

  test('keystone replicas come from spec.services.keystone; deployments spread with anti-affinity', () => {
    const dep = unitObjects(ctx, 'keystone-api@core').find((o) => o.kind === 'Deployment')!;
    const spec = dep.spec as {
      replicas: number;
      template: { spec: { affinity?: unknown; securityContext: Record<string, unknown> } };
    };
    expect(spec.replicas).toBe(2);
    expect(spec.template.spec.affinity).toHaveProperty('podAntiAffinity');
    expect(spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });
});

describe('cells wiring', () => {
  const ctx = sampleContext('cells');

  test("a cell's conductor and computes use that cell's own bus and database", () => {
    const conductor = ini(ctx, 'nova-conductor@edge-1', 'nova.conf');
    expect(conductor.DEFAULT!.transport_url).toMatch(/@message-bus\.NS\(edge-1\)\.svc:5672\/$/);
    expect(conductor.database!.connection).toContain('@database.NS(edge-1).svc:3306/nova?');
    expect(conductor.api_database).toBeUndefined();
    const compute = ini(ctx, 'nova-compute@edge-2', 'nova.conf');
    expect(compute.DEFAULT!.transport_url).toMatch(/@message-bus\.NS\(edge-2\)\.svc:5672\/$/);
    expect(compute.placement!.auth_url).toBe(`http://${exposedAt(ctx, 'core', 'keystone-api', 5000)}`);
  });

  test('the super-conductor at the core talks to cell0 and the API database', () => {
    const conductor = ini(ctx, 'nova-conductor@core', 'nova.conf');
    expect(conductor.database!.connection).toContain('@database.NS(core).svc:3306/nova_cell0?');
    expect(conductor.api_database!.connection).toContain('@database.NS(core).svc:3306/nova_api?');
    expect(conductor.DEFAULT!.transport_url).toMatch(/@message-bus\.NS\(core\)\.svc:5672\/$/);
  });

  test('create_cell (run at the core) records the cell bus and DB as reached from the core', () => {
    const objects = unitObjects(ctx, 'nova-create-cell@edge-1');
    expect(objects.map((o) => o.metadata.name)).toContain('nova-create-cell-edge-1-etc');
    expect(jobCommand(objects)).toEqual(['sh', '/etc/discovery/run.sh']);
    expect(secretFile(objects, 'run.sh')).toContain("create_cell --name='edge-1'");
    expect(secretFile(objects, 'cell-transport-url')).toContain(`@${exposedAt(ctx, 'edge-1', 'message-bus', 5672)}/`);
    expect(secretFile(objects, 'cell-database-connection')).toContain(
      `@${exposedAt(ctx, 'edge-1', 'database', 3306)}/nova?`,
    );
    expect(exposedAt(ctx, 'edge-1', 'database', 3306)).toMatch(/^192\.0\.2\.11:/);
  });

  test('cell-site db sync only syncs the local cell; siteOverrides nodeSelector applies to its site only', () => {
    expect(jobCommand(unitObjects(ctx, 'nova-db-sync@edge-3'))).toContain('--local_cell');
    const pod = (o: K8sObject) =>
      (o.spec as { template: { spec: { nodeSelector: Record<string, string> } } }).template.spec;
    const e3 = unitObjects(ctx, 'nova-compute@edge-3').find((o) => o.kind === 'DaemonSet')!;
    expect(pod(e3).nodeSelector).toEqual({
      'openstack-compute-node': 'enabled',
      'topology.kubernetes.io/zone': 'brest-a',
    });
    const e1 = unitObjects(ctx, 'nova-compute@edge-1').find((o) => o.kind === 'DaemonSet')!;
    expect(pod(e1).nodeSelector).toEqual({ 'openstack-compute-node': 'enabled' });
  });
});

describe('distributed wiring', () => {
  const ctx = sampleContext('distributed');
  /** The distributed sample on other backends (refused or release-bound by the API, kept renderable). */
  const variant = (spec: Partial<DistributedCloud['spec']>): RenderContext => {
    const dc = sampleDc('distributed');
    return contextFor({ ...dc, spec: { ...dc.spec, ...spec } });
  };

  test('each site runs its own control plane on its own database and bus; Keystone data is shared at the core', () => {
    const nova = ini(ctx, 'nova-api@edge-1', 'nova.conf');
    expect(nova.api_database!.connection).toMatch(
      /^mysql\+pymysql:\/\/nova:[^@]+@database\.NS\(edge-1\)\.svc:3306\/nova_api_edge_1\?charset=utf8$/,
    );
    expect(nova.database!.connection).toContain('/nova_edge_1?');
    expect(nova.DEFAULT!.transport_url).toMatch(/^rabbit:\/\/openstack:[^@]+@message-bus\.NS\(edge-1\)\.svc:5672\/$/);
    expect(nova.keystone_authtoken!.auth_url).toBe('http://keystone-api.NS(edge-1).svc:5000');
    expect(nova.placement!.region_name).toBe('lyon');
    expect(ini(ctx, 'keystone-api@core', 'keystone.conf').database!.connection).toContain(
      '@database.NS(core).svc:3306/keystone?',
    );
    for (const site of ['edge-1', 'edge-3']) {
      expect(ini(ctx, `keystone-api@${site}`, 'keystone.conf').database!.connection).toContain(
        `@${exposedAt(ctx, 'core', 'database', 3306)}/keystone?`,
      );
    }
  });

  test('a CockroachDB cluster spanning sites (refused by the API) fails to render, saying why', () => {
    // (distributed galera is refused by the API and, with these RTTs, by the planner's GaleraLatency check)
    const spanning = variant({ database: { type: 'cockroachdb', replicas: 3 } });
    expect(() => unitObjects(spanning, 'database-server@edge-2')).toThrow(
      /a cockroachdb cluster spanning sites needs per-member addresses across sites.*use database\.type mariadb/,
    );
  });

  test('qdrouterd (releases before 2025.1): one router id per site, a full mesh with one link per pair', () => {
    const qpid = variant({ release: '2024.1', messageBus: { type: 'qpid-dispatch' } });
    const links = new Set<string>();
    for (const site of qpid.plan.sites) {
      const conf = secretFile(unitObjects(qpid, `message-bus-server@${site}`), 'qdrouterd.conf');
      expect(conf).toContain(`id: demo-distributed.${site}`);
      for (const m of conf.matchAll(/name: to-(\S+)/g)) links.add([site, m[1]!].sort().join('~'));
    }
    expect(links.size).toBe((4 * 3) / 2);
  });

  test('per-site Keystone regions; siteOverrides replicas beat spec.services', () => {
    const registration = (id: string) =>
      JSON.parse(secretFile(unitObjects(ctx, id), 'input.json')) as {
        region: string;
        services: { type: string; endpoints: Record<string, string> }[];
      };
    expect(registration('keystone-endpoints@edge-3').region).toBe('brest');
    const glance = registration('glance-ks-register@edge-1');
    expect(glance.region).toBe('lyon');
    expect(glance.services[0]).toMatchObject({
      type: 'image',
      endpoints: { public: `http://${exposedAt(ctx, 'edge-1', 'glance-api', 9292)}` },
    });
    const replicas = (id: string) =>
      (unitObjects(ctx, id).find((o) => o.kind === 'Deployment')!.spec as { replicas: number }).replicas;
    expect(replicas('keystone-api@core')).toBe(2);
    expect(replicas('keystone-api@edge-1')).toBe(1);
    expect(replicas('nova-api@core')).toBe(2);
  });
});

describe('overrides, hashes and generated secrets', () => {
  const withOverrides = (mutate: (dc: DistributedCloud) => void): RenderContext => {
    const dc = sampleDc('centralized');
    const copy = JSON.parse(JSON.stringify(dc)) as DistributedCloud;
    mutate(copy);
    return liveContext(copy);
  };

  test('catalog default < spec.services < siteOverrides, per key', () => {
    const ctx = withOverrides((dc) => {
      dc.spec.services.nova = { config: { DEFAULT: { cpu_allocation_ratio: '8.0', debug: 'true' } } };
      dc.spec.siteOverrides = [
        {
          site: 'edge-2',
          config: { nova: { DEFAULT: { cpu_allocation_ratio: '2.0' } } },
          images: { nova: 'example.org/nova:custom' },
        },
      ];
    });
    const e1 = ini(ctx, 'nova-compute@edge-1', 'nova.conf');
    const e2 = ini(ctx, 'nova-compute@edge-2', 'nova.conf');
    expect(e1.DEFAULT!.cpu_allocation_ratio).toBe('8.0');
    expect(e2.DEFAULT!.cpu_allocation_ratio).toBe('2.0');
    expect(e2.DEFAULT!.debug).toBe('true');
    const image = (id: string) =>
      (
        unitObjects(ctx, id).find((o) => o.kind === 'DaemonSet')!.spec as {
          template: { spec: { containers: { image: string }[] } };
        }
      ).template.spec.containers.map((c) => c.image);
    expect(image('nova-compute@edge-2')).toEqual([
      'example.org/nova:custom',
      'quay.io/openstack.kolla/nova-libvirt:2025.1-ubuntu-noble',
    ]);
    expect(image('nova-compute@edge-1')[0]).toBe('quay.io/openstack.kolla/nova-compute:2025.1-ubuntu-noble');
  });

  test('spec.images moves every Kolla image to another registry and tag; per-service overrides still win', () => {
    const ctx = withOverrides((dc) => {
      dc.spec.images = { registry: 'registry.example.org:5000/kolla', tag: '2025.1-local1', pullPolicy: 'Never' };
      dc.spec.siteOverrides = [{ site: 'edge-2', images: { nova: 'example.org/nova:custom' } }];
    });
    const containers = new Map<string, { image: string; imagePullPolicy: string }>();
    for (const file of renderPlan(ctx))
      for (const o of file.objects) {
        const pod = (o.spec as { template?: { spec?: { containers: { image: string; imagePullPolicy: string }[] } } })
          ?.template?.spec;
        for (const c of pod?.containers ?? []) containers.set(`${file.unit}/${c.image}`, c);
      }
    const images = [...containers.values()];
    expect(images.length).toBeGreaterThan(20);
    expect(images.every((c) => c.imagePullPolicy === 'Never')).toBe(true);
    const refs = new Set(images.map((c) => c.image));
    expect([...refs].filter((r) => !r.startsWith('registry.example.org:5000/kolla/'))).toEqual([
      'example.org/nova:custom',
    ]);
    expect([...refs].filter((r) => !r.endsWith(':2025.1-local1'))).toEqual(['example.org/nova:custom']);
    for (const name of ['keystone', 'kolla-toolbox', 'nova-libvirt', 'nova-compute', 'placement-api', 'glance-api'])
      expect(refs).toContain(`registry.example.org:5000/kolla/${name}:2025.1-local1`);
  });

  test('a Job is renamed exactly when its inputs change; config changes roll pods through the config hash', () => {
    const base = sampleContext('centralized');
    const changed = withOverrides((dc) => {
      dc.spec.services.keystone = { ...dc.spec.services.keystone, config: { token: { expiration: '3600' } } };
    });
    const jobName = (ctx: RenderContext, id: string) =>
      unitObjects(ctx, id).find((o) => o.kind === 'Job')!.metadata.name;
    expect(jobName(changed, 'keystone-db-sync@core')).not.toBe(jobName(base, 'keystone-db-sync@core'));
    expect(jobName(changed, 'glance-db-sync@core')).toBe(jobName(base, 'glance-db-sync@core'));
    const hash = (ctx: RenderContext, id: string) =>
      (
        unitObjects(ctx, id).find((o) => o.kind === 'Deployment')!.spec as {
          template: { metadata: { annotations: Record<string, string> } };
        }
      ).template.metadata.annotations['discovery.beyondtheclouds.io/config-hash'];
    expect(hash(changed, 'keystone-api@core')).not.toBe(hash(base, 'keystone-api@core'));
    expect(hash(changed, 'glance-api@core')).toBe(hash(base, 'glance-api@core'));
  });

  test('generateMissingSecrets fills only what is missing; rendering reads, never invents, credentials', () => {
    const ctx = sampleContext('cells');
    const required = requiredSecrets(ctx.plan);
    expect(required.map((r) => r.name)).toEqual(
      expect.arrayContaining(['database-root', 'keystone-admin', 'keystone-fernet-keys', 'message-bus']),
    );
    const existing = { 'database-root': { password: 'kept-value' } };
    const filled = generateMissingSecrets(existing, required, seededBytes('x'));
    expect(filled['database-root']!.password).toBe('kept-value');
    expect(missingSecrets(filled, required)).toEqual([]);
    expect(
      Buffer.from(filled['keystone-fernet-keys']!['0']!.replace(/-/g, '+').replace(/_/g, '/'), 'base64'),
    ).toHaveLength(32);
    expect(generateMissingSecrets(filled, required, seededBytes('other'))).toEqual(filled);
    expect(existing).toEqual({ 'database-root': { password: 'kept-value' } });

    const partial = { ...ctx, secrets: { ...ctx.secrets } };
    delete partial.secrets['keystone-user-nova'];
    expect(() => unitObjects(partial, 'nova-api@core')).toThrow(RenderError);
    expect(() => unitObjects(partial, 'nova-api@core')).toThrow(/keystone-user-nova\.password/);

    const secret = renderManagementObjects(ctx)[0]!;
    expect(generatedSecretsFromData(secret.data as Record<string, string>)).toEqual(ctx.secrets);
    const dbCreate = secretFile(unitObjects(ctx, 'nova-db-create@edge-1'), 'create.sql');
    expect(dbCreate).toContain(`IDENTIFIED BY '${ctx.secrets['database-nova']!.password}'`);
    expect(dbCreate).toContain('CREATE DATABASE IF NOT EXISTS `nova`');
    expect(dbCreate).not.toContain('nova_api');
  });

  test('an unknown component/step is a render error', () => {
    const ctx = sampleContext('centralized');
    const unit = { ...ctx.plan.units[0]!, component: 'cinder', step: 'api', id: 'cinder-api@core' };
    expect(() => renderUnit(unit, ctx)).toThrow(/no renderer for cinder\/api/);
  });
});

describe('member namespaces (one per DistributedCloud and site) and their Pod Security level', () => {
  const dcIn = (namespace: string, name: string) => ({ metadata: { namespace, name } });

  test('per DC and per site, a DNS label of at most 63 characters, deterministic', () => {
    const names = [
      memberNamespace(dcIn('openstack', 'demo'), 'edge-1'),
      memberNamespace(dcIn('openstack', 'demo'), 'edge-2'),
      memberNamespace(dcIn('openstack', 'other'), 'edge-1'),
      memberNamespace(dcIn('team-b', 'demo'), 'edge-1'),
      // concatenations that read the same are still apart: the hash covers namespace/name/site
      memberNamespace(dcIn('a-b', 'c'), 'edge-1'),
      memberNamespace(dcIn('a', 'b-c'), 'edge-1'),
      // longest names: a 63-char namespace, a 253-char DC name with dots, a 63-char site
      memberNamespace(dcIn('n'.repeat(63), `${'d'.repeat(120)}.${'e'.repeat(132)}`), 's'.repeat(63)),
      memberNamespace(dcIn('n'.repeat(63), `${'d'.repeat(120)}.${'f'.repeat(132)}`), 's'.repeat(63)),
    ];
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) {
      expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(n.length).toBeLessThanOrEqual(63);
    }
    expect(names[0]).toMatch(/^openstack-demo-edge-1-[0-9a-f]{8}$/);
    expect(memberNamespace(dcIn('openstack', 'demo'), 'edge-1')).toBe(names[0]);
  });

  test('owner labels on the namespace; "privileged" only where nova-compute runs and the EdgeSite allows it', () => {
    const dc = sampleDc('centralized');
    const live = { ...dc, metadata: { ...dc.metadata, uid: 'uid-1' } };
    const allowed = contextFor(live);
    const level = (c: RenderContext, site: string) =>
      renderNamespace(c, site).metadata.labels?.['pod-security.kubernetes.io/enforce'];
    expect(level(allowed, 'core')).toBe('restricted'); // centralized: no compute at the core
    expect(level(allowed, 'edge-1')).toBe('privileged');
    expect(renderNamespace(allowed, 'edge-1').metadata.labels).toMatchObject({
      'discovery.beyondtheclouds.io/dc': 'demo-centralized',
      'discovery.beyondtheclouds.io/dc-namespace': 'openstack',
      'discovery.beyondtheclouds.io/dc-uid': 'uid-1',
      'discovery.beyondtheclouds.io/site': 'edge-1',
    });
    // the same sites without spec.tenancy.allowPrivileged: restricted everywhere (nova-compute is refused instead)
    const sites = sampleSites().map((s) => ({ ...s, spec: { ...s.spec, tenancy: { namespaces: ['openstack'] } } }));
    const denied = contextFor(live, sites);
    for (const site of denied.plan.sites) expect(level(denied, site)).toBe('restricted');
  });
});
