// The engine against a real member API server of the local fleet: every object the renderers produce for the
// distributed sample is server-side applied without error and reads back without false drift; pruning removes a
// unit's stale objects; teardown deletes a unit's objects and the owned Namespace.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as yaml from 'js-yaml';
import { inlineKubeconfig } from '../../../hack/fleet/fleet.js';
import { testFleet } from '../../harness/fleet.js';
import type { DistributedCloud, EdgeSite } from '../../../operator/src/api/types.js';
import { validateDistributedCloud, validateEdgeSite } from '../../../operator/src/api/validate.js';
import { applyUnitObjects, NamespaceEnsurer } from '../../../operator/src/engine/apply.js';
import type { LiveObject } from '../../../operator/src/engine/readiness.js';
import { resourceOfKind } from '../../../operator/src/engine/resources.js';
import { driftOf } from '../../../operator/src/engine/state.js';
import { deleteOwnedNamespace, deleteUnitObjects } from '../../../operator/src/engine/teardown.js';
import { buildPlan } from '../../../operator/src/planner/index.js';
import {
  createRenderContext,
  generateMissingSecrets,
  renderNamespace,
  renderUnit,
  requiredSecrets,
} from '../../../operator/src/render/index.js';
import { LABEL_DC, memberNamespace, ownerLabels } from '../../../operator/src/render/labels.js';
import type { K8sObject } from '../../../operator/src/render/types.js';
import { MemberClusters, type MemberClients } from '../../../operator/src/runtime/clusters.js';
import { kubeGetJson, resourcePath } from '../../../operator/src/runtime/kube-http.js';

const fleet = testFleet();
const dcNamespace = `rc-engine-${process.pid}`;
const SITE = 'edge-1';

function loadSamples(): { dc: DistributedCloud; sites: EdgeSite[] } {
  const sites = (yaml.loadAll(readFileSync('crds/samples/sites.yaml', 'utf8')) as Array<{ kind?: string }>)
    .filter((d) => d?.kind === 'EdgeSite')
    .map((d) => {
      const r = validateEdgeSite(d);
      if (!r.ok) throw new Error('invalid sample EdgeSite');
      return r.value;
    });
  const raw = yaml.load(readFileSync('crds/samples/dc-distributed.yaml', 'utf8')) as DistributedCloud;
  raw.metadata.namespace = dcNamespace;
  raw.metadata.uid = `uid-rc-engine-${process.pid}`;
  const r = validateDistributedCloud(raw);
  if (!r.ok) throw new Error('invalid sample DistributedCloud');
  return { dc: r.value, sites };
}

async function readLive(clients: MemberClients, obj: K8sObject): Promise<LiveObject | undefined> {
  const resource = resourceOfKind(obj.kind)!;
  try {
    return await kubeGetJson<LiveObject>(
      clients.kubeConfig,
      `${resourcePath(resource, obj.metadata.namespace)}/${obj.metadata.name}`,
    );
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

describe('engine on a member cluster', () => {
  let clients: MemberClients;
  const { dc, sites } = loadSamples();
  const plan = buildPlan(dc, sites);
  let counter = 0;
  const secrets = generateMissingSecrets({}, requiredSecrets(plan), (n) => Buffer.alloc(n, ++counter % 256));
  const ctx = createRenderContext({ dc, sites: new Map(sites.map((s) => [s.metadata.name!, s])), plan, secrets });
  const units = plan.units.filter((u) => u.targetSite === SITE);
  /** The DC's member namespace on the site (one per DC and site). */
  const namespace = memberNamespace(dc, SITE);

  beforeAll(async () => {
    const text = inlineKubeconfig(fleet.options, SITE);
    const clusters = new MemberClusters({
      secretNamespaces: ['discovery-system'],
      getSecret: () => ({
        metadata: { resourceVersion: '1' },
        data: { kubeconfig: Buffer.from(text).toString('base64') },
      }),
    });
    clients = await clusters.clientsFor(SITE, { namespace: 'discovery-system', name: 'kubeconfig-edge-1' });
  });
  afterAll(async () => {
    await clients.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  test('namespace, then every unit of the site applies and reads back without drift', async () => {
    const ns = renderNamespace(ctx, SITE);
    await new NamespaceEnsurer().ensure(clients, ns);
    const live = await clients.core.readNamespace({ name: namespace });
    expect(live.metadata?.labels?.[LABEL_DC]).toBe(dc.metadata.name);
    expect(units.length).toBeGreaterThan(10);
    const drift: string[] = [];
    for (const unit of units) {
      const objects = renderUnit(unit, ctx);
      await applyUnitObjects(clients, objects);
      for (const obj of objects) {
        const reason = driftOf(obj, await readLive(clients, obj));
        if (reason) drift.push(`${unit.id} ${obj.kind}/${obj.metadata.name}: ${reason}`);
      }
    }
    expect(drift).toEqual([]);
    // applying again is a no-op for drift too
    const first = renderUnit(units[0]!, ctx);
    await applyUnitObjects(clients, first);
    for (const obj of first) expect(driftOf(obj, await readLive(clients, obj))).toBeUndefined();
  }, 180_000);

  test('prune deletes stale objects of a unit; teardown deletes the rest and the namespace', async () => {
    const unit = units.find((u) => u.kind === 'job')!;
    const objects = renderUnit(unit, ctx);
    const job = objects.find((o) => o.kind === 'Job')!;
    const oldJob: K8sObject = { ...job, metadata: { ...job.metadata, name: `${job.metadata.name}-old` } };
    await applyUnitObjects(clients, [oldJob]);
    expect(await readLive(clients, oldJob)).toBeDefined();
    const result = await applyUnitObjects(clients, objects, [(await readLive(clients, oldJob))!]);
    expect(result.pruned).toBe(1);
    const gone = await readLive(clients, oldJob);
    expect(gone === undefined || gone.metadata?.deletionTimestamp !== undefined).toBe(true);

    const lives = (await Promise.all(objects.map((o) => readLive(clients, o)))).filter((o) => o !== undefined);
    expect(await deleteUnitObjects(clients, lives)).toBe(objects.length);
    for (const obj of objects) {
      const left = await readLive(clients, obj);
      expect(left === undefined || left.metadata?.deletionTimestamp !== undefined).toBe(true);
    }
    const owner = ownerLabels(dc);
    expect(await deleteOwnedNamespace(clients, namespace, owner)).toBe(false);
    const deadline = Date.now() + 60_000;
    let deleted = false;
    while (!deleted && Date.now() < deadline) {
      deleted = await deleteOwnedNamespace(clients, namespace, owner);
      if (!deleted) await new Promise((r) => setTimeout(r, 500));
    }
    expect(deleted).toBe(true);
  }, 120_000);
});
