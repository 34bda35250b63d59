// The tenancy corpus (corpus.ts) against the operator's own code paths, no cluster: DistributedClouds reaching
// EdgeSites that do not admit their namespace get no unit there (or no plan at all) and a SiteNotAllowed condition and
// Event; privileged units are refused where the EdgeSite does not allow them; a member namespace or object Discovery
// did not create for this DistributedCloud is refused (OwnershipConflict) and left as it was, by the apply and by
// teardown; a hypervisor DaemonSet is refused on nodes another host-level DaemonSet holds (HostConflict).
import { describe, expect, test } from '@jest/globals';
import type { DistributedCloud, EdgeSite } from '../../../operator/src/api/types.js';
import { act, actTeardown, type ActContext } from '../../../operator/src/controllers/dc-act.js';
import {
  conclude,
  decide,
  planDistributedCloud,
  privilegedRefusals,
  type Decision,
  type DesiredObjects,
  type ReconcileInput,
  type SiteState,
} from '../../../operator/src/controllers/dc-decide.js';
import { transitions } from '../../../operator/src/controllers/status.js';
import { NamespaceEnsurer } from '../../../operator/src/engine/apply.js';
import { isOwnedBy } from '../../../operator/src/engine/ownership.js';
import type { LiveObject } from '../../../operator/src/engine/readiness.js';
import { objectId } from '../../../operator/src/engine/state.js';
import { planFromUnits, type Plan, type Unit } from '../../../operator/src/planner/index.js';
import {
  createRenderContext,
  generateMissingSecrets,
  renderNamespace,
  renderUnit,
  requiredSecrets,
} from '../../../operator/src/render/index.js';
import { memberNamespace, ownerLabels } from '../../../operator/src/render/labels.js';
import type { K8sObject } from '../../../operator/src/render/types.js';
import type { MemberClients } from '../../../operator/src/runtime/clusters.js';
import { createLogger } from '../../../operator/src/runtime/logger.js';
import { REGISTRY } from '../../../operator/src/services/registry.js';
import { sampleDc, sampleSites, seededBytes } from '../render/fixtures.js';
import { HOSTILE_HOST_CLAIMS, HOSTILE_MEMBER_STATE, HOSTILE_TENANCY, type TenancyOf } from './corpus.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const POLICY = { progressRequeueMs: 2000, resyncPeriodMs: 600_000 };
const quiet = createLogger({ level: 'error', transports: [] });

function sitesWith(tenancy: TenancyOf): EdgeSite[] {
  return sampleSites().map((s) => {
    const t = tenancy(s.metadata.name!);
    const spec = { ...s.spec };
    delete spec.tenancy;
    return { ...s, spec: t ? { ...spec, tenancy: t } : spec } as EdgeSite;
  });
}

function dcIn(namespace: string, patch: Record<string, unknown> = {}): DistributedCloud {
  const dc = sampleDc('distributed', namespace);
  const spec = { ...dc.spec } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete spec[k];
    else spec[k] = v;
  }
  return {
    ...dc,
    metadata: { ...dc.metadata, uid: 'uid-1', generation: 1 },
    spec: spec as unknown as DistributedCloud['spec'],
  };
}

/** decide + conclude over reachable, empty sites; units render to nothing (only the status matters here). */
function statusOf(dc: DistributedCloud, plan: Plan, extra: Partial<ReconcileInput> = {}) {
  const desired: DesiredObjects = new Map(plan.units.map((u) => [u.id, { objects: [] }]));
  const sites = new Map(
    plan.sites.map((name): [string, SiteState] => [
      name,
      { name, reachable: true, live: new Map(), byUnit: new Map() },
    ]),
  );
  const input: ReconcileInput = {
    dc,
    previous: new Map(),
    plan,
    desired,
    sites,
    paused: false,
    limits: {},
    unitTimeoutSeconds: 600,
    previousDependencies: () => new Map(),
    now: NOW,
    ...extra,
  };
  const decision = decide(input);
  return {
    decision,
    status: conclude(input, decision, { repairs: [], starts: [], unreachable: new Map(), problems: [] }, POLICY).status,
  };
}

describe('hostile site selection: EdgeSites that do not admit the namespace get no unit', () => {
  test.each(HOSTILE_TENANCY.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const dc = dcIn(c.namespace, c.spec);
    const sites = sitesWith(c.tenancy);
    const tenant = c.namespaceLabels ? { name: c.namespace, labels: c.namespaceLabels } : { name: c.namespace };
    const planned = planDistributedCloud(dc, sites, tenant);
    if (!c.planned) {
      expect(planned).toMatchObject({ ok: false, reason: 'SiteNotAllowed' });
      if (planned.ok) return;
      for (const s of c.refused) expect(planned.message).toContain(s);
      expect(planned.message).toContain(`namespace ${c.namespace}`);
      expect(planned.message).toContain('spec.tenancy.namespaces or spec.tenancy.namespaceSelector');
      return;
    }
    expect(planned.ok).toBe(true);
    if (!planned.ok) return;
    expect(planned.notAllowed?.sites).toEqual(c.refused);
    for (const s of c.refused) {
      expect(planned.plan.sites).not.toContain(s);
      expect(planned.plan.units.filter((u) => u.targetSite === s)).toEqual([]);
    }
    const { status } = statusOf(dc, planned.plan, { notAllowed: planned.notAllowed });
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'SiteNotAllowed' });
    for (const s of c.refused) expect(ready?.message).toContain(s);
    expect(transitions(dc.status, status)).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: 'SiteNotAllowed' }),
    );
  });

  test('control: the same DistributedClouds are planned on every site once the namespace is granted', () => {
    for (const c of HOSTILE_TENANCY) {
      const granted = sitesWith(() => ({ namespaces: [c.namespace] }));
      const planned = planDistributedCloud(dcIn(c.namespace, c.spec), granted, { name: c.namespace });
      expect(planned).toMatchObject({ ok: true, notAllowed: undefined });
    }
    // and an empty namespaceSelector admits every namespace (the documented "open site")
    const open = sitesWith(() => ({ namespaceSelector: {} }));
    expect(planDistributedCloud(dcIn('anyone'), open, { name: 'anyone', labels: {} })).toMatchObject({ ok: true });
  });
});

describe('privileged units only where the EdgeSite allows them', () => {
  const dc = dcIn('openstack');
  const sites = sitesWith((s) => ({ namespaces: ['openstack'], allowPrivileged: s === 'edge-1' }));
  const planned = planDistributedCloud(dc, sites, { name: 'openstack' });
  if (!planned.ok) throw new Error(planned.message);
  const plan = planned.plan;
  const byName = new Map(sites.map((s) => [s.metadata.name!, s]));
  const refused = privilegedRefusals(plan, byName, (u) => REGISTRY.privileged(u));

  test('nova-compute is refused on every site but edge-1, with a message naming the unit, site and field', () => {
    expect([...refused.keys()].sort()).toEqual(['nova-compute@core', 'nova-compute@edge-2', 'nova-compute@edge-3']);
    expect(refused.get('nova-compute@edge-2')?.message).toMatch(
      /^PrivilegedNotAllowed: unit nova-compute@edge-2 needs privileged pods .* EdgeSite edge-2 .*spec\.tenancy\.allowPrivileged/,
    );
  });

  test('refused units are never started, what they have live is removed, and the reason is PrivilegedNotAllowed', () => {
    const live = { kind: 'DaemonSet', metadata: { name: 'nova-compute', namespace: 'x' } } as LiveObject;
    const sitesState = new Map(
      plan.sites.map((name): [string, SiteState] => [
        name,
        {
          name,
          reachable: true,
          live: new Map(),
          byUnit: new Map(name === 'edge-2' ? [['nova-compute@edge-2', [live]]] : []),
        },
      ]),
    );
    const { decision, status } = statusOf(dc, plan, { refused, sites: sitesState, limits: {} });
    const started = new Set(decision.starts.map((s) => s.unit.id));
    for (const id of refused.keys()) expect(started.has(id)).toBe(false);
    expect(decision.prunes).toContainEqual({ unit: 'nova-compute@edge-2', site: 'edge-2', objects: [live] });
    expect(status.units?.find((u) => u.name === 'nova-compute@edge-3')?.phase).toBe('Failed');
    expect(status.conditions?.find((c) => c.type === 'Degraded')?.reason).toBe('PrivilegedNotAllowed');
  });

  test('the member namespace is "privileged" only on edge-1; the unit objects there are the only privileged pods', () => {
    const ctx = createRenderContext({ dc, sites: byName, plan, secrets: {} });
    for (const site of plan.sites)
      expect(renderNamespace(ctx, site).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe(
        site === 'edge-1' ? 'privileged' : 'restricted',
      );
  });
});

// ---- member-cluster state Discovery must not adopt -----------------------------------------------------------------

const DC = { metadata: { name: 'demo', namespace: 'openstack', uid: 'uid-1' } };
const NS = memberNamespace(DC, 'edge-1');

function fakeCluster() {
  const calls: string[] = [];
  const namespaces = new Map<string, { labels?: Record<string, string> }>();
  const objects = new Map<string, LiveObject>();
  const notFound = () => Object.assign(new Error('not found'), { code: 404 });
  const clients = {
    site: 'edge-1',
    hash: 'h',
    objects: {
      patch: async (o: K8sObject) => {
        calls.push(`apply ${o.kind}/${o.metadata.name}`);
        objects.set(`${o.kind}/${o.metadata.name}`, o as LiveObject);
      },
      delete: async (o: K8sObject) => {
        calls.push(`delete ${o.kind}/${o.metadata.name}`);
        objects.delete(`${o.kind}/${o.metadata.name}`);
      },
      read: async (o: K8sObject) => {
        const found = objects.get(`${o.kind}/${o.metadata.name}`);
        if (!found) throw notFound();
        return found;
      },
    },
    core: {
      readNamespace: async ({ name }: { name: string }) => {
        const ns = namespaces.get(name);
        if (!ns) throw notFound();
        return { metadata: { name, labels: ns.labels } };
      },
      createNamespace: async ({ body }: { body: { metadata: { name: string; labels?: Record<string, string> } } }) => {
        calls.push(`create ns/${body.metadata.name}`);
        namespaces.set(body.metadata.name, { labels: body.metadata.labels });
      },
      deleteNamespace: async ({ name }: { name: string }) => {
        calls.push(`delete ns/${name}`);
        namespaces.delete(name);
      },
    },
  } as unknown as MemberClients;
  return { clients, calls, namespaces, objects };
}

const unit: Unit = {
  id: 'keystone-api@edge-1',
  component: 'keystone',
  step: 'api',
  site: 'edge-1',
  targetSite: 'edge-1',
  kind: 'workload',
  dependsOn: [],
  expectedSeconds: 1,
};
const ours = ownerLabels(DC);
const desired: K8sObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'keystone-api-etc', namespace: NS, labels: ours },
};
const namespaceObject = (): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: NS, labels: { ...ours, 'discovery.beyondtheclouds.io/site': 'edge-1' } },
});

function startDecision(): Decision {
  return {
    verdicts: new Map(),
    repairs: [],
    starts: [{ unit, site: 'edge-1', objects: [desired], stale: [], known: new Set() }],
    holdStartsOnFailure: true,
    prunes: [],
    namespaceDeletes: [],
    leftovers: [],
  };
}

describe('never adopt: a member namespace or object Discovery did not create for this DistributedCloud', () => {
  test.each(HOSTILE_MEMBER_STATE.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const cluster = fakeCluster();
    const foreign: LiveObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keystone-api-etc', namespace: NS, ...(c.labels ? { labels: c.labels } : {}) },
      data: { theirs: 'eA==' },
    };
    if (c.target === 'namespace') cluster.namespaces.set(NS, c.labels ? { labels: c.labels } : {});
    else {
      cluster.namespaces.set(NS, { labels: namespaceObject().metadata.labels });
      cluster.objects.set('Secret/keystone-api-etc', foreign);
    }
    const ctx: ActContext = {
      dc: DC,
      clients: new Map([['edge-1', cluster.clients]]),
      namespaces: new NamespaceEnsurer(),
      log: quiet,
    };
    const results = await act(startDecision(), ctx, namespaceObject);
    expect(results.starts).toEqual([
      { unit: unit.id, result: 'refused', message: expect.stringMatching(/^OwnershipConflict: /) },
    ]);
    const message = (results.starts[0] as { message: string }).message;
    expect(message).toContain(c.message);
    expect(message).toContain(c.target === 'namespace' ? `Namespace ${NS}` : `Secret ${NS}/keystone-api-etc`);
    expect(cluster.calls).toEqual([]); // nothing written: not the namespace, not the object
    if (c.target === 'object') {
      expect(cluster.objects.get('Secret/keystone-api-etc')).toBe(foreign);
      // never one of ours: it does not enter the DC's live objects, so no repair, prune or teardown touches it
      expect(isOwnedBy(foreign, DC.metadata)).toBe(false);
    } else {
      // teardown leaves a namespace that is not ours
      const gone = await actTeardown(
        { deletes: [], present: 0, abandoned: [], newlyAbandoned: [], waitingFor: [], namespaceDeletes: ['edge-1'] },
        ctx,
      );
      expect(gone).toEqual({ namespacesGone: true, problems: [] });
      expect(cluster.calls).toEqual([]);
      expect(cluster.namespaces.has(NS)).toBe(true);
    }
  });

  test('control: our own namespace and object are applied over', async () => {
    const cluster = fakeCluster();
    cluster.namespaces.set(NS, { labels: namespaceObject().metadata.labels });
    cluster.objects.set('Secret/keystone-api-etc', { ...desired } as LiveObject);
    const ctx: ActContext = {
      dc: DC,
      clients: new Map([['edge-1', cluster.clients]]),
      namespaces: new NamespaceEnsurer(),
      log: quiet,
    };
    expect((await act(startDecision(), ctx, namespaceObject)).starts).toEqual([{ unit: unit.id, result: 'applied' }]);
    expect(cluster.calls).toEqual(['apply Secret/keystone-api-etc']);
  });
});

// ---- host-level DaemonSets sharing nodes ---------------------------------------------------------------------------

describe('two hypervisor DaemonSets never share nodes (two DCs on a site, two sites on a cluster)', () => {
  const dc = dcIn('openstack');
  const sites = sitesWith(() => ({ namespaces: ['openstack'], allowPrivileged: true }));
  const planned = planDistributedCloud(dc, sites, { name: 'openstack' });
  if (!planned.ok) throw new Error(planned.message);
  const ctx = createRenderContext({
    dc,
    sites: new Map(sites.map((s) => [s.metadata.name!, s])),
    plan: planned.plan,
    secrets: generateMissingSecrets({}, requiredSecrets(planned.plan), seededBytes('host')),
  });
  const compute = planned.plan.byId.get('nova-compute@edge-1')!;
  const objects = renderUnit(compute, ctx);
  const plan = planFromUnits([{ ...compute, dependsOn: [] }], { sites: ['edge-1'], coreSite: 'edge-1' });

  const run = (claims: SiteState['hostClaims'], live = new Map<string, LiveObject>()) => {
    const site: SiteState = { name: 'edge-1', reachable: true, live, byUnit: new Map(), hostClaims: claims };
    return statusOf(dc, plan, {
      desired: new Map([[compute.id, { objects }]]),
      sites: new Map([['edge-1', site]]),
    });
  };

  test('the rendered nova-compute DaemonSet uses the host network (what the rule is about)', () => {
    const ds = objects.find((o) => o.kind === 'DaemonSet');
    expect((ds?.spec as { template: { spec: { hostNetwork?: boolean } } }).template.spec.hostNetwork).toBe(true);
  });

  test.each(HOSTILE_HOST_CLAIMS.map((c) => [c.name, c] as const))('%s: HostConflict, not started', (_name, c) => {
    const { decision, status } = run([c.claim]);
    expect(decision.starts).toEqual([]);
    const entry = status.units?.find((u) => u.name === compute.id);
    expect(entry?.phase).toBe('Failed');
    expect(entry?.message).toMatch(/^HostConflict: /);
    expect(entry?.message).toContain(`${c.claim.namespace}/${c.claim.name}`);
    expect(entry?.message).toContain('spec.siteOverrides[].nodeSelector');
    expect(status.conditions?.find((x) => x.type === 'Degraded')?.reason).toBe('HostConflict');
  });

  test('controls: disjoint nodes, our own DaemonSet, and a younger claim than ours do not conflict', () => {
    const claim = HOSTILE_HOST_CLAIMS[0]!.claim;
    expect(run([{ ...claim, nodeSelector: { 'openstack-compute-node': 'other-pool' } }]).decision.starts).toHaveLength(
      1,
    );
    const ds = objects.find((o) => o.kind === 'DaemonSet')!;
    expect(run([{ ...claim, namespace: ds.metadata.namespace! }]).decision.starts).toHaveLength(1);
    const live = new Map([
      [
        objectId(ds),
        { ...ds, metadata: { ...ds.metadata, creationTimestamp: '2025-01-01T00:00:00Z' } } as unknown as LiveObject,
      ],
    ]);
    const younger = run([{ ...claim, creationTimestamp: '2025-02-01T00:00:00Z' }], live);
    expect(younger.status.units?.find((u) => u.name === compute.id)?.message ?? '').not.toMatch(/HostConflict/);
  });
});
