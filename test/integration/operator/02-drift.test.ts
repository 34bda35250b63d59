// Scenario 2: drift in member clusters is repaired — a Deployment deleted in an edge cluster comes back (new uid,
// Available again) and an owned ConfigMap / Secret edited by hand gets its rendered data back (extra keys removed);
// a lost generated-secrets Secret is reported, never regenerated, and the cloud recovers once it is restored.
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { testFleet } from '../../harness/fleet.js';
import { generatedSecretsName } from '../../../operator/src/render/index.js';
import {
  conditionOf,
  createDistributedCloud,
  createTestNamespace,
  finishScenario,
  eventually,
  installCrdsAndSites,
  listOwnedObjects,
  mergePatch,
  ref,
  smallDistributedCloud,
  startOperator,
  waitForCondition,
  waitForReady,
  type OperatorProcess,
  type OwnedObject,
  type TestNamespace,
} from '../../harness/operator.js';

const fleet = testFleet();
const NAME = 'e2e-drift';
let ns: TestNamespace;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'drift');
  op = await startOperator({ fleet, scenario: 'drift', namespaces: [ns.name] });
  await createDistributedCloud(fleet, smallDistributedCloud(NAME, ns.name));
  await waitForReady(fleet, ns.name, NAME, { timeoutMs: 400_000, operators: [op] });
}, 480_000);

afterAll(async () => {
  await finishScenario(fleet, ns, op);
}, 240_000);

const dcRef = () => ({ namespace: ns.name, name: NAME });
const available = (d: { status?: { conditions?: { type: string; status: string }[] } }) =>
  d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;

describe('operator e2e: drift repair', () => {
  test('a Deployment deleted in edge-1 is recreated and becomes Available again', async () => {
    const edge = fleet.cluster('edge-1');
    const apps = edge.kubeConfig().makeApiClient(AppsV1Api);
    const deployments = (await listOwnedObjects(edge, dcRef())).filter((o) => o.kind === 'Deployment');
    expect(deployments.length).toBeGreaterThan(0);
    const victim = deployments[0]!;
    await apps.deleteNamespacedDeployment({ name: victim.name, namespace: victim.namespace! });
    let uid = victim.uid;
    await eventually(
      `${ref(victim)} recreated (new uid) and Available`,
      async () => {
        const d = await apps.readNamespacedDeployment({ name: victim.name, namespace: victim.namespace! });
        uid = d.metadata!.uid!;
        return uid !== victim.uid && available(d as never);
      },
      { timeoutMs: 120_000, describe: async () => `last uid ${uid} (deleted ${victim.uid})\n${op!.errorLines(15)}` },
    );
    expect(uid).not.toBe(victim.uid);
    await waitForReady(fleet, ns.name, NAME, { timeoutMs: 120_000, operators: [op!] });
  }, 300_000);

  // The renderers keep configuration files in Secrets (docs/rendering.md), so there may be no ConfigMap: then a Secret
  // holding a configuration file stands in for it.
  test('an owned ConfigMap (or config Secret) edited by hand in edge-2 gets its rendered data back', async () => {
    const owned = await listOwnedObjects(fleet.cluster('edge-2'), dcRef());
    const withData = (kind: string) => owned.filter((o) => o.kind === kind && Object.keys(o.object.data ?? {}).length);
    const victim =
      withData('ConfigMap')[0] ??
      withData('Secret').find((o) => Object.keys(o.object.data!).some((k) => /\.(conf|ini|yaml|json)$/.test(k))) ??
      withData('Secret')[0];
    expect(victim).toBeDefined();
    await expectRestoredAfterEdit('edge-2', victim!, true);
  }, 300_000);

  test('an owned Secret edited by hand in edge-3 gets its rendered data back', async () => {
    const secrets = (await listOwnedObjects(fleet.cluster('edge-3'), dcRef())).filter(
      (o) => o.kind === 'Secret' && Object.keys(o.object.data ?? {}).length > 0,
    );
    expect(secrets.length).toBeGreaterThan(0);
    await expectRestoredAfterEdit('edge-3', secrets[0]!, false);
    await waitForReady(fleet, ns.name, NAME, { timeoutMs: 120_000, operators: [op!] });
  }, 300_000);
  test('a lost generated-secrets Secret is reported and never regenerated; restored, the cloud recovers', async () => {
    const core = fleet.management.kubeConfig().makeApiClient(CoreV1Api);
    const name = generatedSecretsName({ metadata: { name: NAME, namespace: ns.name } });
    const saved = await core.readNamespacedSecret({ name, namespace: ns.name });
    await core.deleteNamespacedSecret({ name, namespace: ns.name });
    // The next reconcile (here: caused by an owned Service deleted in edge-2) finds the Secret gone.
    const edge = fleet.cluster('edge-2');
    const service = (await listOwnedObjects(edge, dcRef())).find((o) => o.kind === 'Service');
    expect(service).toBeDefined();
    await edge
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespacedService({ name: service!.name, namespace: service!.namespace! });
    const degraded = await waitForCondition(fleet, ns.name, NAME, 'Degraded', 'True', {
      message: /generated-secrets Secret .* is missing/,
      operators: [op!],
      timeoutMs: 120_000,
    });
    expect(conditionOf(degraded, 'Degraded')?.reason).toBe('GeneratedSecretsLost');
    expect(conditionOf(degraded, 'Ready')?.status).toBe('False');
    // Retried (every 15 s), and still not regenerated after a second attempt.
    await eventually(
      'a second failed attempt in the log',
      async () =>
        op!.logEntries().filter((e) => e.message === 'reconcile failed' && /generated-secrets/.test(String(e.error)))
          .length >= 2,
      { timeoutMs: 90_000 },
    );
    await expect(core.readNamespacedSecret({ name, namespace: ns.name })).rejects.toMatchObject({ code: 404 });
    const events = (await core.listNamespacedEvent({ namespace: ns.name })).items;
    expect(events.filter((e) => e.reason === 'GeneratedSecretsLost' && e.type === 'Warning')).toHaveLength(1);
    // Restored from the backup: the same credentials, the deleted Service back, Ready again.
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: {
        metadata: { name, labels: saved.metadata?.labels, ownerReferences: saved.metadata?.ownerReferences },
        type: saved.type,
        data: saved.data,
      },
    });
    await waitForReady(fleet, ns.name, NAME, { timeoutMs: 180_000, operators: [op!] });
    expect((await core.readNamespacedSecret({ name, namespace: ns.name })).data).toEqual(saved.data);
    await edge
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedService({ name: service!.name, namespace: service!.namespace! });
  }, 420_000);
});

/** Changes one data value (and adds a key when addKey) with another field manager; waits for the original data. */
async function expectRestoredAfterEdit(clusterName: string, victim: OwnedObject, addKey: boolean): Promise<void> {
  const core = fleet.cluster(clusterName).kubeConfig().makeApiClient(CoreV1Api);
  const original = victim.object.data!;
  const key = Object.keys(original)[0]!;
  const isSecret = victim.kind === 'Secret';
  const value = (text: string) => (isSecret ? Buffer.from(text).toString('base64') : text);
  const data: Record<string, string> = { [key]: value('edited by the e2e test') };
  if (addKey) data['e2e-extra-key'] = value('x');
  const params = { name: victim.name, namespace: victim.namespace!, body: { data }, fieldManager: 'e2e-hand-edit' };
  const edited = isSecret
    ? await core.patchNamespacedSecret(params, mergePatch())
    : await core.patchNamespacedConfigMap(params, mergePatch());
  expect(edited.data?.[key]).toBe(data[key]);
  const read = async () =>
    isSecret
      ? (await core.readNamespacedSecret({ name: victim.name, namespace: victim.namespace! })).data
      : (await core.readNamespacedConfigMap({ name: victim.name, namespace: victim.namespace! })).data;
  let last: Record<string, string> | undefined;
  await eventually(
    `${ref(victim)} data restored`,
    async () => {
      last = await read();
      return isDeepStrictEqual(last, original);
    },
    {
      timeoutMs: 120_000,
      describe: async () =>
        `keys now: ${Object.keys(last ?? {}).join(',')}; ${key} restored: ${last?.[key] === original[key]}\n${op!.errorLines(15)}`,
    },
  );
  expect(last).toEqual(original);
}
