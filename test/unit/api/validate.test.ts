// ajv validators: samples accepted with the API server's defaults, every corpus object rejected with the expected
// field path and message, nothing ever throws (property-based), and the CEL rules' TypeScript twins hold.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  validateDistributedCloud,
  validateEdgeSite,
  validateResourceObject,
  type ValidationResult,
} from '../../../operator/src/api/validate.js';
import { allSamples, invalidCases, loadSamples, type InvalidCase, type Obj } from './corpus.js';

const validatorFor = (kind: string): ((o: unknown) => ValidationResult<unknown>) =>
  kind === 'EdgeSite' ? validateEdgeSite : validateDistributedCloud;

function isStructured(r: ValidationResult<unknown>): boolean {
  if (r.ok) return r.value !== undefined;
  return (
    Array.isArray(r.errors) &&
    r.errors.length > 0 &&
    r.errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string' && e.message.length > 0)
  );
}

describe('samples', () => {
  test.each(allSamples().map((s) => [`${s.file} ${String((s.object.metadata as Obj).name)}`, s.object]))(
    '%s is accepted',
    (_name, object) => {
      const r = validateResourceObject(object);
      expect(r.ok ? [] : r.errors).toEqual([]);
    },
  );

  test('defaults are applied like the API server would, without touching the input', () => {
    const input = loadSamples('dc-distributed.yaml')[0]!;
    const before = JSON.stringify(input);
    const r = validateDistributedCloud(input);
    expect(JSON.stringify(input)).toBe(before);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const spec = r.value.spec;
    expect(spec.rollout).toEqual({
      maxParallelUnits: 0,
      maxParallelSites: 0,
      stopOnFailure: true,
      unitTimeoutSeconds: 600,
    });
    expect(spec.services.glance).toEqual({ enabled: true, replicas: 1 });
    expect(spec.memcached).toEqual({ enabled: true, replicas: 1 });
    expect(spec.messageBus).toEqual({ type: 'rabbitmq', replicas: 1 });
    expect(spec.database.storageSize).toBe('10Gi');
    expect(spec.paused).toBe(false);
  });

  test('services may be omitted entirely and default to all four enabled', () => {
    const dc = loadSamples('dc-centralized.yaml')[0]!;
    delete (dc.spec as Obj).services;
    const r = validateDistributedCloud(dc);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(Object.keys(r.value.spec.services)).toEqual(['keystone', 'glance', 'placement', 'nova']);
    expect(r.value.spec.services.nova).toEqual({ enabled: true, replicas: 1 });
  });

  test('EdgeSite key defaults to kubeconfig', () => {
    const r = validateEdgeSite(loadSamples('sites.yaml')[1]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value.spec.kubeconfigSecretRef.key).toBe('kubeconfig');
    expect(r.value.spec.paused).toBe(false);
  });

  test('galera is refused with distributed: its members would span sites, reached by addresses nothing exposes', () => {
    const dc = loadSamples('dc-distributed.yaml')[0]!;
    ((dc.spec as Obj).database as Obj).type = 'galera';
    const r = validateDistributedCloud(dc);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toMatch(/galera in the distributed topology .*use mariadb/);
    (dc.spec as Obj).topology = 'cells';
    (dc.spec as Obj).coreSite = 'core';
    expect(validateDistributedCloud(dc).ok).toBe(true);
  });

  test('siteSelector together with sites lets coreSite and overrides name selector-picked sites', () => {
    const dc = loadSamples('dc-cells.yaml')[0]!;
    Object.assign(dc.spec as Obj, { sites: ['edge-1'], coreSite: 'core' });
    expect(validateDistributedCloud(dc).ok).toBe(true);
  });

  test('the wrong kind is rejected', () => {
    const es = loadSamples('sites.yaml')[0]!;
    expect(validateDistributedCloud(es)).toMatchObject({ ok: false });
    expect(validateResourceObject({ kind: 'Pod' })).toEqual({
      ok: false,
      errors: [{ path: 'kind', message: 'Unsupported value: "Pod": supported values: "EdgeSite", "DistributedCloud"' }],
    });
  });
});

describe('invalid corpus', () => {
  const cases = invalidCases();

  test('has at least 25 distinct cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(new Set(cases.map((c) => JSON.stringify(c.object))).size).toBe(cases.length);
  });

  test.each(cases.map((c): [string, InvalidCase] => [c.name, c]))('%s is rejected at its field path', (_name, c) => {
    const r = validatorFor(c.kind)(c.object);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const match = r.errors.find((e) => e.path === c.path && e.message.includes(c.message));
    if (match === undefined) {
      throw new Error(`expected ${c.path}: …${c.message}…, got ${JSON.stringify(r.errors, null, 2)}`);
    }
    // Every further error (some cases trip two rules, as on the API server) is still a structured, pathful error.
    for (const e of r.errors) expect(e.path.startsWith('spec')).toBe(true);
  });
});

describe('robustness', () => {
  const samples = allSamples().map((s) => s.object);

  test('arbitrary values never throw and always give a structured result', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withNullPrototype: true,
          withSparseArray: true,
          withBoxedValues: true,
        }),
        (value) => {
          expect(isStructured(validateDistributedCloud(value))).toBe(true);
          expect(isStructured(validateEdgeSite(value))).toBe(true);
          expect(isStructured(validateResourceObject(value))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  /** Replaces the value at a random path of a sample by an arbitrary value (or deletes it). */
  const mutated = fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      fc.option(fc.anything(), { nil: undefined }),
    )
    .map(([sample, choices, replacement]) => {
      const copy = structuredClone(sample);
      let cur: unknown = copy;
      for (let i = 0; i < choices.length; i++) {
        if (typeof cur !== 'object' || cur === null) break;
        const keys = Object.keys(cur);
        if (keys.length === 0) break;
        const key = keys[choices[i]! % keys.length]!;
        if (i === choices.length - 1 || typeof (cur as Obj)[key] !== 'object') {
          if (replacement === undefined) delete (cur as Obj)[key];
          else (cur as Obj)[key] = replacement;
          break;
        }
        cur = (cur as Obj)[key];
      }
      return copy;
    });

  test('mutated samples never throw, and every error names a field path', () => {
    fc.assert(
      fc.property(mutated, (value) => {
        const r = validateResourceObject(value);
        expect(isStructured(r)).toBe(true);
        if (!r.ok) for (const e of r.errors) expect(e.message).not.toMatch(/^Internal error/);
      }),
      { numRuns: 3000 },
    );
  });
});
