// Integrity of the component catalog: references resolve, every topology × backend combination plans without
// cycles, and a new component is one entry.
import { describe, expect, test } from '@jest/globals';
import { CATALOG, expectedSecondsFor, findStep, stepKey } from '../../../operator/src/catalog/index.js';
import type { Catalog, ComponentDefinition } from '../../../operator/src/catalog/index.js';
import { buildPlan } from '../../../operator/src/planner/index.js';
import { cloud, syntheticSites } from '../planner/samples.js';

describe('catalog', () => {
  test('has the canonical components and step ids', () => {
    const steps = Object.fromEntries(CATALOG.map((c) => [c.name, c.steps.map((s) => s.id)]));
    expect(steps).toEqual({
      exposure: ['nodeports'],
      database: ['server', 'cluster-init'],
      'message-bus': ['server'],
      'kv-store': ['server'],
      memcached: ['server'],
      keystone: ['db-create', 'db-sync', 'keys', 'bootstrap', 'api', 'endpoints'],
      glance: ['db-create', 'db-sync', 'ks-register', 'api'],
      placement: ['db-create', 'db-sync', 'ks-register', 'api'],
      neutron: ['db-create', 'db-sync', 'ks-register', 'api'],
      nova: [
        'db-create',
        'api-db-sync',
        'map-cell0',
        'create-cell',
        'db-sync',
        'ks-register',
        'api',
        'conductor',
        'scheduler',
        'compute',
        'discover-hosts',
      ],
      smoke: ['cloud'],
    });
  });

  test('every dependency reference names an existing component step; step keys are unique', () => {
    const keys = new Set<string>();
    for (const c of CATALOG)
      for (const s of c.steps) {
        expect(keys.has(stepKey(c.name, s.id))).toBe(false);
        keys.add(stepKey(c.name, s.id));
        for (const d of s.dependsOn)
          expect(
            `${stepKey(c.name, s.id)} -> ${stepKey(d.component, d.step)}: ${Boolean(findStep(CATALOG, d.component, d.step))}`,
          ).toMatch(/true$/);
        expect(expectedSecondsFor(s, undefined)).toBeGreaterThan(0);
      }
  });

  const topologies = ['centralized', 'cells', 'distributed'] as const;
  const databases = ['mariadb', 'galera', 'cockroachdb'] as const;
  const buses = ['rabbitmq', 'qpid-dispatch'] as const;
  const kvs = [undefined, 'redis', 'etcd'] as const;
  const combos = topologies.flatMap((t) =>
    databases.flatMap((d) => buses.flatMap((b) => kvs.map((k) => [t, d, b, k] as const))),
  );
  test.each(combos)('%s / %s / %s / kv %s plans an acyclic graph', (topology, db, bus, kv) => {
    const plan = buildPlan(
      cloud({
        topology,
        coreSite: 'core',
        database: { type: db },
        messageBus: { type: bus },
        ...(kv ? { kvStore: { type: kv } } : {}),
      }),
      syntheticSites(3, 5),
    );
    expect(plan.units.length).toBeGreaterThan(20);
    expect(plan.byId.has('nova-compute@edge-1')).toBe(true);
    expect(plan.byId.has('nova-discover-hosts@' + (topology === 'centralized' ? 'core' : 'edge-1'))).toBe(true);
    expect(plan.units.some((u) => u.id.startsWith('database-cluster-init@'))).toBe(db === 'cockroachdb');
    expect(plan.units.some((u) => u.component === 'kv-store')).toBe(kv !== undefined);
  });

  test('a new component is one catalog entry (an image cache at every edge, after glance)', () => {
    const cache: ComponentDefinition = {
      name: 'image-cache',
      description: 'glance image cache at the edges',
      enabled: () => true,
      requires: ['glance'],
      steps: [
        {
          id: 'server',
          kind: 'workload',
          expectedSeconds: 20,
          placement: { centralized: 'edges', cells: 'edges', distributed: 'all-sites' },
          dependsOn: [{ component: 'glance', step: 'api', scope: 'nearest' }],
          description: 'cache',
        },
      ],
    };
    const catalog: Catalog = [...CATALOG, cache];
    const plan = buildPlan(cloud({ topology: 'centralized', coreSite: 'core' }), syntheticSites(3), { catalog });
    expect(plan.byId.get('image-cache-server@edge-2')?.dependsOn).toEqual(['glance-api@core']);
    expect(plan.byId.has('image-cache-server@core')).toBe(false);
  });
});
