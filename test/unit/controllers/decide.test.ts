// The DistributedCloud controller's pure decisions, table-driven, on a four-unit plan across three sites: what the
// e2e scenarios check on a fleet — gating on dependencies, rollout limits, drift repair, stop-on-failure, pruning of
// deselected sites and disabled components, unreachable sites, paused clouds — and the teardown order on deletion.
import { describe, expect, test } from '@jest/globals';
import type { DistributedCloud, UnitStatus } from '../../../operator/src/api/types.js';
import {
  conclude,
  concludeTeardown,
  decide,
  decideTeardown,
  type ActResults,
  type DesiredObjects,
  type ReconcileInput,
  type SiteState,
  type TeardownInput,
} from '../../../operator/src/controllers/dc-decide.js';
import type { LiveObject } from '../../../operator/src/engine/readiness.js';
import { objectId, unitInputHash } from '../../../operator/src/engine/state.js';
import { planFromUnits, type Plan, type Unit } from '../../../operator/src/planner/index.js';
import { ANNOTATION_UNIT, finalizeObject } from '../../../operator/src/render/labels.js';
import type { K8sObject } from '../../../operator/src/render/types.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const EARLIER = '2025-06-01T11:58:00.000Z';
const POLICY = { progressRequeueMs: 2000, resyncPeriodMs: 600_000 };

/** database@core ← api@core ← compute@edge-1, compute@edge-2 (each unit on its own site's cluster). */
function unit(id: string, dependsOn: string[] = []): Unit {
  const [name, site] = id.split('@') as [string, string];
  const [component, step] = name.split('-') as [string, string];
  return { id, component, step, site, targetSite: site, kind: 'job', dependsOn, expectedSeconds: 10 };
}
const PLAN: Plan = planFromUnits(
  [
    unit('db-server@core'),
    unit('keystone-api@core', ['db-server@core']),
    unit('nova-compute@edge-1', ['keystone-api@core']),
    unit('nova-compute@edge-2', ['keystone-api@core']),
  ],
  { sites: ['core', 'edge-1', 'edge-2'], coreSite: 'core' },
);

/** A unit renders a config Secret and a Job (ready when Complete, failed when Failed). */
function desiredOf(id: string, variant = ''): K8sObject[] {
  const base = id.replace(/[@]/g, '-');
  const ann = { [ANNOTATION_UNIT]: id };
  return [
    finalizeObject(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${base}-etc` }, data: { conf: `v1${variant}` } },
      {},
      ann,
      'openstack',
    ),
    finalizeObject(
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `${base}-job` }, spec: { backoffLimit: 6 } },
      {},
      ann,
      'openstack',
    ),
  ];
}
const DESIRED: DesiredObjects = new Map(PLAN.units.map((u) => [u.id, { objects: desiredOf(u.id) }]));

type LiveState = 'ready' | 'applying' | 'failed' | 'secret-edited' | 'extra-key' | 'job-missing';

/** The live objects of a unit as a member cluster would hold them. */
function liveOf(id: string, state: LiveState, objects = desiredOf(id)): LiveObject[] {
  return objects.flatMap((o): LiveObject[] => {
    const live = structuredClone(o) as LiveObject;
    live.metadata = { ...live.metadata, labels: { 'discovery.beyondtheclouds.io/dc': 'demo' } };
    if (o.kind === 'Job') {
      if (state === 'job-missing') return [];
      const conditions =
        state === 'failed'
          ? [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }]
          : state === 'applying'
            ? []
            : [{ type: 'Complete', status: 'True' }];
      live.status = { conditions };
    }
    if (o.kind === 'Secret' && state === 'secret-edited') live.data = { conf: 'ZWRpdGVk' };
    if (o.kind === 'Secret' && state === 'extra-key') live.data = { ...(o.data as object), extra: 'eA==' };
    return [live];
  });
}

function site(name: string, units: Record<string, LiveState> = {}, extra: Partial<SiteState> = {}): SiteState {
  const live = new Map<string, LiveObject>();
  const byUnit = new Map<string, LiveObject[]>();
  for (const [id, state] of Object.entries(units)) {
    const objs = liveOf(id, state);
    byUnit.set(id, objs);
    for (const o of objs) live.set(objectId(o), o);
  }
  return { name, reachable: true, live, byUnit, ...extra };
}

function sitesOf(...list: SiteState[]): Map<string, SiteState> {
  return new Map(list.map((s) => [s.name, s]));
}

/** Status entries of units already started for their current inputs. */
function started(ids: string[], phase: UnitStatus['phase'] = 'Applying'): UnitStatus[] {
  return ids.map((id) => ({
    name: id,
    site: id.split('@')[1]!,
    component: 'c',
    step: 's',
    phase,
    inputHash: unitInputHash(desiredOf(id)),
    startedAt: EARLIER,
    lastTransitionTime: EARLIER,
  }));
}

function dcWith(units: UnitStatus[] = [], sites: string[] = ['core', 'edge-1', 'edge-2']): DistributedCloud {
  return {
    apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
    kind: 'DistributedCloud',
    metadata: { name: 'demo', namespace: 'openstack', generation: 3 },
    spec: {} as DistributedCloud['spec'],
    status: { units, sites: sites.map((name) => ({ name, reachable: true, unitsReady: 0, unitsTotal: 0 })) },
  };
}

/** The unit ledger a previous pass left: here, the units of the DC's (old-style) status. */
function ledgerOf(dc: Pick<DistributedCloud, 'status'>): Map<string, UnitStatus> {
  return new Map((dc.status?.units ?? []).map((u) => [u.name, u]));
}

function input(overrides: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    dc: dcWith(),
    previous: ledgerOf(overrides.dc ?? dcWith()),
    plan: PLAN,
    desired: DESIRED,
    sites: sitesOf(site('core'), site('edge-1'), site('edge-2')),
    paused: false,
    limits: { maxParallelUnits: 0, maxParallelSites: 0, stopOnFailure: true },
    unitTimeoutSeconds: 600,
    previousDependencies: () => new Map(),
    now: NOW,
    ...overrides,
  };
}

const NOTHING_DONE: ActResults = { repairs: [], starts: [], unreachable: new Map(), problems: [] };
const ids = (list: { unit: { id: string } | string }[]) =>
  list.map((x) => (typeof x.unit === 'string' ? x.unit : x.unit.id)).sort();
const phases = (i: ReconcileInput, results = NOTHING_DONE) => {
  const d = decide(i);
  const c = conclude(i, d, results, POLICY);
  return Object.fromEntries(c.units.map((u) => [u.name, u.phase]));
};
const condition = (i: ReconcileInput, type: string, results = NOTHING_DONE) =>
  conclude(i, decide(i), results, POLICY).status.conditions?.find((c) => c.type === type);

describe('decide: gating on dependencies (eager, per unit)', () => {
  test.each([
    ['nothing applied: only the root starts', {}, {}, {}, ['db-server@core']],
    [
      'database Ready: the API starts, computes wait for it',
      { 'db-server@core': 'ready' },
      {},
      {},
      ['keystone-api@core'],
    ],
    [
      'API Ready: both computes start at once, on their own sites',
      { 'db-server@core': 'ready', 'keystone-api@core': 'ready' },
      {},
      {},
      ['nova-compute@edge-1', 'nova-compute@edge-2'],
    ],
    [
      'API still applying: nothing new starts',
      { 'db-server@core': 'ready', 'keystone-api@core': 'applying' },
      {},
      {},
      [],
    ],
    [
      'one compute Ready, the other absent: only the absent one starts',
      { 'db-server@core': 'ready', 'keystone-api@core': 'ready' },
      { 'nova-compute@edge-1': 'ready' },
      {},
      ['nova-compute@edge-2'],
    ],
  ] as const)('%s', (_name, core, edge1, edge2, expected) => {
    const d = decide(input({ sites: sitesOf(site('core', core), site('edge-1', edge1), site('edge-2', edge2)) }));
    expect(ids(d.starts)).toEqual(expected);
    expect(d.repairs).toEqual([]);
    expect(d.prunes).toEqual([]);
  });

  test('a unit is started once: its objects are applied and those of its previous inputs are pruned', () => {
    const old = desiredOf('db-server@core', '-old').map((o) => ({ ...o, metadata: { ...o.metadata, name: 'old' } }));
    const core = site('core');
    (core.byUnit as Map<string, LiveObject[]>).set('db-server@core', liveOf('db-server@core', 'ready', old));
    const [start] = decide(input({ sites: sitesOf(core, site('edge-1'), site('edge-2')) })).starts;
    expect(start!.objects).toEqual(desiredOf('db-server@core'));
    expect(start!.stale.map((o) => o.metadata?.name)).toEqual(['old', 'old']);
  });

  test('rollout limits: one unit at a time, or one site at a time', () => {
    const apiReady = { 'db-server@core': 'ready', 'keystone-api@core': 'ready' } as const;
    const sites = sitesOf(site('core', apiReady), site('edge-1'), site('edge-2'));
    expect(decide(input({ sites, limits: { maxParallelUnits: 1 } })).starts).toHaveLength(1);
    expect(decide(input({ sites, limits: { maxParallelSites: 1 } })).starts).toHaveLength(1);
    expect(decide(input({ sites, limits: { maxParallelSites: 2 } })).starts).toHaveLength(2);
  });

  test('phases and requeue: Pending units, Progressing RollingOut, requeued at the progress period', () => {
    const i = input();
    expect(phases(i)).toEqual({
      'db-server@core': 'Pending',
      'keystone-api@core': 'Pending',
      'nova-compute@edge-1': 'Pending',
      'nova-compute@edge-2': 'Pending',
    });
    expect(condition(i, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(conclude(i, decide(i), NOTHING_DONE, POLICY).requeueAfterMs).toBe(2000);
  });

  test('everything Ready: Ready=True naming the units and sites, resync requeue, nothing to do', () => {
    const all = Object.fromEntries(PLAN.units.map((u) => [u.id, 'ready' as const]));
    const i = input({
      dc: dcWith(started(Object.keys(all), 'Ready')),
      sites: sitesOf(
        site('core', { 'db-server@core': 'ready', 'keystone-api@core': 'ready' }),
        site('edge-1', { 'nova-compute@edge-1': 'ready' }),
        site('edge-2', { 'nova-compute@edge-2': 'ready' }),
      ),
    });
    const d = decide(i);
    expect([d.starts, d.repairs, d.prunes, d.namespaceDeletes]).toEqual([[], [], [], []]);
    const c = conclude(i, d, NOTHING_DONE, POLICY);
    expect(c.status.conditions?.find((x) => x.type === 'Ready')).toMatchObject({
      status: 'True',
      message: 'all 4 units Ready on 3 sites',
    });
    expect(c.status.readySites).toBe('3/3');
    expect(c.requeueAfterMs).toBe(600_000);
    expect(c.phases).toEqual({ Ready: 4 });
  });
});

describe('decide: drift of started units is repaired without a scheduler gate', () => {
  test.each([
    ['a config Secret edited by hand', 'secret-edited', ['Secret'], false],
    ['a config Secret with a key we do not render (deleted first)', 'extra-key', ['Secret'], true],
    ['a Job deleted', 'job-missing', ['Job'], false],
  ] as const)('%s', (_name, state, kinds, deleteFirst) => {
    // a started unit drifts while its dependency is not even Ready: repairs are not gated by the scheduler
    const i = input({
      dc: dcWith(started(['nova-compute@edge-1'])),
      sites: sitesOf(site('core'), site('edge-1', { 'nova-compute@edge-1': state }), site('edge-2')),
    });
    const d = decide(i);
    expect(d.repairs.map((r) => [r.unit.id, r.site, r.objects.map((o) => o.object.kind)])).toEqual([
      ['nova-compute@edge-1', 'edge-1', kinds],
    ]);
    expect(d.repairs[0]!.objects[0]!.deleteFirst !== undefined).toBe(deleteFirst);
    expect(phases(i)['nova-compute@edge-1']).toBe('Applying');
  });

  test('paused: drift is seen but neither repaired nor anything started or pruned; Progressing Paused', () => {
    const i = input({
      paused: true,
      dc: dcWith(started(['nova-compute@edge-1'])),
      sites: sitesOf(
        site('core'),
        site('edge-1', { 'nova-compute@edge-1': 'secret-edited' }),
        site('edge-2'),
        site('edge-3', { 'nova-compute@edge-3': 'ready' }),
      ),
    });
    const d = decide(i);
    expect([d.repairs, d.starts, d.prunes, d.namespaceDeletes]).toEqual([[], [], [], []]);
    expect(condition(i, 'Progressing')).toMatchObject({ reason: 'Paused' });
  });
});

describe('decide: failures', () => {
  const failedDb = () =>
    input({
      dc: dcWith(started(['db-server@core'])),
      sites: sitesOf(site('core', { 'db-server@core': 'failed' }), site('edge-1'), site('edge-2')),
    });

  test('stopOnFailure: a failed unit starts nothing more; RolloutBlocked, Degraded UnitFailed, resync requeue', () => {
    const i = failedDb();
    expect(decide(i).starts).toEqual([]);
    expect(decide(i).holdStartsOnFailure).toBe(true);
    expect(phases(i)['db-server@core']).toBe('Failed');
    expect(condition(i, 'Progressing')).toMatchObject({ reason: 'RolloutBlocked' });
    expect(condition(i, 'Degraded')).toMatchObject({ status: 'True', reason: 'UnitFailed' });
    expect(condition(i, 'Degraded')?.message).toMatch(/unit db-server@core failed: .*BackoffLimitExceeded/);
    expect(conclude(i, decide(i), NOTHING_DONE, POLICY).requeueAfterMs).toBe(600_000);
  });

  test('without stopOnFailure, units not depending on the failure still start', () => {
    const plan = planFromUnits([...PLAN.units, unit('memcached-server@edge-1')], {
      sites: PLAN.sites,
      coreSite: 'core',
    });
    const desired = new Map(plan.units.map((u) => [u.id, { objects: desiredOf(u.id) }]));
    const i = { ...failedDb(), plan, desired, limits: { stopOnFailure: false } };
    expect(ids(decide(i).starts)).toEqual(['memcached-server@edge-1']);
    expect(decide(i).holdStartsOnFailure).toBe(false);
    expect(ids(decide({ ...i, limits: { stopOnFailure: true } }).starts)).toEqual([]);
  });

  test('a unit not Ready within the unit timeout fails', () => {
    const i = input({
      dc: dcWith(started(['db-server@core'])),
      sites: sitesOf(site('core', { 'db-server@core': 'applying' }), site('edge-1'), site('edge-2')),
      unitTimeoutSeconds: 60,
    });
    expect(phases(i)['db-server@core']).toBe('Failed');
    expect(conclude(i, decide(i), NOTHING_DONE, POLICY).units[0]?.message).toMatch(/not Ready after 60s/);
    expect(phases({ ...i, unitTimeoutSeconds: 7200 })['db-server@core']).toBe('Applying');
  });

  test('a unit that cannot be rendered is Failed with the render error and never started', () => {
    const desired = new Map<string, { objects: K8sObject[] } | { error: string } | { waiting: string }>(DESIRED);
    desired.set('db-server@core', { error: 'generated secret database-root.password is missing' });
    const i = input({ desired });
    expect(decide(i).starts).toEqual([]);
    expect(conclude(i, decide(i), NOTHING_DONE, POLICY).units[0]).toMatchObject({
      phase: 'Failed',
      message: 'generated secret database-root.password is missing',
    });
  });
});

describe('decide: units waiting for a cross-site address', () => {
  const waiting = (id: string) => {
    const desired = new Map<string, { objects: K8sObject[] } | { error: string } | { waiting: string }>(DESIRED);
    desired.set(id, { waiting: 'waiting for the nodePort of Service keystone-api-wan port 5000 at site core' });
    return desired;
  };

  test('a waiting unit whose dependencies are Ready is Pending with what it waits for, and is not started', () => {
    const i = input({
      desired: waiting('nova-compute@edge-1'),
      sites: sitesOf(
        site('core', { 'db-server@core': 'ready', 'keystone-api@core': 'ready' }),
        site('edge-1'),
        site('edge-2'),
      ),
    });
    const d = decide(i);
    expect(d.starts.map((s) => s.unit.id)).toEqual(['nova-compute@edge-2']);
    expect(d.verdicts.get('nova-compute@edge-1')).toMatchObject({ phase: 'Pending', started: false });
    expect(d.verdicts.get('nova-compute@edge-1')?.message).toMatch(/nodePort of Service keystone-api-wan/);
  });

  test('a started unit that waits keeps its phase and live objects: no repair, no prune', () => {
    const i = input({
      dc: dcWith(started(['db-server@core', 'keystone-api@core'], 'Ready')),
      desired: waiting('keystone-api@core'),
      sites: sitesOf(
        site('core', { 'db-server@core': 'ready', 'keystone-api@core': 'secret-edited' }),
        site('edge-1'),
        site('edge-2'),
      ),
    });
    const d = decide(i);
    expect(d.verdicts.get('keystone-api@core')).toMatchObject({ phase: 'Ready', started: true });
    expect(d.repairs.map((r) => r.unit.id)).not.toContain('keystone-api@core');
    expect(d.prunes).toEqual([]);
    // its dependents may go on: it is still Ready
    expect(d.starts.map((s) => s.unit.id).sort()).toEqual(['nova-compute@edge-1', 'nova-compute@edge-2']);
  });
});

describe('decide: unreachable sites', () => {
  const apiReady = { 'db-server@core': 'ready', 'keystone-api@core': 'ready' } as const;
  const down = (name: string, message = 'connection refused') =>
    site(name, {}, { reachable: false, message, live: new Map(), byUnit: new Map() });

  test('units of an unreachable site keep their phase and are not started; the others go on; Degraded names it', () => {
    const i = input({
      dc: dcWith(started(['nova-compute@edge-2'], 'Ready')),
      sites: sitesOf(site('core', apiReady), site('edge-1'), down('edge-2')),
    });
    const d = decide(i);
    expect(ids(d.starts)).toEqual(['nova-compute@edge-1']);
    const c = conclude(i, d, NOTHING_DONE, POLICY);
    const edge2 = c.units.find((u) => u.name === 'nova-compute@edge-2');
    expect(edge2).toMatchObject({ phase: 'Ready', message: 'site edge-2 unreachable', startedAt: EARLIER });
    expect(c.status.conditions?.find((x) => x.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'SiteUnreachable',
      message: 'site edge-2 unreachable: connection refused',
    });
    expect(c.status.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
    expect(c.status.sites?.find((s) => s.name === 'edge-2')).toMatchObject({ reachable: false });
    expect(c.requeueAfterMs).toBe(5000);
  });

  test('a unit never started on an unreachable site stays Pending', () => {
    const i = input({ sites: sitesOf(site('core', apiReady), site('edge-1'), down('edge-2')) });
    expect(phases(i)['nova-compute@edge-2']).toBe('Pending');
  });

  test('a site lost while acting: reported unreachable, its units keep their phase, requeued in 5 s', () => {
    const i = input({ sites: sitesOf(site('core', apiReady), site('edge-1'), site('edge-2')) });
    const d = decide(i);
    const c = conclude(
      i,
      d,
      {
        ...NOTHING_DONE,
        starts: [
          { unit: 'nova-compute@edge-1', result: 'applied' },
          { unit: 'nova-compute@edge-2', result: 'error', message: 'site edge-2 unreachable: timeout' },
        ],
        unreachable: new Map([['edge-2', 'timeout']]),
      },
      POLICY,
    );
    expect(c.units.find((u) => u.name === 'nova-compute@edge-1')).toMatchObject({
      phase: 'Applying',
      message: 'applied; waiting for readiness',
      startedAt: NOW.toISOString(),
    });
    expect(c.units.find((u) => u.name === 'nova-compute@edge-2')).toMatchObject({
      phase: 'Pending',
      message: 'site edge-2 unreachable: timeout',
    });
    expect(c.status.sites?.find((s) => s.name === 'edge-2')).toMatchObject({ reachable: false, message: 'timeout' });
    expect(c.requeueAfterMs).toBe(5000);
  });

  test('an object the API server refuses fails its unit', () => {
    const i = input();
    const c = conclude(
      i,
      decide(i),
      { ...NOTHING_DONE, starts: [{ unit: 'db-server@core', result: 'refused', message: 'Job is invalid' }] },
      POLICY,
    );
    expect(c.units[0]).toMatchObject({ phase: 'Failed', message: 'Job is invalid' });
  });
});

describe('decide: pruning what is no longer planned', () => {
  test('a site dropped from the selection: its units go (dependents first), shown as Deleting', () => {
    const i = input({
      dc: dcWith([], ['core', 'edge-1', 'edge-2', 'edge-3']),
      sites: sitesOf(
        site('core'),
        site('edge-1'),
        site('edge-2'),
        site('edge-3', { 'keystone-api@edge-3': 'ready', 'nova-compute@edge-3': 'ready' }),
      ),
      previousDependencies: () => new Map([['nova-compute@edge-3', ['keystone-api@edge-3']]]),
    });
    const d = decide(i);
    expect(ids(d.prunes)).toEqual(['nova-compute@edge-3']);
    expect(d.prunes[0]).toMatchObject({ site: 'edge-3' });
    expect(d.namespaceDeletes).toEqual([]);
    const c = conclude(i, d, NOTHING_DONE, POLICY);
    expect(c.units.filter((u) => u.phase === 'Deleting').map((u) => [u.name, u.message])).toEqual([
      ['keystone-api@edge-3', '2 objects left'],
      ['nova-compute@edge-3', '2 objects left'],
    ]);
    expect(c.status.sites?.map((s) => s.name)).toEqual(['core', 'edge-1', 'edge-2', 'edge-3']);
  });

  test('a disabled component on a site still planned is pruned too', () => {
    const i = input({ sites: sitesOf(site('core', { 'glance-api@core': 'ready' }), site('edge-1'), site('edge-2')) });
    expect(ids(decide(i).prunes)).toEqual(['glance-api@core']);
  });

  test.each([
    ["its namespace goes (the namespace is this DC's alone: per DC and per site)", {}, ['edge-3']],
    ['not while it is unreachable', { reachable: false }, []],
  ] as const)('a dropped site left empty: %s', (_name, extra, expected) => {
    const i = input({
      dc: dcWith([], ['core', 'edge-1', 'edge-2', 'edge-3']),
      sites: sitesOf(site('core'), site('edge-1'), site('edge-2'), site('edge-3', {}, extra)),
    });
    expect(decide(i).namespaceDeletes).toEqual(expected);
    // an empty dropped site is no longer listed in status
    expect(conclude(i, decide(i), NOTHING_DONE, POLICY).status.sites?.map((s) => s.name)).toEqual([
      'core',
      'edge-1',
      'edge-2',
    ]);
  });

  test('leftovers on an unreachable site are shown but not pruned; removal failures degrade the cloud', () => {
    const gone = site('edge-3', { 'nova-compute@edge-3': 'ready' });
    const i = input({ sites: sitesOf(site('core'), site('edge-1'), site('edge-2'), { ...gone, reachable: false }) });
    expect(decide(i).prunes).toEqual([]);
    const problems = ['cannot remove unit x from site edge-3: forbidden'];
    expect(condition(i, 'Degraded', { ...NOTHING_DONE, problems })?.message).toContain(problems[0]);
  });
});

describe('decideTeardown: deletion in reverse dependency order across sites', () => {
  const dependsOn = new Map(PLAN.units.map((u) => [u.id, u.dependsOn]));
  const targetOf = new Map(PLAN.units.map((u) => [u.id, u.targetSite]));
  const deleting = (
    units: UnitStatus[] = started(
      PLAN.units.map((u) => u.id),
      'Ready',
    ),
  ) => ({
    ...dcWith(units),
    metadata: { ...dcWith().metadata, deletionTimestamp: '2025-06-01T11:59:00.000Z' },
  });
  const teardown = (sites: SiteState[], overrides: Partial<TeardownInput> = {}): TeardownInput => ({
    dc: deleting(),
    previous: ledgerOf(overrides.dc ?? deleting()),
    dependsOn,
    targetOf,
    sites: sitesOf(...sites),
    siteDeleteTimeoutMs: 300_000,
    now: NOW,
    ...overrides,
  });
  const everything = {
    core: { 'db-server@core': 'ready', 'keystone-api@core': 'ready' },
    edge1: { 'nova-compute@edge-1': 'ready' },
    edge2: { 'nova-compute@edge-2': 'ready' },
  } as const;

  test.each([
    [
      'everything present: the computes on the edges go first',
      everything,
      ['nova-compute@edge-1', 'nova-compute@edge-2'],
    ],
    ['computes gone: then the API', { ...everything, edge1: {}, edge2: {} }, ['keystone-api@core']],
    ['API gone: then the database', { core: { 'db-server@core': 'ready' }, edge1: {}, edge2: {} }, ['db-server@core']],
  ] as const)('%s', (_name, live, expected) => {
    const d = decideTeardown(
      teardown([site('core', live.core), site('edge-1', live.edge1), site('edge-2', live.edge2)]),
    );
    expect(ids(d.deletes)).toEqual(expected);
    expect(d.namespaceDeletes).toEqual([]);
  });

  test('nothing left: the namespaces go (every reachable site), then done once they are gone', () => {
    const i = teardown([site('core'), site('edge-1'), site('edge-2'), site('edge-3', {}, { reachable: false })]);
    const d = decideTeardown(i);
    expect(d).toMatchObject({ deletes: [], present: 0, namespaceDeletes: ['core', 'edge-1', 'edge-2'] });
    expect(concludeTeardown(i, d, { namespacesGone: true, problems: [] }, POLICY)).toEqual({ done: true });
    const waiting = concludeTeardown(i, d, { namespacesGone: false, problems: [] }, POLICY);
    expect(waiting.done).toBe(false);
    if (!waiting.done)
      expect(waiting.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
        status: 'False',
        reason: 'Deleting',
        message: 'removing member-cluster namespaces',
      });
  });

  test('an unreachable site within the timeout: its units block their dependencies elsewhere', () => {
    const down = site('edge-2', {}, { reachable: false, live: new Map(), byUnit: new Map() });
    const i = teardown([site('core', everything.core), site('edge-1'), down]);
    const d = decideTeardown(i);
    // compute@edge-1 is gone, compute@edge-2 is unknown: keystone-api@core waits for it
    expect(ids(d.deletes)).toEqual([]);
    expect(d).toMatchObject({ waitingFor: ['edge-2'], abandoned: [], present: 3 });
    const c = concludeTeardown(i, d, { namespacesGone: true, problems: [] }, POLICY);
    expect(c.done).toBe(false);
    if (!c.done) {
      expect(c.status.conditions?.find((x) => x.type === 'Ready')?.message).toBe(
        'tearing down 3 units; waiting for sites edge-2; site edge-2 unreachable: waiting to delete its objects',
      );
      expect(c.status.units?.every((u) => u.phase === 'Deleting')).toBe(true);
      expect(c.requeueAfterMs).toBe(2000);
    }
  });

  test('past the site delete timeout the site is abandoned (reported once) and teardown proceeds', () => {
    const down = site('edge-2', {}, { reachable: false, live: new Map(), byUnit: new Map() });
    const late = new Date(NOW.getTime() + 10 * 60_000);
    const i = teardown([site('core', everything.core), site('edge-1'), down], { now: late });
    const d = decideTeardown(i);
    expect(d).toMatchObject({ abandoned: ['edge-2'], newlyAbandoned: ['edge-2'], waitingFor: [] });
    expect(ids(d.deletes)).toEqual(['keystone-api@core']);
    const c = concludeTeardown(i, d, { namespacesGone: true, problems: [] }, POLICY);
    if (c.done) throw new Error('not done yet');
    const degraded = c.status.conditions?.find((x) => x.type === 'Ready')?.message;
    expect(degraded).toContain('site edge-2 unreachable for longer than the site delete timeout: abandoned');
    const again = decideTeardown({ ...i, dc: { ...i.dc, status: c.status } });
    expect(again.newlyAbandoned).toEqual([]);
  });

  test('without a current plan, units of the previous status count on their site', () => {
    const down = site('edge-2', {}, { reachable: false, live: new Map(), byUnit: new Map() });
    const i = teardown([site('core', everything.core), site('edge-1'), down], { targetOf: new Map() });
    expect(decideTeardown(i).present).toBe(3);
  });
});
