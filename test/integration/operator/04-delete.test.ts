// Scenario 4: deleting a DistributedCloud tears down everything it owns in every member cluster, and the object goes
// away (the operator removes its finalizer once the teardown is done).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { testFleet } from '../../harness/fleet.js';
import { siteForCluster } from '../../../hack/fleet/fleet.js';
import { memberNamespace } from '../../../operator/src/render/labels.js';
import {
  FINALIZER,
  createDistributedCloud,
  createTestNamespace,
  finishScenario,
  dcApi,
  eventually,
  GROUP,
  installCrdsAndSites,
  listOwnedEverywhere,
  ref,
  smallDistributedCloud,
  startOperator,
  VERSION,
  waitForReady,
  waitGone,
  type OperatorProcess,
  type TestNamespace,
} from '../../harness/operator.js';

const fleet = testFleet();
const NAME = 'e2e-delete';
let ns: TestNamespace;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'delete');
  op = await startOperator({ fleet, scenario: 'delete', namespaces: [ns.name] });
}, 180_000);

afterAll(async () => {
  await finishScenario(fleet, ns, op);
}, 240_000);

/** Pods (as "cluster/name") in the DC's member namespace of each cluster's site. */
async function podsIn(dc: { namespace: string; name: string }): Promise<string[]> {
  const lists = await Promise.all(
    fleet.all.map(async (c) => {
      const namespace = memberNamespace({ metadata: dc }, siteForCluster(c.name));
      return (await c.kubeConfig().makeApiClient(CoreV1Api).listNamespacedPod({ namespace })).items.map(
        (p) => `${c.name}/${p.metadata!.name}`,
      );
    }),
  );
  return lists.flat();
}

describe('operator e2e: deleting a DistributedCloud', () => {
  test('leaves no owned object in any member cluster, and the DC is gone', async () => {
    const dcRef = { namespace: ns.name, name: NAME };
    await createDistributedCloud(fleet, smallDistributedCloud(NAME, ns.name));
    const ready = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 400_000, operators: [op!] });
    expect(ready.metadata.finalizers).toContain(FINALIZER);
    const owned = await listOwnedEverywhere(fleet, dcRef);
    // Something to tear down in every cluster, of the kinds the catalog renders.
    expect(new Set(owned.map((o) => o.cluster))).toEqual(new Set(['mgmt', 'edge-1', 'edge-2', 'edge-3']));
    // (no ConfigMap: the renderers keep configuration in Secrets; pods carry only selector labels, checked below)
    expect([...new Set(owned.map((o) => o.kind))]).toEqual(
      expect.arrayContaining(['Deployment', 'StatefulSet', 'Job', 'Secret', 'Service', 'Namespace']),
    );
    expect((await podsIn(dcRef)).length).toBeGreaterThan(0);

    await dcApi(fleet).deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns.name,
      plural: 'distributedclouds',
      name: NAME,
    });
    await waitGone(fleet, ns.name, NAME, 300_000);

    // The finalizer went only after teardown: no top-level object of ours survives it (pods and namespaces are
    // removed by the garbage collector / namespace controller afterwards, so they get a grace period below).
    const topLevel = (await listOwnedEverywhere(fleet, dcRef)).filter(
      (o) => o.kind !== 'Pod' && o.kind !== 'Namespace' && !o.object.metadata.deletionTimestamp,
    );
    expect(topLevel.map(ref)).toEqual([]);

    let left: string[] = [];
    await eventually(
      'no owned object (pods and namespaces included) left in any member cluster',
      async () => {
        left = (await listOwnedEverywhere(fleet, dcRef)).map(ref);
        return left.length === 0;
      },
      { timeoutMs: 180_000, describe: async () => `still there (${left.length}): ${left.slice(0, 25).join(', ')}` },
    );
    let pods: string[] = [];
    await eventually(
      `no pod left in the member namespaces of ${ns.name}/${NAME}`,
      async () => {
        pods = await podsIn(dcRef);
        return pods.length === 0;
      },
      { timeoutMs: 180_000, describe: async () => `still there: ${pods.slice(0, 25).join(', ')}` },
    );
  }, 900_000);
});
