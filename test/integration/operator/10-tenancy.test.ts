// Scenario 10: tenancy on the real operator (issues 12 and 13). A namespace no EdgeSite admits gets nothing (Ready=False
// SiteNotAllowed, an Event, no object anywhere) until a label grants it; two DistributedClouds of one namespace sharing
// sites coexist (own member namespaces, own credentials, no re-apply of each other's objects) and deleting one leaves
// the other intact; two EdgeSites on one member cluster each get their own namespace; a member namespace of the same
// name made by someone else is never adopted and survives the DC's deletion. Outcomes only: every wait has a deadline.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi } from '@kubernetes/client-node';
import type { DistributedCloud, EdgeSite } from '../../../operator/src/api/types.js';
import { generatedSecretsName } from '../../../operator/src/render/index.js';
import { memberNamespace } from '../../../operator/src/render/labels.js';
import { testFleet } from '../../harness/fleet.js';
import {
  conditionOf,
  createDistributedCloud,
  createTestNamespace,
  dcApi,
  eventually,
  finishScenario,
  GROUP,
  installCrdsAndSites,
  listOwnedEverywhere,
  listOwnedObjects,
  mergePatch,
  ref,
  smallDistributedCloud,
  startOperator,
  TENANT_LABEL,
  VERSION,
  waitForCondition,
  waitForReady,
  waitGone,
  type OperatorProcess,
  type OwnedObject,
  type TestNamespace,
} from '../../harness/operator.js';

const fleet = testFleet();
/** A second EdgeSite on edge-1's cluster (not labelled fleet=demo: the samples' selectors never pick it). */
const SHARED_SITE = `e2e-edge-1b-${process.pid}`;
let ns: TestNamespace;
let outsider: TestNamespace;
let op: OperatorProcess | undefined;

const edgeSites = () => fleet.management.kubeConfig().makeApiClient(CustomObjectsApi);

/** The small (Keystone-only) distributed sample over exactly `sites`. */
function dcOver(name: string, namespace: string, sites: string[]): DistributedCloud {
  const dc = smallDistributedCloud(name, namespace);
  delete dc.spec.siteSelector;
  dc.spec.sites = sites;
  return dc;
}

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'tenancy');
  outsider = await createTestNamespace(fleet, 'tenancy', { tenant: false, suffix: '-x' });
  const site: EdgeSite = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'EdgeSite',
    metadata: { name: SHARED_SITE, labels: { 'discovery.beyondtheclouds.io/e2e': 'tenancy' } },
    spec: {
      kubeconfigSecretRef: { namespace: 'discovery-system', name: 'kubeconfig-edge-1', key: 'kubeconfig' },
      region: 'lyon-b',
      zone: 'lyon-b',
      role: 'edge',
      network: { rttMillis: 20, bandwidthMbps: 1000 },
      tenancy: { namespaces: [ns.name] },
    },
  };
  await edgeSites().createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'edgesites', body: site });
  op = await startOperator({ fleet, scenario: 'tenancy', namespaces: [ns.name, outsider.name] });
}, 240_000);

afterAll(async () => {
  await outsider?.cleanup(op).catch(() => undefined);
  await finishScenario(fleet, ns, op);
  await edgeSites()
    .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'edgesites', name: SHARED_SITE })
    .catch(() => undefined);
}, 600_000);

describe('operator e2e: tenancy', () => {
  test('a namespace no EdgeSite admits gets no object anywhere, a SiteNotAllowed condition and Event; a grant lets it in', async () => {
    const name = 'e2e-intruder';
    await createDistributedCloud(fleet, smallDistributedCloud(name, outsider.name));
    const refused = await waitForCondition(fleet, outsider.name, name, 'Ready', 'False', {
      message: /do not admit DistributedClouds of namespace/,
      operators: [op!],
    });
    expect(conditionOf(refused, 'Ready')?.reason).toBe('SiteNotAllowed');
    for (const site of ['core', 'edge-1', 'edge-2', 'edge-3'])
      expect(conditionOf(refused, 'Ready')?.message).toContain(site);
    const events = (
      await fleet.management.kubeConfig().makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: outsider.name })
    ).items;
    expect(events.some((e) => e.reason === 'SiteNotAllowed' && e.involvedObject.name === name)).toBe(true);
    // refused at planning: nothing was applied, in any cluster
    expect((await listOwnedEverywhere(fleet, { namespace: outsider.name, name })).map(ref)).toEqual([]);

    // the admin grants the namespace by label (the samples' spec.tenancy.namespaceSelector): the operator sees the
    // label change (it watches Namespaces under the chart's RBAC) and rolls the cloud out
    await fleet.management
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .patchNamespace({ name: outsider.name, body: { metadata: { labels: TENANT_LABEL } } }, mergePatch());
    await waitForReady(fleet, outsider.name, name, { timeoutMs: 400_000, operators: [op!] });
  }, 600_000);

  test('two DistributedClouds of one namespace sharing sites coexist; deleting one leaves the other intact', async () => {
    const sites = ['core', 'edge-1'];
    await createDistributedCloud(fleet, dcOver('e2e-one', ns.name, sites));
    await createDistributedCloud(fleet, dcOver('e2e-two', ns.name, sites));
    await waitForReady(fleet, ns.name, 'e2e-one', { timeoutMs: 400_000, operators: [op!] });
    await waitForReady(fleet, ns.name, 'e2e-two', { timeoutMs: 400_000, operators: [op!] });
    const one = { namespace: ns.name, name: 'e2e-one' };
    const two = { namespace: ns.name, name: 'e2e-two' };
    // member-cluster objects (not pods, namespaces, nor the generated-secrets Secret in the DC's own namespace)
    const topLevel = (objs: OwnedObject[]) =>
      objs.filter((o) => o.kind !== 'Pod' && o.kind !== 'Namespace' && o.namespace !== ns.name);
    const ownedOne = topLevel(await listOwnedEverywhere(fleet, one));
    const ownedTwo = topLevel(await listOwnedEverywhere(fleet, two));
    expect(ownedOne.length).toBeGreaterThan(10);
    // same object names (Jobs aside: their names carry an input hash), each in its DC's own member namespace
    const names = (owned: OwnedObject[]) =>
      new Set(owned.filter((o) => o.kind !== 'Job').map((o) => `${o.kind}/${o.name}`));
    expect(names(ownedOne)).toEqual(names(ownedTwo));
    for (const [dc, owned] of [
      [one, ownedOne],
      [two, ownedTwo],
    ] as const)
      for (const o of owned) expect(o.namespace).toBe(memberNamespace({ metadata: dc }, o.site));

    // each DC has its own generated credentials
    const core = fleet.management.kubeConfig().makeApiClient(CoreV1Api);
    const secretOf = async (dc: typeof one) =>
      (await core.readNamespacedSecret({ name: generatedSecretsName({ metadata: dc }), namespace: ns.name })).data!;
    const [secretsOne, secretsTwo] = [await secretOf(one), await secretOf(two)];
    expect(secretsOne['database-root.password']).not.toEqual(secretsTwo['database-root.password']);

    // no re-apply of each other's objects: both DCs reconcile their sites again (a Service of each deleted and
    // recreated), and the only writes in the log since are those two repairs
    const mark = op!.logEntries().length;
    const objects = KubernetesObjectApi.makeApiClient(fleet.cluster('edge-1').kubeConfig());
    const victims = [ownedOne, ownedTwo].map((owned) =>
      owned.find((o) => o.kind === 'Service' && o.site === 'edge-1')!,
    );
    for (const v of victims) {
      const id = { apiVersion: 'v1', kind: 'Service', metadata: { name: v.name, namespace: v.namespace! } };
      await objects.delete(id);
      let uid: string | undefined;
      await eventually(
        `${ref(v)} recreated`,
        async () => {
          uid = (await objects.read(id).catch(() => undefined))?.metadata?.uid;
          return uid !== undefined && uid !== v.uid;
        },
        { timeoutMs: 120_000, describe: async () => op!.errorLines(15) },
      );
    }
    const writes = op!
      .logEntries()
      .slice(mark)
      .filter(
        (e) => (e.message === 'unit applied' || e.message === 'drift repaired') && /e2e-(one|two)$/.test(String(e.dc)),
      )
      .map((e) => `${String(e.dc).split('/')[1]} ${e.message} ${JSON.stringify(e.objects)}`);
    expect(writes.sort()).toEqual(
      victims.map((v, i) => `e2e-${i === 0 ? 'one' : 'two'} drift repaired ${JSON.stringify([`Service/${v.name}`])}`),
    );
    expect(await secretOf(one)).toEqual(secretsOne);
    expect(await secretOf(two)).toEqual(secretsTwo);

    // deleting one leaves the other's objects (same uids) and credentials
    await dcApi(fleet).deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns.name,
      plural: 'distributedclouds',
      name: 'e2e-one',
    });
    await waitGone(fleet, ns.name, 'e2e-one', 300_000);
    const afterTwo = topLevel(await listOwnedEverywhere(fleet, two)).filter(
      (o) => !o.object.metadata.deletionTimestamp,
    );
    const uidsBefore = new Map(ownedTwo.filter((o) => o.uid !== victims[1]!.uid).map((o) => [ref(o), o.uid]));
    for (const [r, uid] of uidsBefore) expect([r, afterTwo.find((o) => ref(o) === r)?.uid]).toEqual([r, uid]);
    expect(await secretOf(two)).toEqual(secretsTwo);
    await waitForReady(fleet, ns.name, 'e2e-two', { timeoutMs: 120_000, operators: [op!] });
    let left: string[] = [];
    await eventually(
      'nothing of e2e-one left',
      async () => {
        left = (await listOwnedEverywhere(fleet, one)).map(ref);
        return left.length === 0;
      },
      { timeoutMs: 180_000, describe: async () => left.slice(0, 20).join(', ') },
    );
  }, 900_000);

  test('two EdgeSites on one member cluster: one namespace each, both Ready', async () => {
    const name = 'e2e-shared';
    await createDistributedCloud(fleet, dcOver(name, ns.name, ['edge-1', SHARED_SITE]));
    await waitForReady(fleet, ns.name, name, { timeoutMs: 400_000, operators: [op!] });
    const owned = (await listOwnedObjects(fleet.cluster('edge-1'), { namespace: ns.name, name })).filter(
      (o) => o.kind !== 'Pod' && o.kind !== 'Namespace',
    );
    const nsOf = (site: string) => memberNamespace({ metadata: { namespace: ns.name, name } }, site);
    // one namespace per site on the one cluster; an object of a site's unit lives in that site's namespace (global
    // units run at the core site, the first of the two by name here)
    expect(new Set(owned.map((o) => o.namespace))).toEqual(new Set([nsOf('edge-1'), nsOf(SHARED_SITE)]));
    for (const o of owned) {
      const site = o.object.metadata.labels?.['discovery.beyondtheclouds.io/site'] ?? '';
      expect([ref(o), o.namespace]).toEqual([ref(o), nsOf(site === 'global' ? SHARED_SITE : site)]);
    }
    // the same StatefulSet name, once per site, on the one cluster
    expect(owned.filter((o) => o.kind === 'StatefulSet' && o.name === 'database')).toHaveLength(2);
  }, 600_000);

  test('a member namespace of the same name made by someone else is never adopted, and survives the DC', async () => {
    const name = 'e2e-squat';
    const target = memberNamespace({ metadata: { namespace: ns.name, name } }, 'edge-1');
    const edge = fleet.cluster('edge-1').kubeConfig().makeApiClient(CoreV1Api);
    await edge.createNamespace({
      body: { metadata: { name: target, labels: { 'e2e.example.com/owner': 'someone' } } },
    });
    try {
      await edge.createNamespacedConfigMap({
        namespace: target,
        body: { metadata: { name: 'precious' }, data: { keep: 'me' } },
      });
      const before = await edge.readNamespace({ name: target });
      await createDistributedCloud(fleet, dcOver(name, ns.name, ['core', 'edge-1']));
      const refused = await waitForCondition(fleet, ns.name, name, 'Degraded', 'True', {
        message: new RegExp(`OwnershipConflict: Namespace ${target} on site edge-1`),
        operators: [op!],
      });
      expect(conditionOf(refused, 'Degraded')?.reason).toBe('OwnershipConflict');
      expect(conditionOf(refused, 'Degraded')?.message).toContain('not created by Discovery');
      // nothing of the DC went into it, and it was not relabelled
      expect(
        (await listOwnedObjects(fleet.cluster('edge-1'), { namespace: ns.name, name })).filter(
          (o) => o.namespace === target || o.name === target,
        ),
      ).toEqual([]);

      await dcApi(fleet).deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns.name,
        plural: 'distributedclouds',
        name,
      });
      await waitGone(fleet, ns.name, name, 300_000);
      const after = await edge.readNamespace({ name: target });
      expect(after.metadata?.uid).toBe(before.metadata?.uid);
      expect(after.metadata?.deletionTimestamp).toBeUndefined();
      expect(after.metadata?.labels).toEqual(before.metadata?.labels);
      expect((await edge.readNamespacedConfigMap({ name: 'precious', namespace: target })).data).toEqual({
        keep: 'me',
      });
    } finally {
      await edge.deleteNamespace({ name: target }).catch(() => undefined);
    }
  }, 600_000);
});
