// Acting on a DistributedCloud decision against fake member clusters: applies and deletes happen in order, outcomes
// come back as values (applied / refused / error), a site that stops answering gets nothing more in that pass,
// stopOnFailure holds the starts back when a repair is refused; teardown reports namespaces gone or not. And the
// generated-secrets Secret the operator stores is the one `discovery render` writes, created once, then only extended.
import { describe, expect, test } from '@jest/globals';
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import type { DistributedCloud } from '../../../operator/src/api/types.js';
import { act, actTeardown, type ActContext } from '../../../operator/src/controllers/dc-act.js';
import type { Decision, TeardownDecision } from '../../../operator/src/controllers/dc-decide.js';
import {
  ensureGeneratedSecrets,
  GeneratedSecretsLostError,
  type SecretsApi,
} from '../../../operator/src/controllers/generated-secrets.js';
import { NamespaceEnsurer } from '../../../operator/src/engine/apply.js';
import type { Unit } from '../../../operator/src/planner/index.js';
import { generatedSecretsFromData, generatedSecretsObject } from '../../../operator/src/render/index.js';
import { memberNamespace, ownerLabels } from '../../../operator/src/render/labels.js';
import type { K8sObject } from '../../../operator/src/render/types.js';
import type { MemberClients } from '../../../operator/src/runtime/clusters.js';
import { createLogger } from '../../../operator/src/runtime/logger.js';

/**
 * A member cluster that records calls and keeps what is applied; `fail` decides, per call, to throw an API error with
 * that HTTP code.
 */
function fakeCluster(site: string, fail: (call: string) => number | undefined = () => undefined) {
  const calls: string[] = [];
  const namespaces = new Map<string, { labels?: Record<string, string> }>();
  /** Objects by "Kind/name" (namespaces aside). */
  const objects = new Map<string, K8sObject>();
  const run = async (call: string) => {
    calls.push(call);
    const code = fail(call);
    if (code !== undefined) throw Object.assign(new Error(`HTTP ${code} on ${call}`), { code });
  };
  const clients = {
    site,
    hash: 'h',
    objects: {
      patch: async (o: K8sObject) => {
        await run(`apply ${o.kind}/${o.metadata.name}`);
        objects.set(`${o.kind}/${o.metadata.name}`, o);
      },
      delete: async (o: K8sObject) => {
        await run(`delete ${o.kind}/${o.metadata.name}`);
        objects.delete(`${o.kind}/${o.metadata.name}`);
      },
      read: async (o: K8sObject) => {
        await run(`read ${o.kind}/${o.metadata.name}`);
        const found = objects.get(`${o.kind}/${o.metadata.name}`);
        if (!found) throw Object.assign(new Error('not found'), { code: 404 });
        return found;
      },
    },
    core: {
      readNamespace: async ({ name }: { name: string }) => {
        await run(`read ns/${name}`);
        const ns = namespaces.get(name);
        if (!ns) throw Object.assign(new Error('not found'), { code: 404 });
        return { metadata: { name, labels: ns.labels } };
      },
      createNamespace: async ({ body }: { body: { metadata: { name: string; labels?: Record<string, string> } } }) => {
        await run(`create ns/${body.metadata.name}`);
        namespaces.set(body.metadata.name, { labels: body.metadata.labels });
      },
      deleteNamespace: async ({ name }: { name: string }) => {
        await run(`delete ns/${name}`);
        namespaces.delete(name);
      },
    },
  } as unknown as MemberClients;
  return { clients, calls, namespaces, objects };
}

const obj = (kind: string, name: string): K8sObject => ({ apiVersion: 'v1', kind, metadata: { name } });
const unit = (id: string): Unit => ({
  id,
  component: 'c',
  step: 's',
  site: id.split('@')[1]!,
  targetSite: id.split('@')[1]!,
  kind: 'workload',
  dependsOn: [],
  expectedSeconds: 1,
});
const dc = { metadata: { name: 'demo', namespace: 'openstack', uid: 'uid-1' } };
const OWNER = ownerLabels(dc);
const nsOf = (site: string) => memberNamespace(dc, site);
const namespaceObject = (site: string) => ({
  ...obj('Namespace', nsOf(site)),
  metadata: { name: nsOf(site), labels: { ...OWNER, site } },
});
const quiet = createLogger({ level: 'error', transports: [] });

function context(...clusters: ReturnType<typeof fakeCluster>[]): ActContext {
  return {
    dc,
    clients: new Map(clusters.map((c) => [c.clients.site, c.clients])),
    namespaces: new NamespaceEnsurer(),
    log: quiet,
  };
}

function decision(over: Partial<Decision>): Decision {
  return {
    verdicts: new Map(),
    repairs: [],
    starts: [],
    holdStartsOnFailure: true,
    prunes: [],
    namespaceDeletes: [],
    leftovers: [],
    ...over,
  };
}

describe('act', () => {
  test('repairs (config with extra keys deleted first), starts (then stale objects), prunes, namespaces', async () => {
    const core = fakeCluster('core');
    const edge = fakeCluster('edge-1');
    edge.namespaces.set(nsOf('edge-1'), { labels: OWNER });
    const live = { kind: 'Secret', metadata: { name: 'conf' } };
    const results = await act(
      decision({
        repairs: [
          { unit: unit('a@core'), site: 'core', objects: [{ object: obj('Secret', 'conf'), deleteFirst: live }] },
        ],
        starts: [
          {
            unit: unit('b@core'),
            site: 'core',
            objects: [obj('Job', 'b-2')],
            stale: [{ kind: 'Job', metadata: { name: 'b-1' } }],
            known: new Set(),
          },
        ],
        prunes: [{ unit: 'c@edge-1', site: 'edge-1', objects: [{ kind: 'Service', metadata: { name: 'c' } }] }],
        namespaceDeletes: ['edge-1'],
      }),
      context(core, edge),
      namespaceObject,
    );
    expect(results).toEqual({
      repairs: [{ unit: 'a@core', result: 'applied' }],
      starts: [{ unit: 'b@core', result: 'applied' }],
      unreachable: new Map(),
      problems: [],
    });
    expect(core.calls).toEqual([
      `read ns/${nsOf('core')}`,
      `create ns/${nsOf('core')}`,
      'delete Secret/conf',
      'apply Secret/conf',
      'read Job/b-2', // not known as ours: checked for a foreign one first
      'apply Job/b-2',
      'delete Job/b-1',
    ]);
    expect(core.namespaces.get(nsOf('core'))?.labels).toEqual({ ...OWNER, site: 'core' });
    expect(edge.calls).toEqual(['delete Service/c', `read ns/${nsOf('edge-1')}`, `delete ns/${nsOf('edge-1')}`]);
  });

  test('a site that stops answering gets nothing more in this pass; the other sites go on', async () => {
    const down = fakeCluster('edge-1', (call) => (call.startsWith('apply') ? 503 : undefined));
    const up = fakeCluster('edge-2');
    const results = await act(
      decision({
        starts: [
          { unit: unit('x@edge-1'), site: 'edge-1', objects: [obj('Job', 'x')], stale: [], known: new Set<string>() },
          { unit: unit('y@edge-2'), site: 'edge-2', objects: [obj('Job', 'y')], stale: [], known: new Set<string>() },
        ],
        prunes: [{ unit: 'z@edge-1', site: 'edge-1', objects: [{ kind: 'Job', metadata: { name: 'z' } }] }],
      }),
      context(down, up),
      namespaceObject,
    );
    expect(results.starts).toEqual([
      { unit: 'x@edge-1', result: 'error', message: expect.stringMatching(/^site edge-1 unreachable: /) },
      { unit: 'y@edge-2', result: 'applied' },
    ]);
    expect(results.unreachable.get('edge-1')).toMatch(/HTTP 503/);
    expect(down.calls.filter((c) => c.startsWith('delete'))).toEqual([]); // the prune was not tried
  });

  test('a refused repair fails its unit and, under stopOnFailure, holds the starts back', async () => {
    const core = fakeCluster('core', (call) => (call === 'apply Secret/bad' ? 422 : undefined));
    const d = decision({
      repairs: [{ unit: unit('a@core'), site: 'core', objects: [{ object: obj('Secret', 'bad') }] }],
      starts: [{ unit: unit('b@core'), site: 'core', objects: [obj('Job', 'b')], stale: [], known: new Set<string>() }],
    });
    const held = await act(d, context(core), namespaceObject);
    expect(held.repairs).toEqual([{ unit: 'a@core', result: 'refused', message: expect.stringContaining('422') }]);
    expect(held.starts).toEqual([]);
    const free = await act(
      { ...d, holdStartsOnFailure: false },
      context(fakeCluster('core', (c) => (c === 'apply Secret/bad' ? 422 : undefined))),
      namespaceObject,
    );
    expect(free.starts).toEqual([{ unit: 'b@core', result: 'applied' }]);
  });

  test('removal failures come back as problems', async () => {
    const core = fakeCluster('core', (call) => (call.startsWith('delete') ? 403 : undefined));
    const results = await act(
      decision({ prunes: [{ unit: 'p@core', site: 'core', objects: [{ kind: 'Job', metadata: { name: 'p' } }] }] }),
      context(core),
      namespaceObject,
    );
    expect(results.problems).toEqual([expect.stringMatching(/^cannot remove unit p@core from site core: /)]);
  });
});

describe('actTeardown', () => {
  const teardown = (over: Partial<TeardownDecision>): TeardownDecision => ({
    deletes: [],
    present: 0,
    abandoned: [],
    newlyAbandoned: [],
    waitingFor: [],
    namespaceDeletes: [],
    ...over,
  });

  test('deletes units, then reports whether the namespaces are gone (only ours is deleted)', async () => {
    const ours = fakeCluster('edge-1');
    ours.namespaces.set(nsOf('edge-1'), { labels: OWNER });
    const theirs = fakeCluster('edge-2');
    // same name: one made by hand, then one of an earlier DistributedCloud of the same name (another uid)
    theirs.namespaces.set(nsOf('edge-2'), {});
    const first = await actTeardown(teardown({ namespaceDeletes: ['edge-1', 'edge-2'] }), context(ours, theirs));
    expect(first).toEqual({ namespacesGone: false, problems: [] }); // ours is being deleted
    expect(theirs.calls).toEqual([`read ns/${nsOf('edge-2')}`]);
    theirs.namespaces.set(nsOf('edge-2'), { labels: { ...OWNER, 'discovery.beyondtheclouds.io/dc-uid': 'uid-0' } });
    await actTeardown(teardown({ namespaceDeletes: ['edge-2'] }), context(theirs));
    expect(theirs.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(theirs.namespaces.has(nsOf('edge-2'))).toBe(true);
    const second = await actTeardown(teardown({ namespaceDeletes: ['edge-1', 'edge-2'] }), context(ours, theirs));
    expect(second).toEqual({ namespacesGone: true, problems: [] });
  });

  test('a unit delete that fails is retried next pass (not a problem); a namespace that cannot go is', async () => {
    const core = fakeCluster('core', (call) =>
      call.startsWith('delete') || call.startsWith('read') ? 500 : undefined,
    );
    const results = await actTeardown(
      teardown({
        deletes: [{ unit: 'a@core', site: 'core', objects: [{ kind: 'Job', metadata: { name: 'a' } }] }],
        namespaceDeletes: ['core'],
      }),
      context(core),
    );
    expect(results.namespacesGone).toBe(false);
    expect(results.problems).toEqual([expect.stringMatching(/^cannot remove namespace from site core: /)]);
  });
});

describe('ensureGeneratedSecrets (operator side of the generated-secrets Secret)', () => {
  const owner: Pick<DistributedCloud, 'metadata'> = { metadata: { name: 'demo', namespace: 'openstack' } };
  function fakeApi(initial?: Record<string, string>, race?: Record<string, string>, initialRefs?: V1OwnerReference[]) {
    let stored = initial;
    let refs = initialRefs;
    const writes: Array<{ verb: string; body: unknown }> = [];
    const api = {
      readNamespacedSecret: async () => {
        if (!stored) throw Object.assign(new Error('not found'), { code: 404 });
        return { data: stored, metadata: refs ? { ownerReferences: refs } : {} };
      },
      createNamespacedSecret: async ({ body }: { body: V1Secret }) => {
        writes.push({ verb: 'create', body });
        if (race) {
          stored = race;
          throw Object.assign(new Error('exists'), { code: 409 });
        }
        stored = body.data;
        refs = body.metadata?.ownerReferences;
      },
      patchNamespacedSecret: async ({ body }: { body: V1Secret }) => {
        writes.push({ verb: 'patch', body });
        stored = { ...stored, ...body.data };
        refs = body.metadata?.ownerReferences ?? refs;
      },
    } as unknown as SecretsApi;
    return { api, writes, stored: () => stored, refs: () => refs };
  }
  const counter = () => {
    let n = 0;
    return (size: number) => Buffer.alloc(size, ++n);
  };
  const required = [{ name: 'database-root', keys: { password: 'password' as const } }];

  test('created once with what the plan needs: exactly the Secret `discovery render` writes', async () => {
    const { api, writes } = fakeApi();
    const values = await ensureGeneratedSecrets(api, owner, required, { random: counter() });
    expect(writes).toEqual([{ verb: 'create', body: generatedSecretsObject(owner, values) }]);
    expect(Object.keys(values)).toEqual(['database-root']);
  });

  test('read back as is; a grown plan only adds its keys; existing values never change', async () => {
    const first = fakeApi();
    const values = await ensureGeneratedSecrets(first.api, owner, required, { random: counter() });
    const again = fakeApi(first.stored());
    expect(await ensureGeneratedSecrets(again.api, owner, required, { random: counter() })).toEqual(values);
    expect(again.writes).toEqual([]);
    const grown = [...required, { name: 'kv-store', keys: { password: 'password' as const } }];
    const more = await ensureGeneratedSecrets(again.api, owner, grown, { random: counter() });
    expect(more['database-root']).toEqual(values['database-root']);
    expect(again.writes).toEqual([
      { verb: 'patch', body: { data: generatedSecretsObject(owner, { 'kv-store': more['kv-store']! }).data } },
    ]);
    expect(generatedSecretsFromData(again.stored())).toEqual(more);
  });

  test('created concurrently elsewhere: what won is read back', async () => {
    const winner = generatedSecretsObject(owner, { 'database-root': { password: 'theirs' } }).data as Record<
      string,
      string
    >;
    const { api } = fakeApi(undefined, winner);
    expect(await ensureGeneratedSecrets(api, owner, required, { random: counter() })).toEqual({
      'database-root': { password: 'theirs' },
    });
  });
  test('tied to its DistributedCloud by an ownerReference, so the garbage collector removes it (no delete needed)', async () => {
    const live: Pick<DistributedCloud, 'metadata'> = { metadata: { ...owner.metadata, uid: 'uid-1' } };
    const ref = {
      apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
      kind: 'DistributedCloud',
      name: 'demo',
      uid: 'uid-1',
    };
    const created = fakeApi();
    await ensureGeneratedSecrets(created.api, live, required, { random: counter() });
    expect(created.refs()).toEqual([ref]);
    // not a controller reference: a leftover of a deleted namesake may hold that one
    expect(created.refs()?.[0]?.controller).toBeUndefined();

    // a Secret from before (no reference) or from a deleted DistributedCloud of the same name gains ours, keeps theirs
    const old = { ...ref, uid: 'uid-0' };
    const adopted = fakeApi(created.stored(), undefined, [old]);
    await ensureGeneratedSecrets(adopted.api, live, required, { random: counter() });
    expect(adopted.writes).toEqual([{ verb: 'patch', body: { metadata: { ownerReferences: [old, ref] } } }]);
    expect(adopted.refs()).toEqual([old, ref]);

    // already ours: nothing written
    const again = fakeApi(created.stored(), undefined, [ref]);
    await ensureGeneratedSecrets(again.api, live, required, { random: counter() });
    expect(again.writes).toEqual([]);
  });
  test('a missing Secret after units started is lost, not new: refused, nothing written', async () => {
    const lost = fakeApi();
    await expect(
      ensureGeneratedSecrets(lost.api, owner, required, { mustExist: true, random: counter() }),
    ).rejects.toThrow(GeneratedSecretsLostError);
    expect(lost.writes).toEqual([]);
    // with it present, mustExist changes nothing
    const first = fakeApi();
    const values = await ensureGeneratedSecrets(first.api, owner, required, { random: counter() });
    const present = fakeApi(first.stored());
    expect(await ensureGeneratedSecrets(present.api, owner, required, { mustExist: true, random: counter() })).toEqual(
      values,
    );
  });
});
