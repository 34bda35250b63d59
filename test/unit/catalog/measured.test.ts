// Measured durations (operator/src/catalog/measured.ts): the catalog carries them in place of the modules'
// estimates, only for the measured backend, and they add up along the plan to the Ready time that was measured.
import { describe, expect, test } from '@jest/globals';
import {
  CATALOG,
  MEASURED,
  expectedSecondsFor,
  findStep,
  measuredSeconds,
  withMeasuredDurations,
} from '../../../operator/src/catalog/index.js';
import type { Catalog } from '../../../operator/src/catalog/index.js';
import { buildPlan, simulateRollout } from '../../../operator/src/planner/index.js';
import { REGISTRY } from '../../../operator/src/services/registry.js';
import { loadCloud, loadSites } from '../planner/samples.js';

const toy: Catalog = [
  {
    name: 'db',
    description: 'a database',
    enabled: () => true,
    backend: (spec) => spec.database.type,
    steps: [
      {
        id: 'server',
        kind: 'workload',
        expectedSeconds: { default: 60, mariadb: 60, galera: 120 },
        placement: { centralized: 'core' },
        dependsOn: [],
        description: 'server',
      },
      {
        id: 'init',
        kind: 'job',
        expectedSeconds: 15,
        placement: { centralized: 'core' },
        dependsOn: [],
        description: 'init',
      },
    ],
  },
];

describe('measured durations', () => {
  test('the catalog has every measured step, with the measured seconds (for the measured backend)', () => {
    for (const m of MEASURED.steps) {
      const step = findStep(CATALOG, m.component, m.step);
      expect(step).toBeDefined();
      expect(expectedSecondsFor(step!, m.backend)).toBe(m.seconds);
      expect(REGISTRY.catalog).toBe(CATALOG);
    }
    // galera and qpid-dispatch were not measured: they keep their estimates
    expect(expectedSecondsFor(findStep(CATALOG, 'database', 'server')!, 'galera')).toBe(120);
    expect(expectedSecondsFor(findStep(CATALOG, 'message-bus', 'server')!, 'qpid-dispatch')).toBe(20);
  });

  test('a range is recorded with its midpoint', () => {
    for (const m of MEASURED.steps) {
      if (!m.range) continue;
      expect(m.range[0]).toBeLessThanOrEqual(m.range[1]);
      expect(m.seconds).toBe((m.range[0] + m.range[1]) / 2);
    }
  });

  test('withMeasuredDurations replaces a number, or one backend of a table, and nothing else', () => {
    const out = withMeasuredDurations(toy, {
      steps: [
        { component: 'db', step: 'server', backend: 'mariadb', seconds: 16.7 },
        { component: 'db', step: 'init', backend: 'mariadb', seconds: 4 },
      ],
    });
    expect(out[0]!.steps[0]!.expectedSeconds).toEqual({ default: 60, mariadb: 16.7, galera: 120 });
    expect(out[0]!.steps[1]!.expectedSeconds).toEqual({ default: 15, mariadb: 4 });
    expect(toy[0]!.steps[0]!.expectedSeconds).toEqual({ default: 60, mariadb: 60, galera: 120 }); // input untouched
    expect(
      withMeasuredDurations(toy, { steps: [{ component: 'db', step: 'init', seconds: 3 }] })[0]!.steps[1]!
        .expectedSeconds,
    ).toBe(3);
    expect(
      measuredSeconds({ steps: [{ component: 'db', step: 'server', backend: 'x', seconds: 1 }] }, 'db', 'server', 'y'),
    ).toBe(undefined);
  });

  test('a measurement of a step the catalog does not have is refused, by name', () => {
    expect(() => withMeasuredDurations(toy, { steps: [{ component: 'db', step: 'sever', seconds: 1 }] })).toThrow(
      'db/sever',
    );
  });

  test("the measured cloud's plan adds the figures up to the Ready time that was measured (within 5%)", () => {
    // the cloud of test/openstack/centralized.test.ts: centralized on the core site alone, no limits
    const dc = loadCloud('centralized');
    dc.spec.sites = ['core'];
    delete dc.spec.rollout;
    const plan = buildPlan(dc, loadSites());
    const eager = simulateRollout(plan).makespanSeconds;
    expect(eager).toBeCloseTo(plan.criticalPathSeconds, 6);
    expect(Math.abs(eager - MEASURED.readySeconds) / MEASURED.readySeconds).toBeLessThan(0.05);
    expect(plan.criticalPath).toContain('nova-conductor@core');
  });
});
