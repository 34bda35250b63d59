// Scenario 9: coexistence with other controllers. A second field manager (standing in for a sidecar injector or a
// mutating webhook) adds a sidecar container, an env entry on our container and annotations/labels to one of the
// operator's Deployments: the operator does not re-apply it (no "drift repaired" for it while it reconciles the site
// again, its generation stays, the unit stays Ready) and the sidecar stays. A change to a field Discovery owns (our
// container's image, edited by another manager) is still repaired, without removing the sidecar, and the repairs
// stop there. Outcomes only: every wait has a deadline, nothing asserts how long something took.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  AppsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { ANNOTATION_UNIT } from '../../../operator/src/render/labels.js';
import { testFleet } from '../../harness/fleet.js';
import {
  createDistributedCloud,
  createTestNamespace,
  eventually,
  finishScenario,
  installCrdsAndSites,
  listOwnedObjects,
  ref,
  smallDistributedCloud,
  startOperator,
  statusOf,
  waitForReady,
  type LogEntry,
  type OperatorProcess,
  type OwnedObject,
  type TestNamespace,
  unitPhaseOf,
} from '../../harness/operator.js';

const fleet = testFleet();
const NAME = 'e2e-coexist';
const SITE = 'edge-1';
const INJECTOR = 'e2e-sidecar-injector';
const SIDECAR = 'e2e-sidecar';
let ns: TestNamespace;
let op: OperatorProcess | undefined;
let victim: OwnedObject;
let unit: string;
let ourContainer: string;
let ourImage: string;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'coexist');
  op = await startOperator({ fleet, scenario: 'coexist', namespaces: [ns.name] });
  await createDistributedCloud(fleet, smallDistributedCloud(NAME, ns.name));
  await waitForReady(fleet, ns.name, NAME, { timeoutMs: 400_000, operators: [op] });
  const deployments = (await listOwnedObjects(fleet.cluster(SITE), { namespace: ns.name, name: NAME }))
    .filter((o) => o.kind === 'Deployment')
    .sort((a, b) => a.name.localeCompare(b.name));
  expect(deployments.length).toBeGreaterThan(0);
  victim = deployments[0]!;
  unit = victim.object.metadata.annotations![ANNOTATION_UNIT]!;
  const container = (victim.object.spec as V1Deployment['spec'])!.template.spec!.containers[0]!;
  ourContainer = container.name;
  ourImage = container.image!;
}, 480_000);

afterAll(async () => {
  await finishScenario(fleet, ns, op);
}, 240_000);

const apps = () => fleet.cluster(SITE).kubeConfig().makeApiClient(AppsV1Api);
const read = () => apps().readNamespacedDeployment({ name: victim.name, namespace: victim.namespace! });

/** The operator's "drift repaired" log entries naming the victim, from the log line `since` on. */
function repairsOfVictim(since = 0): LogEntry[] {
  return op!
    .logEntries()
    .slice(since)
    .filter(
      (e) =>
        e.message === 'drift repaired' &&
        e.site === SITE &&
        Array.isArray(e.objects) &&
        (e.objects as string[]).includes(`Deployment/${victim.name}`),
    );
}

/**
 * Proof that the operator reconciled the site after a point: another owned object of the site is deleted and waited
 * for until it is back (new uid). Every reconcile reads the whole site, so it saw the victim as it is now.
 */
async function siteReconciledAgain(): Promise<void> {
  const others = (await listOwnedObjects(fleet.cluster(SITE), { namespace: ns.name, name: NAME })).filter(
    (o) => o.kind === 'Service' && o.name !== victim.name,
  );
  expect(others.length).toBeGreaterThan(0);
  const other = others[0]!;
  const objects = KubernetesObjectApi.makeApiClient(fleet.cluster(SITE).kubeConfig());
  const id = { apiVersion: 'v1', kind: 'Service', metadata: { name: other.name, namespace: other.namespace! } };
  await objects.delete(id);
  let uid: string | undefined;
  await eventually(
    `${ref(other)} recreated by the operator`,
    async () => {
      uid = (await objects.read(id).catch(() => undefined))?.metadata?.uid;
      return uid !== undefined && uid !== other.uid;
    },
    { timeoutMs: 120_000, describe: async () => `uid ${uid} (deleted ${other.uid})\n${op!.errorLines(15)}` },
  );
}

/** The unit's phase and message in status (a Ready unit is not listed: no message). */
function unitStatus(dc: Awaited<ReturnType<typeof waitForReady>>) {
  return { phase: unitPhaseOf(dc, unit), message: statusOf(dc).units?.find((u) => u.name === unit)?.message };
}

describe('operator e2e: coexistence with other field managers', () => {
  let generation: number;
  let logMark: number;

  test('a sidecar, an env entry and annotations added by another manager are not drift: no re-apply', async () => {
    logMark = op!.logEntries().length;
    const objects = KubernetesObjectApi.makeApiClient(fleet.cluster(SITE).kubeConfig());
    // server-side apply under another field manager, without force: it shares our container item, adds the rest
    await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: victim.name,
          namespace: victim.namespace,
          annotations: { 'e2e.example.com/injected': 'true' },
          labels: { 'e2e.example.com/mesh': 'on' },
        },
        spec: {
          template: {
            metadata: { annotations: { 'e2e.example.com/sidecar-status': 'injected' } },
            spec: {
              containers: [
                { name: ourContainer, env: [{ name: 'E2E_INJECTED', value: '1' }] },
                {
                  name: SIDECAR,
                  image: 'example.com/e2e-sidecar:1',
                  // our namespaces enforce Pod Security "restricted" (the pod level is ours)
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                },
              ],
            },
          },
        },
      } as never,
      undefined,
      undefined,
      INJECTOR,
      false,
      PatchStrategy.ServerSideApply,
    );
    const injected = await read();
    generation = injected.metadata!.generation!;
    expect(injected.spec!.template.spec!.containers.map((c) => c.name)).toEqual([ourContainer, SIDECAR]);

    await siteReconciledAgain();
    const dc = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 180_000, operators: [op!] });
    expect(unitStatus(dc)?.phase).toBe('Ready');
    expect(unitStatus(dc)?.message ?? '').not.toContain('repairing');

    expect(repairsOfVictim(logMark)).toEqual([]);
    const after = await read();
    expect(after.metadata!.generation).toBe(generation);
    expect(after.metadata!.annotations?.['e2e.example.com/injected']).toBe('true');
    expect(after.metadata!.labels?.['e2e.example.com/mesh']).toBe('on');
    expect(after.spec!.template.metadata?.annotations?.['e2e.example.com/sidecar-status']).toBe('injected');
    const containers = after.spec!.template.spec!.containers;
    expect(containers.map((c) => c.name)).toEqual([ourContainer, SIDECAR]);
    expect(containers[0]!.env?.some((e) => e.name === 'E2E_INJECTED' && e.value === '1')).toBe(true);
  }, 420_000);

  test('a field Discovery owns (our image) changed by another manager is repaired; the sidecar stays; repairs stop', async () => {
    const mark = op!.logEntries().length;
    // what `kubectl edit` of the image sends: an Update under another manager, which takes the field over
    await apps().patchNamespacedDeployment(
      {
        name: victim.name,
        namespace: victim.namespace!,
        fieldManager: 'e2e-hand-edit',
        body: [
          { op: 'test', path: '/spec/template/spec/containers/0/name', value: ourContainer },
          { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'example.com/hand-edited:1' },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    let last: V1Deployment | undefined;
    await eventually(
      `${ref(victim)} image repaired`,
      async () => {
        last = await read();
        return last.spec!.template.spec!.containers.find((c) => c.name === ourContainer)?.image === ourImage;
      },
      {
        timeoutMs: 120_000,
        describe: async () =>
          `containers ${JSON.stringify(last?.spec?.template.spec?.containers?.map((c) => [c.name, c.image]))}\n${op!.errorLines(15)}`,
      },
    );
    expect(repairsOfVictim(mark).length).toBeGreaterThan(0);
    expect(last!.spec!.template.spec!.containers.map((c) => c.name)).toContain(SIDECAR);

    const dc = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 180_000, operators: [op!] });
    expect(unitStatus(dc)?.phase).toBe('Ready');
    // no hot loop: the site is reconciled again and the victim is not re-applied
    const repaired = repairsOfVictim(mark).length;
    const settled = await read();
    await siteReconciledAgain();
    await waitForReady(fleet, ns.name, NAME, { timeoutMs: 180_000, operators: [op!] });
    expect(repairsOfVictim(mark).length).toBe(repaired);
    const after = await read();
    expect(after.metadata!.generation).toBe(settled.metadata!.generation);
    expect(after.spec!.template.spec!.containers.map((c) => c.name)).toContain(SIDECAR);
  }, 420_000);
});
