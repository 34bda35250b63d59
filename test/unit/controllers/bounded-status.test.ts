// The DistributedCloud status stays small whatever the size (etcd refuses requests over 1.5 MiB; a status listing
// every unit reached 1.8 MB for 200 distributed sites): counts by phase, the units not Ready (failures first, capped),
// per-site summaries capped to the sites not Ready, conditions naming what fails. Every unit's entry goes to the
// unit ledger, one ConfigMap per site, each small too.
import { describe, expect, test } from '@jest/globals';
import { STATUS_MAX_SITES, STATUS_MAX_UNITS } from '../../../operator/src/api/schema/distributedcloud.js';
import type { UnitStatus } from '../../../operator/src/api/types.js';
import { distributedCloudStatus, transitions } from '../../../operator/src/controllers/status.js';
import {
  decodeLedger,
  encodeLedger,
  ledgerObject,
  UnitLedgers,
  type LedgerApi,
} from '../../../operator/src/controllers/unit-ledger.js';
import { planFromUnits, type Unit } from '../../../operator/src/planner/index.js';
import { runSliced, runSync, TimeSlicer } from '../../../operator/src/runtime/slicer.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const HASH = 'a'.repeat(64);
const STEPS = Array.from({ length: 29 }, (_, i) => `step${i}`);

/** 1,000 sites × 29 units: the shape of a 1,000-site distributed DistributedCloud. */
function bigPlan(sites: number) {
  const names = Array.from({ length: sites }, (_, i) => (i === 0 ? 'core' : `edge-${String(i).padStart(4, '0')}`));
  const units: Unit[] = names.flatMap((site) =>
    STEPS.map((step) => ({
      id: `nova-${step}@${site}`,
      component: 'nova',
      step,
      site,
      targetSite: site,
      kind: 'workload' as const,
      dependsOn: [],
      expectedSeconds: 10,
    })),
  );
  return { names, plan: planFromUnits(units, { sites: names, coreSite: 'core' }) };
}

function entry(u: Unit, phase: UnitStatus['phase'], message = ''): UnitStatus {
  return {
    name: u.id,
    site: u.site,
    component: u.component,
    step: u.step,
    phase,
    ...(message ? { message } : {}),
    lastTransitionTime: NOW.toISOString(),
    inputHash: HASH,
    ...(phase !== 'Pending' ? { startedAt: NOW.toISOString() } : {}),
    ...(phase === 'Ready' ? { readyAt: NOW.toISOString() } : {}),
  };
}

describe('bounded status of a 1,000-site DistributedCloud', () => {
  const { names, plan } = bigPlan(1000);
  // mid-rollout: the first 600 sites Ready, 5 failed units, some applying, the rest pending; edge-0999 unreachable
  const units = plan.units.map((u, i) => {
    const siteIndex = names.indexOf(u.site);
    if (u.site === 'edge-0700' && u.step === 'step3')
      return entry(u, 'Failed', 'Job nova-step3 failed: BackoffLimitExceeded');
    if (siteIndex < 600) return entry(u, 'Ready');
    if (siteIndex >= 650 && siteIndex < 654 && u.step === 'step5') return entry(u, 'Failed', 'not Ready after 600s');
    if (i % 7 === 0 && siteIndex < 800) return entry(u, 'Applying', 'Deployment x: 0/1 available');
    return entry(u, 'Pending', 'waiting to start');
  });
  const status = distributedCloudStatus({
    dc: { metadata: { name: 'big', namespace: 'openstack', generation: 2 } },
    plan,
    units,
    targetSite: new Map(plan.units.map((u) => [u.id, u.targetSite])),
    sites: names.map((name) =>
      name === 'edge-0999' ? { name, reachable: false, message: 'connection refused' } : { name, reachable: true },
    ),
    paused: false,
    now: NOW,
  });

  test('stays far below the 1.5 MiB request limit (under 64 KiB), whatever the size', () => {
    expect(plan.units.length).toBe(29_000);
    expect(JSON.stringify(status).length).toBeLessThan(64 * 1024);
    expect(status.units!.length).toBeLessThanOrEqual(STATUS_MAX_UNITS);
    expect(status.sites!.length).toBeLessThanOrEqual(STATUS_MAX_SITES);
  });

  test('counts every unit by phase; lists the units not Ready, failures first, and counts the rest', () => {
    const failed = units.filter((u) => u.phase === 'Failed').length;
    const ready = units.filter((u) => u.phase === 'Ready').length;
    expect(status.unitCounts).toMatchObject({ total: 29_000, ready, failed });
    expect(status.progress).toBe(`${ready}/29000`);
    expect(status.units!.every((u) => u.phase !== 'Ready')).toBe(true);
    expect(status.units!.slice(0, Math.min(failed, STATUS_MAX_UNITS)).every((u) => u.phase === 'Failed')).toBe(true);
    expect(status.units!.map((u) => u.name)).toContain('nova-step3@edge-0700');
    expect(status.unitsOmitted).toBe(29_000 - ready - status.units!.length);
  });

  test('sites: only those not Ready beyond the cap (the unreachable one included), the rest counted', () => {
    const listed = status.sites!.map((s) => s.name);
    expect(listed).toContain('edge-0999');
    expect(listed).not.toContain('core'); // Ready
    expect(status.sitesOmitted).toBe(1000 - listed.length);
    expect(status.readySites).toBe('600/1000');
  });

  test('kubectl describe still says what is wrong: Degraded names the unreachable site and the failed units', () => {
    const degraded = status.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'SiteUnreachable' });
    expect(degraded?.message).toContain('site edge-0999 unreachable: connection refused');
    expect(degraded?.message).toMatch(/unit nova-step\d+@edge-0\d+ failed: /);
    expect(degraded?.message).toMatch(/\d+ more units failed/);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(status.conditions?.find((c) => c.type === 'Progressing')?.message).toMatch(
      /^\d+\/29000 units Ready; applying .+ \(\+\d+ more\); \d+ pending$/,
    );
  });

  test('Events: every newly failed unit is seen through the full unit lists, at most 20 Events and a summary', () => {
    const after = units.map((u): UnitStatus => (u.phase === 'Applying' ? { ...u, phase: 'Failed' } : u));
    const events = transitions(undefined, status, { before: new Map(), after });
    const failedEvents = events.filter((e) => e.reason === 'UnitFailed');
    expect(failedEvents).toHaveLength(21);
    expect(failedEvents[20]!.message).toMatch(/^\d+ more units failed$/);
  });

  test('the unit ledger: one ConfigMap per site, each a few KiB', () => {
    const site = units.filter((u) => u.site === 'edge-0001');
    const cm = ledgerObject({ metadata: { name: 'big', namespace: 'openstack', uid: 'u1' } }, 'edge-0001', site);
    expect(cm.metadata?.name).toBe('big-units-edge-0001');
    expect(JSON.stringify(cm).length).toBeLessThan(8 * 1024);
  });
});

describe('unit ledger', () => {
  const rows: UnitStatus[] = [
    {
      name: 'b-x@edge-1',
      site: 'edge-1',
      component: 'b',
      step: 'x',
      phase: 'Applying',
      inputHash: HASH,
      startedAt: NOW.toISOString(),
      lastTransitionTime: NOW.toISOString(),
    },
    {
      name: 'a-y@edge-1',
      site: 'edge-1',
      component: 'a',
      step: 'y',
      phase: 'Pending',
      lastTransitionTime: NOW.toISOString(),
    },
  ];

  test('a table decodes to the entries it encodes (sorted, without messages)', () => {
    const text = encodeLedger(rows);
    expect(text.split('\n')[0]).toBe(
      '# unit\tcomponent\tstep\tphase\tinputHash\tstartedAt\treadyAt\tlastTransitionTime',
    );
    expect(decodeLedger('edge-1', text)).toEqual([rows[1], rows[0]]);
    expect(decodeLedger('edge-1', 'garbage\nx\ty\n')).toEqual([]);
  });

  /** A fake API holding ConfigMaps, counting writes. */
  function fakeApi() {
    const maps = new Map<string, { metadata: Record<string, unknown>; data: Record<string, string> }>();
    let writes = 0;
    const api = {
      listNamespacedConfigMap: async () => ({ items: [...maps.values()] }),
      createNamespacedConfigMap: async ({ body }: { body: { metadata: { name: string } } }) => {
        writes++;
        maps.set(body.metadata.name, body as never);
        return body;
      },
      patchNamespacedConfigMap: async ({ name, body }: { name: string; body: object }) => {
        writes++;
        maps.set(name, body as never);
        return body;
      },
    } as unknown as LedgerApi;
    return { api, maps, writes: () => writes };
  }

  test('save writes only the sites whose rows changed; a restarted controller loads the same entries', async () => {
    const dc = { metadata: { name: 'demo', namespace: 'openstack', uid: 'u1' } };
    const fake = fakeApi();
    const ledgers = new UnitLedgers(() => fake.api);
    expect((await ledgers.load('openstack/demo', dc)).size).toBe(0);
    const core: UnitStatus = { ...rows[0]!, name: 'b-x@core', site: 'core', message: 'progress note' };
    await ledgers.save('openstack/demo', dc, [...rows, core]);
    expect(fake.writes()).toBe(2);
    expect([...fake.maps.keys()].sort()).toEqual(['demo-units-core', 'demo-units-edge-1']);
    // a new message alone is not a change; a phase flip on one site rewrites that site only
    await ledgers.save('openstack/demo', dc, [...rows, { ...core, message: 'another note' }]);
    expect(fake.writes()).toBe(2);
    await ledgers.save('openstack/demo', dc, [...rows, { ...core, phase: 'Ready', readyAt: NOW.toISOString() }]);
    expect(fake.writes()).toBe(3);
    expect(ledgers.sitesOf('openstack/demo').sort()).toEqual(['core', 'edge-1']);

    const restarted = new UnitLedgers(() => fake.api);
    const loaded = await restarted.load('openstack/demo', dc);
    expect(loaded.get('b-x@core')).toMatchObject({ phase: 'Ready', readyAt: NOW.toISOString(), site: 'core' });
    expect(loaded.get('b-x@edge-1')).toEqual(rows[0]);
    // a site whose units are gone keeps an empty table (nothing is deleted) and is no longer one of the DC's sites
    await restarted.save('openstack/demo', dc, rows);
    expect(restarted.sitesOf('openstack/demo')).toEqual(['edge-1']);
    // another DC of the same name (other uid) does not read it
    const other = new UnitLedgers(() => fake.api);
    expect((await other.load('openstack/demo', { metadata: { ...dc.metadata, uid: 'u2' } })).size).toBe(0);
  });

  test('a DC whose status still lists its units (before the ledger existed) starts from them', async () => {
    const ledgers = new UnitLedgers(() => fakeApi().api);
    const dc = { metadata: { name: 'old', namespace: 'openstack', uid: 'u1' }, status: { units: rows } };
    const loaded = await ledgers.load('openstack/old', dc);
    expect([...loaded.keys()]).toEqual(['b-x@edge-1']); // the started one
  });
});

describe('time slicing', () => {
  function* count(n: number): Generator<void, number, undefined> {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += i;
      yield;
    }
    return sum;
  }

  test('runSliced gives the event loop back once the budget is used, and computes what runSync does', async () => {
    let clock = 0;
    const slicer = new TimeSlicer(10, () => (clock += 1)); // every check advances 1 ms
    expect(await runSliced(count(100), slicer)).toBe(runSync(count(100)));
    expect(slicer.yields).toBeGreaterThanOrEqual(9);
  });
});
