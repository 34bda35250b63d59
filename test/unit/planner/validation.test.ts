// Validation errors of the planner: each typed, each message naming what is wrong.
import { describe, expect, test } from '@jest/globals';
import {
  buildPlan,
  CycleError,
  GaleraLatencyError,
  matchesSelector,
  planFromUnits,
  PlanError,
  type Unit,
} from '../../../operator/src/planner/index.js';
import { CATALOG } from '../../../operator/src/catalog/index.js';
import type { Catalog } from '../../../operator/src/catalog/index.js';
import { cloud, syntheticSites } from './samples.js';

function planError(fn: () => unknown): PlanError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlanError) return err;
    throw err;
  }
  throw new Error('expected a PlanError');
}

const unit = (id: string, dependsOn: string[] = [], expectedSeconds = 1, targetSite = 's'): Unit => ({
  id,
  component: id.split('-')[0]!,
  step: 'x',
  site: targetSite,
  targetSite,
  kind: 'job',
  dependsOn,
  expectedSeconds,
});

describe('cycles', () => {
  test('a cycle names every unit on it, and only those', () => {
    const err = planError(() =>
      planFromUnits([unit('a'), unit('b', ['a', 'd']), unit('c', ['b']), unit('d', ['c']), unit('e', ['d'])]),
    );
    expect(err).toBeInstanceOf(CycleError);
    expect([...(err as CycleError).units].sort()).toEqual(['b', 'c', 'd']);
    expect(err.message).toMatch(/dependency cycle: (b|c|d) -> (b|c|d) -> (b|c|d) -> (b|c|d)/);
  });

  test('a self-dependency is a cycle of one', () => {
    expect((planError(() => planFromUnits([unit('a', ['a'])])) as CycleError).units).toEqual(['a']);
  });

  test('a catalog with a cycle is refused when planned', () => {
    const cyclic: Catalog = CATALOG.map((c) =>
      c.name !== 'keystone'
        ? c
        : {
            ...c,
            steps: c.steps.map((s) =>
              s.id === 'keys'
                ? { ...s, dependsOn: [{ component: 'keystone', step: 'api', scope: 'same-site' as const }] }
                : s,
            ),
          },
    );
    const err = planError(() => buildPlan(cloud({}), syntheticSites(2), { catalog: cyclic }));
    expect(err).toBeInstanceOf(CycleError);
    expect([...(err as CycleError).units].sort()).toEqual(
      ['keystone-api', 'keystone-bootstrap', 'keystone-keys'].map((s) => `${s}@core`).sort(),
    );
  });

  test('unknown dependency ids are refused', () => {
    expect(planError(() => planFromUnits([unit('a', ['zz'])])).message).toBe('unit a depends on unknown unit zz');
  });
});

describe('sites', () => {
  const sites = syntheticSites(4);

  test('a named site that does not exist', () => {
    const err = planError(() =>
      buildPlan(cloud({ siteSelector: undefined, sites: ['core', 'edge-9', 'nowhere'] }), sites),
    );
    expect(err.code).toBe('UnknownSite');
    expect(err.message).toContain('"edge-9", "nowhere"');
    expect(err.message).toContain('known EdgeSites: core, edge-1, edge-2, edge-3');
  });

  test('zero selected sites', () => {
    const err = planError(() => buildPlan(cloud({ siteSelector: { matchLabels: { fleet: 'other' } } }), sites));
    expect(err.code).toBe('NoSitesSelected');
    expect(err.message).toBe('spec.siteSelector selects no EdgeSite (known EdgeSites: core, edge-1, edge-2, edge-3)');
    expect(planError(() => buildPlan(cloud({ siteSelector: undefined }), sites)).code).toBe('NoSitesSelected');
  });

  test('core site missing, unknown, or not selected', () => {
    expect(planError(() => buildPlan(cloud({ topology: 'cells' }), sites)).message).toBe(
      'spec.coreSite is required for topology cells',
    );
    expect(planError(() => buildPlan(cloud({ topology: 'centralized', coreSite: 'hq' }), sites)).code).toBe(
      'CoreSiteNotFound',
    );
    const err = planError(() =>
      buildPlan(
        cloud({ topology: 'centralized', coreSite: 'core', siteSelector: undefined, sites: ['edge-1'] }),
        sites,
      ),
    );
    expect(err.code).toBe('CoreSiteNotSelected');
    expect(err.message).toContain('spec.coreSite "core" is not selected');
  });

  test('distributed without coreSite picks the first role=core site', () => {
    const s = syntheticSites(3);
    s[0]!.spec.role = 'edge';
    s[2]!.spec.role = 'core';
    expect(buildPlan(cloud({}), s).coreSite).toBe('edge-2');
  });

  test('sites ∪ selector', () => {
    const plan = buildPlan(
      cloud({
        sites: ['edge-3'],
        siteSelector: {
          matchExpressions: [{ key: 'discovery.beyondtheclouds.io/fleet', operator: 'In', values: ['x'] }],
        },
        coreSite: 'edge-3',
      }),
      sites,
    );
    expect(plan.sites).toEqual(['edge-3']);
  });

  test('a malformed selector is refused', () => {
    const err = planError(() =>
      buildPlan(cloud({ siteSelector: { matchExpressions: [{ key: 'k', operator: 'In', values: [] }] } }), sites),
    );
    expect(err.message).toBe('spec.siteSelector.matchExpressions[0]: operator In needs values');
  });
});

describe('galera', () => {
  test('stretched over slow links: refused, naming the sites and RTTs and suggesting alternatives', () => {
    const s = syntheticSites(4, 5);
    s[2]!.spec.network.rttMillis = 25;
    s[3]!.spec.network.rttMillis = 80;
    const err = planError(() => buildPlan(cloud({ database: { type: 'galera' } }), s));
    expect(err).toBeInstanceOf(GaleraLatencyError);
    expect((err as GaleraLatencyError).sites).toEqual([
      { site: 'edge-2', rttMillis: 25 },
      { site: 'edge-3', rttMillis: 80 },
    ]);
    expect(err.message).toContain('edge-2 (rttMillis 25), edge-3 (rttMillis 80)');
    expect(err.message).toContain('mariadb');
    expect(err.message).toContain('cells');
    expect(err.message).not.toContain('edge-1');
  });

  test('exactly 10 ms is accepted; galera in cells stays local to each cell', () => {
    expect(() => buildPlan(cloud({ database: { type: 'galera' } }), syntheticSites(3, 10))).not.toThrow();
    const cells = buildPlan(
      cloud({ topology: 'cells', coreSite: 'core', database: { type: 'galera' } }),
      syntheticSites(3, 90),
    );
    expect(cells.byId.get('database-server@edge-1')!.dependsOn).toEqual([]);
  });
});

test('nova requires placement', () => {
  const err = planError(() => buildPlan(cloud({ services: { placement: { enabled: false } } }), syntheticSites(2)));
  expect(err.code).toBe('MissingRequirement');
  expect(err.message).toBe('nova requires placement, which is disabled (spec.services.placement)');
});

describe('label selectors', () => {
  const labels = { tier: 'edge', region: 'eu' };
  test.each([
    [{}, true],
    [{ matchLabels: { tier: 'edge' } }, true],
    [{ matchLabels: { tier: 'core' } }, false],
    [{ matchExpressions: [{ key: 'region', operator: 'In' as const, values: ['us', 'eu'] }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['a'] }] }, false],
    [{ matchExpressions: [{ key: 'region', operator: 'NotIn' as const, values: ['eu'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn' as const, values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' as const }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'Exists' as const }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' as const }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' as const }] }, false],
    [
      {
        matchLabels: { tier: 'edge' },
        matchExpressions: [{ key: 'region', operator: 'NotIn' as const, values: ['eu'] }],
      },
      false,
    ],
  ])('%j -> %s', (selector, expected) => {
    expect(matchesSelector(labels, selector)).toBe(expected);
  });
});
