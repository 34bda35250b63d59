// Graph-shape assertions per topology, on the sample EdgeSites and DistributedClouds.
import { describe, expect, test } from '@jest/globals';
import { buildPlan, GLOBAL_SITE, type Plan } from '../../../operator/src/planner/index.js';
import { cloud, loadCloud, loadSites, syntheticSites } from './samples.js';

const sites = loadSites();
const deps = (plan: Plan, id: string) => {
  const u = plan.byId.get(id);
  if (!u) throw new Error(`no unit ${id} in plan`);
  return u.dependsOn;
};
const ids = (plan: Plan) => plan.units.map((u) => u.id);

describe('centralized', () => {
  const plan = buildPlan(loadCloud('centralized'), sites);
  const edges = plan.sites.filter((s) => s !== plan.coreSite);

  test('edge sites run only nova-compute, which depends on the core conductor and message bus', () => {
    expect(plan.coreSite).toBe('core');
    expect(edges.length).toBeGreaterThan(0);
    for (const e of edges) {
      expect(plan.units.filter((u) => u.site === e).map((u) => u.id)).toEqual([`nova-compute@${e}`]);
      expect(deps(plan, `nova-compute@${e}`)).toEqual(
        expect.arrayContaining(['nova-conductor@core', 'message-bus-server@core', 'placement-api@core']),
      );
    }
  });

  test("nova's daemons start only once nova's service user exists in Keystone (they authenticate at start)", () => {
    // Seen on real nodes: nova-conductor crash-looped with HTTP 401 until nova-ks-register had run.
    for (const unit of ['nova-conductor@core', 'nova-scheduler@core', ...edges.map((e) => `nova-compute@${e}`)])
      expect(deps(plan, unit)).toContain('nova-ks-register@core');
  });

  test('the whole control plane and its state live on the core site', () => {
    for (const step of [
      'database-server',
      'message-bus-server',
      'memcached-server',
      'keystone-api',
      'glance-api',
      'placement-api',
      'nova-api',
      'nova-conductor',
      'nova-scheduler',
    ])
      expect(plan.byId.get(`${step}@core`)?.targetSite).toBe('core');
    expect(plan.units.some((u) => u.site === GLOBAL_SITE)).toBe(false);
    expect(plan.byId.has('nova-compute@core')).toBe(false);
  });

  test('discover-hosts waits for every compute; keystone follows db-create -> db-sync -> keys -> bootstrap -> api', () => {
    expect(deps(plan, 'nova-discover-hosts@core')).toEqual(
      expect.arrayContaining(edges.map((e) => `nova-compute@${e}`)),
    );
    expect(deps(plan, 'keystone-db-sync@core')).toEqual(['keystone-db-create@core']);
    expect(deps(plan, 'keystone-bootstrap@core')).toEqual(['keystone-db-sync@core', 'keystone-keys@core']);
    expect(deps(plan, 'keystone-api@core')).toContain('keystone-bootstrap@core');
    expect(deps(plan, 'glance-ks-register@core')).toEqual(['keystone-api@core']);
  });
});

describe('cells', () => {
  const plan = buildPlan(loadCloud('cells'), sites);
  const edges = plan.sites.filter((s) => s !== plan.coreSite);

  test('each edge cell has its own database, message bus, conductor and db sync', () => {
    for (const e of edges) {
      for (const step of ['database-server', 'message-bus-server', 'nova-conductor', 'nova-db-sync', 'nova-compute'])
        expect(plan.byId.get(`${step}@${e}`)).toMatchObject({ site: e, targetSite: e, cell: e });
      expect(deps(plan, `nova-conductor@${e}`)).toEqual(
        expect.arrayContaining([`nova-db-sync@${e}`, `message-bus-server@${e}`]),
      );
      expect(deps(plan, `nova-compute@${e}`)).toEqual(
        expect.arrayContaining([`nova-conductor@${e}`, `message-bus-server@${e}`, 'placement-api@core']),
      );
      expect(deps(plan, `nova-compute@${e}`)).not.toContain('nova-conductor@core');
    }
  });

  test('create-cell of each edge cell runs at the core but waits for that cell database and bus', () => {
    for (const e of edges) {
      const u = plan.byId.get(`nova-create-cell@${e}`)!;
      expect(u).toMatchObject({ site: e, targetSite: 'core', cell: e });
      expect(u.dependsOn).toEqual(
        expect.arrayContaining(['nova-map-cell0@core', `database-server@${e}`, `message-bus-server@${e}`]),
      );
      expect(deps(plan, `nova-db-sync@${e}`)).toContain(`nova-create-cell@${e}`);
    }
  });

  test('the global API layer (and cell0 / API DB) stays at the core', () => {
    for (const step of ['keystone-api', 'glance-api', 'placement-api', 'nova-api', 'nova-scheduler', 'nova-conductor'])
      expect(plan.byId.has(`${step}@core`)).toBe(true);
    for (const e of edges)
      for (const step of ['keystone-api', 'placement-api', 'nova-api', 'nova-scheduler', 'nova-api-db-sync'])
        expect(plan.byId.has(`${step}@${e}`)).toBe(false);
    expect(plan.byId.get('nova-map-cell0@core')?.dependsOn).toEqual(['nova-api-db-sync@core']);
  });
});

describe('distributed', () => {
  const plan = buildPlan(loadCloud('distributed'), sites);

  test('every site runs a full control plane with its own bus and memcached', () => {
    for (const s of plan.sites)
      for (const step of [
        'database-server',
        'message-bus-server',
        'memcached-server',
        'keystone-api',
        'keystone-endpoints',
        'glance-api',
        'placement-api',
        'nova-api',
        'nova-conductor',
        'nova-scheduler',
        'nova-compute',
      ])
        expect(plan.byId.get(`${step}@${s}`)).toMatchObject({ site: s, targetSite: s });
  });

  test('cockroachdb (planner level; the API refuses it): one global cluster-init gates every db-create', () => {
    const sample = loadCloud('distributed');
    const crdb = buildPlan({ ...sample, spec: { ...sample.spec, database: { type: 'cockroachdb' } } }, sites);
    expect(plan.byId.has('database-cluster-init@global')).toBe(false);
    const init = crdb.byId.get('database-cluster-init@global')!;
    expect(init).toMatchObject({ site: GLOBAL_SITE, targetSite: crdb.coreSite, kind: 'job' });
    expect([...init.dependsOn].sort()).toEqual(crdb.sites.map((s) => `database-server@${s}`).sort());
    const dbCreates = crdb.units.filter((u) => u.step === 'db-create');
    expect(dbCreates.length).toBe(4 * crdb.sites.length);
    for (const u of dbCreates) expect(u.dependsOn).toContain('database-cluster-init@global');
    for (const s of crdb.sites) expect(deps(crdb, `keystone-db-create@${s}`)).toContain('database-cluster-init@global');
  });

  test('services register in the local keystone once its region endpoints exist', () => {
    for (const s of plan.sites) {
      expect(deps(plan, `nova-ks-register@${s}`)).toEqual([`keystone-api@${s}`, `keystone-endpoints@${s}`]);
      expect(deps(plan, `nova-compute@${s}`)).toContain(`nova-conductor@${s}`);
    }
  });

  test('galera within 10 ms stretches one cluster bootstrapped at the core', () => {
    const p = buildPlan(cloud({ database: { type: 'galera' } }), syntheticSites(3, 5));
    expect(deps(p, 'database-server@edge-1')).toEqual(['database-server@core']);
    expect(deps(p, 'database-server@core')).toEqual([]);
    expect(p.byId.has('database-cluster-init@global')).toBe(false);
  });
});

describe('options', () => {
  test('glance disabled: no glance units and nothing references them', () => {
    const plan = buildPlan(cloud({ services: { glance: { enabled: false } } }), syntheticSites(3));
    expect(ids(plan).filter((id) => id.startsWith('glance-'))).toEqual([]);
    for (const u of plan.units) for (const d of u.dependsOn) expect(d.startsWith('glance-')).toBe(false);
    expect(deps(plan, 'nova-api@core')).toContain('placement-api@core');
  });

  test('kv store only when set, and nothing depends on it; memcached can be turned off', () => {
    const without = buildPlan(cloud({ memcached: { enabled: false } }), syntheticSites(2));
    expect(ids(without).some((id) => id.startsWith('kv-store-') || id.startsWith('memcached-'))).toBe(false);
    expect(deps(without, 'keystone-api@core')).toEqual(['keystone-bootstrap@core']);
    // No service uses a kv store (the API refuses kvStore): nothing waits for one even when it is planned.
    const withKv = buildPlan(cloud({ kvStore: { type: 'redis' } }), syntheticSites(2));
    expect(ids(withKv)).toContain('kv-store-server@edge-1');
    for (const u of withKv.units) expect(u.dependsOn.some((d) => d.startsWith('kv-store-'))).toBe(false);
  });

  test('mariadb: no cluster-init, db-create depends on the local database server only', () => {
    const plan = buildPlan(cloud({ database: { type: 'mariadb' } }), syntheticSites(2));
    expect(ids(plan).some((id) => id.startsWith('database-cluster-init'))).toBe(false);
    expect(deps(plan, 'keystone-db-create@edge-1')).toEqual(['database-server@edge-1']);
  });

  test('backends change expected durations (qpid-dispatch starts faster than rabbitmq)', () => {
    const q = buildPlan(cloud({ messageBus: { type: 'qpid-dispatch' } }), syntheticSites(1));
    const r = buildPlan(cloud({ messageBus: { type: 'rabbitmq' } }), syntheticSites(1));
    expect(q.byId.get('message-bus-server@core')!.expectedSeconds).toBeLessThan(
      r.byId.get('message-bus-server@core')!.expectedSeconds,
    );
  });

  test('paused EdgeSites keep their units but are reported as paused', () => {
    const s = syntheticSites(3);
    s[2]!.spec.paused = true;
    const plan = buildPlan(cloud({}), s);
    expect(plan.pausedSites).toEqual(['edge-2']);
    expect(plan.byId.has('nova-compute@edge-2')).toBe(true);
  });

  test('plans are deterministic and topologically ordered', () => {
    const a = buildPlan(loadCloud('cells'), sites);
    const b = buildPlan(loadCloud('cells'), [...sites].reverse());
    expect(ids(a)).toEqual(ids(b));
    const pos = new Map(a.units.map((u, i) => [u.id, i]));
    for (const u of a.units) for (const d of u.dependsOn) expect(pos.get(d)!).toBeLessThan(pos.get(u.id)!);
  });
});
