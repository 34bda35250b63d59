// Unit-state derivation, drift detection and teardown order: the pure decisions of the engine.
import { describe, expect, test } from '@jest/globals';
import type { LiveObject } from '../../../operator/src/engine/readiness.js';
import { assessUnit, driftOf, objectId, subsetEqual, unitInputHash } from '../../../operator/src/engine/state.js';
import { unitsToTearDown } from '../../../operator/src/engine/teardown.js';
import type { K8sObject } from '../../../operator/src/render/types.js';

const HASH = 'discovery.beyondtheclouds.io/spec-hash';

const config: K8sObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'keystone-api-etc', namespace: 'openstack', annotations: { [HASH]: 'h1' } },
  data: { 'keystone.conf': 'W0RFRkFVTFRd' },
};
const deploy: K8sObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'keystone-api', namespace: 'openstack', annotations: { [HASH]: 'h2' } },
  spec: {
    replicas: 2,
    template: {
      spec: { containers: [{ name: 'keystone', image: 'kolla/keystone', ports: [{ containerPort: 5000 }] }] },
    },
  },
};

/** What the API server returns: our fields plus defaults and status. */
function liveOf(obj: K8sObject, extra: Record<string, unknown> = {}): LiveObject {
  const copy = JSON.parse(JSON.stringify(obj)) as LiveObject;
  if (copy.kind === 'Deployment') {
    const spec = copy.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } };
    spec.template.spec.containers[0]!.imagePullPolicy = 'IfNotPresent';
    (spec.template.spec.containers[0]!.ports as Array<Record<string, unknown>>)[0]!.protocol = 'TCP';
    (copy.spec as Record<string, unknown>).revisionHistoryLimit = 10;
    copy.metadata!.generation = 1;
    copy.status = {
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      conditions: [{ type: 'Available', status: 'True' }],
    };
  }
  copy.metadata!.resourceVersion = '42';
  return { ...copy, ...extra };
}

describe('subsetEqual / driftOf', () => {
  test('server defaults are not drift', () => {
    expect(driftOf(deploy, liveOf(deploy))).toBeUndefined();
    expect(driftOf(config, liveOf(config))).toBeUndefined();
    expect(subsetEqual({ port: 5000 }, { port: '5000' })).toBe(true);
  });

  test('missing, outdated and hand-edited objects are drift', () => {
    expect(driftOf(deploy, undefined)).toBe('missing');
    const outdated = liveOf(deploy);
    outdated.metadata!.annotations = { [HASH]: 'old' };
    expect(driftOf(deploy, outdated)).toBe('outdated');
    const scaled = liveOf(deploy);
    (scaled.spec as Record<string, unknown>).replicas = 5;
    expect(driftOf(deploy, scaled)).toBe('spec.replicas changed');
    const imageEdited = liveOf(deploy);
    (
      imageEdited.spec as { template: { spec: { containers: Array<{ image: string }> } } }
    ).template.spec.containers[0]!.image = 'evil';
    expect(driftOf(deploy, imageEdited)).toBe('spec.template.spec.containers[name=keystone].image changed');
  });

  test('ConfigMap/Secret data must match exactly, extra keys included', () => {
    expect(driftOf(config, liveOf(config, { data: { 'keystone.conf': 'eA==' } }))).toBe('data.keystone.conf changed');
    expect(driftOf(config, liveOf(config, { data: { 'keystone.conf': 'W0RFRkFVTFRd', extra: 'eA==' } }))).toBe(
      'data.extra changed',
    );
  });
});

describe('assessUnit', () => {
  const desired = [config, deploy];
  const inputHash = unitInputHash(desired);
  const now = new Date('2025-01-01T00:10:00.000Z');
  const lookup = (objs: LiveObject[]) => (id: string) => objs.find((o) => objectId(o) === id);

  test('nothing applied and no record → pending', () => {
    expect(assessUnit({ desired, live: lookup([]), inputHash, now }).state).toBe('pending');
  });

  test('a record of a different inputHash with old objects live → pending (the spec changed)', () => {
    const old = liveOf(deploy);
    old.metadata!.annotations = { [HASH]: 'old' };
    const a = assessUnit({
      desired,
      live: lookup([old]),
      inputHash,
      previous: { phase: 'Ready', inputHash: 'previous', startedAt: '2025-01-01T00:00:00.000Z' },
      now,
    });
    expect(a.state).toBe('pending');
  });

  test('objects live at the current version without a record (crash before the status patch) → started', () => {
    const a = assessUnit({ desired, live: lookup([liveOf(config), liveOf(deploy)]), inputHash, now });
    expect(a).toMatchObject({ state: 'ready', started: true, drifted: [] });
  });

  test('a started unit whose Deployment was deleted is repaired (applying, with the object listed)', () => {
    const a = assessUnit({
      desired,
      live: lookup([liveOf(config)]),
      inputHash,
      previous: {
        phase: 'Ready',
        inputHash,
        startedAt: '2025-01-01T00:00:00.000Z',
        readyAt: '2025-01-01T00:01:00.000Z',
      },
      timeoutSeconds: 60,
      now,
    });
    expect(a.state).toBe('applying');
    expect(a.drifted.map((d) => [d.object.metadata.name, d.reason])).toEqual([['keystone-api', 'missing']]);
  });

  test('applying beyond the unit timeout → failed; a unit once Ready does not time out while repaired', () => {
    const notReady = liveOf(deploy);
    (notReady.status as Record<string, unknown>).availableReplicas = 0;
    const base = { desired, live: lookup([liveOf(config), notReady]), inputHash, timeoutSeconds: 60, now };
    const a = assessUnit({
      ...base,
      previous: { phase: 'Applying', inputHash, startedAt: '2025-01-01T00:00:00.000Z' },
    });
    expect(a.state).toBe('failed');
    expect(a.message).toContain('not Ready after 60s');
    const b = assessUnit({
      ...base,
      previous: {
        phase: 'Applying',
        inputHash,
        startedAt: '2025-01-01T00:00:00.000Z',
        readyAt: '2025-01-01T00:01:00.000Z',
      },
    });
    expect(b.state).toBe('applying');
  });
});

describe('unitsToTearDown', () => {
  const deps = new Map<string, string[]>([
    ['database-server@core', []],
    ['keystone-db-create@core', ['database-server@core']],
    ['keystone-api@core', ['keystone-db-create@core', 'database-server@core']],
    ['nova-compute@edge-1', ['keystone-api@core']],
  ]);

  test('dependents go first, across sites', () => {
    const all = new Set(deps.keys());
    expect(unitsToTearDown(all, deps)).toEqual(['nova-compute@edge-1']);
    all.delete('nova-compute@edge-1');
    expect(unitsToTearDown(all, deps)).toEqual(['keystone-api@core']);
    all.delete('keystone-api@core');
    expect(unitsToTearDown(all, deps)).toEqual(['keystone-db-create@core']);
  });

  test('a dependent still present (e.g. on an unreachable site) blocks its dependencies', () => {
    const present = new Set(['nova-compute@edge-1', 'database-server@core']);
    expect(unitsToTearDown(present, deps)).toEqual(['database-server@core', 'nova-compute@edge-1']);
    const blocked = new Set(['keystone-api@core', 'database-server@core']);
    expect(unitsToTearDown(blocked, deps)).toEqual(['keystone-api@core']);
  });
});
