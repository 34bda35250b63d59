// Where the scale work (bounded status, plan/render cache, unit ledger) meets the tenancy model: the cache is keyed on
// everything that changes a plan or a rendering now (the tenant namespace's labels, the DC's uid, spec.images,
// EdgeSite spec.tenancy); the bounded status still names SiteNotAllowed and the refusal reasons, however many units
// failed before the refused one; the unit ledger is never mistaken for a member object of any DistributedCloud.
import { describe, expect, test } from '@jest/globals';
import type { DistributedCloud, EdgeSite, UnitStatus } from '../../../operator/src/api/types.js';
import { PlanRenderCache, planInputsKey, renderInputsKey } from '../../../operator/src/controllers/dc-render.js';
import { distributedCloudStatus } from '../../../operator/src/controllers/status.js';
import { ledgerObject } from '../../../operator/src/controllers/unit-ledger.js';
import { isOwnedBy, owningDistributedCloudKey, sameOwner } from '../../../operator/src/engine/ownership.js';
import { planFromUnits, type Unit } from '../../../operator/src/planner/index.js';
import { ownerLabels } from '../../../operator/src/render/labels.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const NS = 'tenant-a';
const GRANT = { 'discovery.beyondtheclouds.io/tenant': 'yes' };

function site(name: string, role: 'core' | 'edge', tenancy?: EdgeSite['spec']['tenancy']): EdgeSite {
  return {
    apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
    kind: 'EdgeSite',
    metadata: { name, labels: { fleet: 't' } },
    spec: {
      kubeconfigSecretRef: { namespace: 'discovery-system', name: `kc-${name}`, key: 'kubeconfig' },
      region: `region-${name}`,
      role,
      network: { rttMillis: 5, bandwidthMbps: 1000 },
      ...(tenancy ? { tenancy } : {}),
    },
  } as EdgeSite;
}

const SITES = [
  site('core', 'core', { namespaceSelector: { matchLabels: GRANT } }),
  site('edge-1', 'edge', { namespaceSelector: { matchLabels: GRANT } }),
];

const DC = {
  apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
  kind: 'DistributedCloud',
  metadata: { name: 'dc', namespace: NS, uid: 'uid-1', generation: 1 },
  spec: {
    release: '2025.1',
    topology: 'centralized',
    coreSite: 'core',
    siteSelector: { matchLabels: { fleet: 't' } },
    services: {},
    messageBus: { type: 'rabbitmq' },
    database: { type: 'mariadb' },
  },
} as unknown as DistributedCloud;

describe('plan/render cache keys: everything tenancy and the OpenStack wiring render from', () => {
  test('the tenant namespace (its labels decide which sites admit it) is part of the plan key', () => {
    const granted = { name: NS, labels: GRANT };
    expect(planInputsKey(DC, SITES, granted)).not.toBe(planInputsKey(DC, SITES, { name: NS, labels: {} }));
    expect(planInputsKey(DC, SITES, granted)).not.toBe(planInputsKey(DC, SITES, { name: NS }));
    expect(planInputsKey(DC, SITES, granted)).not.toBe(planInputsKey(DC, SITES));
    expect(planInputsKey(DC, SITES, granted)).toBe(planInputsKey(DC, SITES, { name: NS, labels: { ...GRANT } }));
  });

  test('a namespace label granting or revoking access re-plans: the cached plan is never the other one', () => {
    const cache = new PlanRenderCache();
    const refused = cache.plan('ns/dc', DC, SITES, { name: NS, labels: {} });
    expect(refused).toMatchObject({ ok: false, reason: 'SiteNotAllowed' });
    const admitted = cache.plan('ns/dc', DC, SITES, { name: NS, labels: GRANT });
    expect(admitted.ok).toBe(true);
    if (!admitted.ok) return;
    expect(admitted.plan.sites).toEqual(['core', 'edge-1']);
    // one site revoked (its EdgeSite tenancy no longer selects the namespace): left out, named in notAllowed
    const revoked = [SITES[0]!, site('edge-1', 'edge', { namespaces: ['someone-else'] })];
    const partial = cache.plan('ns/dc', DC, revoked, { name: NS, labels: GRANT });
    expect(partial.ok && partial.plan.sites).toEqual(['core']);
    expect(partial.ok && partial.notAllowed?.sites).toEqual(['edge-1']);
    expect(cache.misses.plan).toBe(3);
    cache.plan('ns/dc', DC, revoked, { name: NS, labels: GRANT });
    expect(cache.hits.plan).toBe(1);
  });

  test('the render key changes with the DC uid (dc-uid owner label), spec.images and EdgeSite tenancy', () => {
    const key = (dc: DistributedCloud, sites: EdgeSite[]) => renderInputsKey(dc, sites, {}, 'plan');
    const base = key(DC, SITES);
    expect(key({ ...DC, metadata: { ...DC.metadata, uid: 'uid-2' } }, SITES)).not.toBe(base);
    const images = { registry: 'registry.local:5000/kolla', tag: 'dev', pullPolicy: 'Always' as const };
    expect(key({ ...DC, spec: { ...DC.spec, images } }, SITES)).not.toBe(base);
    const privileged = [
      SITES[0]!,
      site('edge-1', 'edge', { namespaceSelector: { matchLabels: GRANT }, allowPrivileged: true }),
    ];
    expect(key(DC, privileged)).not.toBe(base);
    expect(key(DC, SITES)).toBe(base);
  });
});

function unit(siteName: string, step: string): Unit {
  return {
    id: `nova-${step}@${siteName}`,
    component: 'nova',
    step,
    site: siteName,
    targetSite: siteName,
    kind: 'workload',
    dependsOn: [],
    expectedSeconds: 10,
  };
}

describe('bounded status keeps the tenancy reasons', () => {
  // four plain failures first (plan order), then the refused unit: only three failures are named in the message
  const units = ['a', 'b', 'c', 'd', 'e'].map((s) => unit('edge-1', s));
  const plan = planFromUnits(units, { sites: ['edge-1'], coreSite: 'edge-1' });
  const entries = (last: string): UnitStatus[] =>
    units.map((u, i) => ({
      name: u.id,
      site: u.site,
      component: u.component,
      step: u.step,
      phase: 'Failed',
      message: i < 4 ? 'Job failed: BackoffLimitExceeded' : last,
      lastTransitionTime: NOW.toISOString(),
    }));
  const statusOf = (last: string, notAllowed?: string) =>
    distributedCloudStatus({
      dc: { metadata: { name: 'dc', namespace: NS, generation: 1 } },
      plan,
      units: entries(last),
      targetSite: new Map(units.map((u) => [u.id, u.targetSite])),
      sites: [{ name: 'edge-1', reachable: true }],
      paused: false,
      notAllowed,
      now: NOW,
    });
  const degraded = (s: ReturnType<typeof statusOf>) => s.conditions?.find((c) => c.type === 'Degraded');

  test.each(['OwnershipConflict', 'PrivilegedNotAllowed', 'HostConflict'])(
    'a %s refusal names the reason even past the three failures the message lists',
    (reason) => {
      const status = statusOf(`${reason}: unit nova-e@edge-1 refused`);
      expect(degraded(status)).toMatchObject({ status: 'True', reason });
      expect(degraded(status)?.message).toContain('2 more units failed');
      expect(status.unitCounts?.failed).toBe(5);
    },
  );

  test('SiteNotAllowed comes first, in reason and message', () => {
    const status = statusOf('Job failed', 'EdgeSite edge-2 does not admit DistributedClouds of namespace tenant-a');
    expect(degraded(status)?.reason).toBe('SiteNotAllowed');
    expect(degraded(status)?.message).toMatch(/^EdgeSite edge-2 does not admit/);
  });

  test('plain failures stay UnitFailed', () => {
    expect(degraded(statusOf('Job failed'))?.reason).toBe('UnitFailed');
  });
});

describe('the unit ledger is not a member object', () => {
  const dc = { metadata: { name: 'dc', namespace: NS, uid: 'uid-1' } };
  const cm = ledgerObject(dc, 'edge-1', []) as unknown as {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
  };

  test('no DistributedCloud owns it by labels: member caches, never-adopt and namespace teardown ignore it', () => {
    expect(owningDistributedCloudKey(cm)).toBeUndefined();
    expect(isOwnedBy(cm, dc.metadata)).toBe(false);
    expect(sameOwner(cm, { metadata: { labels: ownerLabels(dc) } })).toBe(false);
  });

  test('it lives in the DC namespace of the management cluster, owned by the DC uid (garbage-collected with it)', () => {
    const full = ledgerObject(dc, 'edge-1', []);
    expect(full.metadata?.namespace).toBe(NS);
    expect(full.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'DistributedCloud', name: 'dc', uid: 'uid-1' }),
    ]);
  });
});
