// Scenario 7: two operator replicas → exactly one holds the Lease and only it reconciles (the standby's reconcile
// counters stay at zero while the leader's grow); when the leader is killed the standby takes the Lease and reconciles.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { testFleet } from '../../harness/fleet.js';
import {
  createDistributedCloud,
  createTestNamespace,
  eventually,
  finishScenario,
  installCrdsAndSites,
  leaseHolder,
  listOwnedObjects,
  metricSum,
  OperatorProcess,
  patchDistributedCloud,
  smallDistributedCloud,
  waitForReady,
  type TestNamespace,
} from '../../harness/operator.js';

const fleet = testFleet();
const NAME = 'e2e-leader';
const LEASE = `discovery-e2e-leader-${process.pid}`;
let ns: TestNamespace;
let a: OperatorProcess | undefined;
let b: OperatorProcess | undefined;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'leader');
  const common = { fleet, scenario: 'leader', namespaces: [ns.name], leaderElectionId: LEASE };
  a = new OperatorProcess({ ...common, identity: `e2e-leader-a-${process.pid}` });
  b = new OperatorProcess({ ...common, identity: `e2e-leader-b-${process.pid}` });
  await a.start();
  await b.start();
  await Promise.all([a.waitReady(), b.waitReady()]);
}, 180_000);

afterAll(async () => {
  await finishScenario(fleet, ns, a, b);
}, 240_000);

const reconciles = async (op: OperatorProcess) => metricSum(await op.metrics(), 'discovery_reconciles_total');
const leaderGauge = async (op: OperatorProcess) => metricSum(await op.metrics(), 'discovery_leader');

describe('operator e2e: two replicas with leader election', () => {
  let leader: OperatorProcess;
  let standby: OperatorProcess;

  test('exactly one replica holds the Lease, and only it reconciles', async () => {
    let holder: string | undefined;
    await eventually(
      'the Lease held by one of the two replicas',
      async () => {
        holder = await leaseHolder(fleet, LEASE);
        return holder === a!.identity || holder === b!.identity;
      },
      { timeoutMs: 60_000, describe: async () => `holder: ${holder}\n${a!.logTail(10)}\n${b!.logTail(10)}` },
    );
    [leader, standby] = holder === a!.identity ? [a!, b!] : [b!, a!];

    await createDistributedCloud(fleet, smallDistributedCloud(NAME, ns.name));
    await waitForReady(fleet, ns.name, NAME, { timeoutMs: 400_000, operators: [a!, b!] });

    expect(await leaseHolder(fleet, LEASE)).toBe(leader.identity);
    expect(await leaderGauge(leader)).toBe(1);
    expect(await leaderGauge(standby)).toBe(0);
    expect(await reconciles(leader)).toBeGreaterThan(0);
    expect(await reconciles(standby)).toBe(0);
    // Their logs agree: only the leader applied units.
    const applied = (op: OperatorProcess) => op.logEntries().filter((e) => e.message === 'unit applied').length;
    expect(applied(leader)).toBeGreaterThan(0);
    expect(applied(standby)).toBe(0);
    // Both replicas are ready (warm caches), leader or not.
    const readyz = await fetch(`http://127.0.0.1:${standby.port}/readyz`);
    expect(readyz.status).toBe(200);
  }, 600_000);

  test('killing the leader: the standby takes the Lease over and reconciles a spec change', async () => {
    const standbyBefore = await reconciles(standby);
    expect(standbyBefore).toBe(0);
    await leader.kill('SIGKILL');
    let holder: string | undefined;
    await eventually(
      `the Lease taken over by ${standby.identity}`,
      async () => {
        holder = await leaseHolder(fleet, LEASE);
        return holder === standby.identity;
      },
      { timeoutMs: 120_000, describe: async () => `holder: ${holder}\n${standby.logTail(15)}` },
    );
    await eventually('the new leader reports discovery_leader 1', async () => (await leaderGauge(standby)) === 1, {
      timeoutMs: 30_000,
    });

    // A spec change only the new leader can carry out.
    const patched = await patchDistributedCloud(fleet, ns.name, NAME, {
      spec: { services: { keystone: { replicas: 2 } } },
    });
    const dc = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 300_000, operators: [standby] });
    expect(dc.metadata.generation).toBe(patched.metadata.generation);
    expect(await reconciles(standby)).toBeGreaterThan(0);
    const deployments = (await listOwnedObjects(fleet.cluster('edge-1'), { namespace: ns.name, name: NAME })).filter(
      (o) =>
        o.kind === 'Deployment' && o.object.metadata.labels?.['discovery.beyondtheclouds.io/component'] === 'keystone',
    );
    expect(deployments.map((d) => (d.object.spec as { replicas?: number }).replicas)).toEqual([2]);
  }, 600_000);
});
