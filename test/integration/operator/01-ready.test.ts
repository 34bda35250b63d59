// Scenario 1: the distributed sample across core + three edges reaches Ready under the real operator; kubectl wait and
// kubectl get dc agree; the recorded startedAt/readyAt show no unit started before all its dependencies were Ready;
// every planned unit has objects in the member cluster it targets.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { DistributedCloud } from '../../../operator/src/api/types.js';
import { applySite } from '../../../operator/src/render/endpoints.js';
import { labelValue, memberNamespace } from '../../../operator/src/render/labels.js';
import { testFleet } from '../../harness/fleet.js';
import {
  KUBECTL,
  UNIT_LABEL,
  createDistributedCloud,
  createTestNamespace,
  finishScenario,
  installCrdsAndSites,
  kubectl,
  listOwnedEverywhere,
  planOf,
  sampleDistributedCloud,
  startOperator,
  statusOf,
  waitForReady,
  type OperatorProcess,
  type TestNamespace,
  unitsOf,
} from '../../harness/operator.js';

const execFileP = promisify(execFile);
const fleet = testFleet();
const NAME = 'e2e-ready';
let ns: TestNamespace;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  await installCrdsAndSites(fleet);
  ns = await createTestNamespace(fleet, 'ready');
  op = await startOperator({ fleet, scenario: 'ready', namespaces: [ns.name] });
}, 180_000);

afterAll(async () => {
  await finishScenario(fleet, ns, op);
}, 240_000);

describe('operator e2e: the distributed sample reaches Ready', () => {
  let dc: DistributedCloud;

  test('Ready across core and three edges; kubectl wait succeeds', async () => {
    await createDistributedCloud(fleet, sampleDistributedCloud(NAME, ns.name));
    // kubectl wait runs alongside from the start: it must see the transition, not only a finished object.
    const wait = kubectl(
      fleet.management,
      'wait',
      '--for=condition=Ready',
      `dc/${NAME}`,
      '-n',
      ns.name,
      '--timeout=560s',
    );
    dc = await waitForReady(fleet, ns.name, NAME, { timeoutMs: 560_000, operators: [op!] });
    await expect(wait).resolves.toContain('condition met');
    const s = statusOf(dc);
    expect(s.observedGeneration).toBe(dc.metadata.generation);
    expect(s.conditions?.find((c) => c.type === 'Degraded')?.status).toBe('False');
    expect(s.conditions?.find((c) => c.type === 'Progressing')?.status).toBe('False');
    expect(dc.metadata.finalizers).toContain('discovery.beyondtheclouds.io/teardown');
  }, 600_000);

  test('kubectl get dc shows topology, ready sites and full progress', async () => {
    const plan = await planOf(fleet, dc);
    const [header, row] = (await kubectl(fleet.management, 'get', 'dc', NAME, '-n', ns.name))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(header!.slice(0, 5)).toEqual(['NAME', 'TOPOLOGY', 'SITES', 'READY', 'PROGRESS']);
    expect(row!.slice(0, 5)).toEqual([NAME, 'distributed', '4/4', 'True', `${plan.units.length}/${plan.units.length}`]);
  });

  test('every planned unit is Ready in its unit ledger, with startedAt <= readyAt; status lists none', async () => {
    const plan = await planOf(fleet, dc);
    expect(plan.sites).toEqual(['core', 'edge-1', 'edge-2', 'edge-3']);
    expect(statusOf(dc).units ?? []).toEqual([]);
    expect(statusOf(dc).unitCounts).toMatchObject({ total: plan.units.length, ready: plan.units.length });
    const units = await unitsOf(fleet, dc);
    expect([...units.keys()].sort()).toEqual(plan.units.map((u) => u.id).sort());
    const problems: string[] = [];
    for (const u of plan.units) {
      const st = units.get(u.id)!;
      if (st.phase !== 'Ready') problems.push(`${u.id} phase ${st.phase}`);
      if (!st.startedAt || !st.readyAt) problems.push(`${u.id} startedAt=${st.startedAt} readyAt=${st.readyAt}`);
      else if (Date.parse(st.readyAt) < Date.parse(st.startedAt))
        problems.push(`${u.id} ready ${st.readyAt} before started ${st.startedAt}`);
    }
    expect(problems).toEqual([]);
  });

  test('no unit started before every one of its dependencies was Ready', async () => {
    const plan = await planOf(fleet, dc);
    const units = await unitsOf(fleet, dc);
    const violations: string[] = [];
    let edges = 0;
    for (const u of plan.units) {
      const started = Date.parse(units.get(u.id)?.startedAt ?? '');
      for (const d of u.dependsOn) {
        edges++;
        const depReady = Date.parse(units.get(d)?.readyAt ?? '');
        if (!(started >= depReady))
          violations.push(`${u.id} started ${units.get(u.id)?.startedAt} before ${d} Ready ${units.get(d)?.readyAt}`);
      }
    }
    expect(edges).toBeGreaterThan(100);
    expect(violations).toEqual([]);
  });

  test('every unit has objects in the cluster of the site it targets', async () => {
    const plan = await planOf(fleet, dc);
    const owned = await listOwnedEverywhere(fleet, { namespace: ns.name, name: NAME });
    const where = new Map<string, Set<string>>();
    for (const o of owned) {
      const unit = o.object.metadata.labels?.[UNIT_LABEL];
      if (!unit || o.kind === 'Pod') continue;
      (where.get(unit) ?? where.set(unit, new Set()).get(unit)!).add(o.site);
    }
    const missing = plan.units
      .filter((u) => !where.get(labelValue(u.id.replace('@', '.')))?.has(applySite(u)))
      .map(
        (u) => `${u.id} -> ${applySite(u)} (found at ${[...(where.get(labelValue(u.id.replace('@', '.'))) ?? [])]})`,
      );
    expect(missing).toEqual([]);
    // A member namespace of the DC in every cluster, the core's included (one per DC and site), owned (labelled) by it.
    const namespaces = owned.filter((o) => o.kind === 'Namespace').map((o) => [o.cluster, o.name]);
    expect(namespaces.sort()).toEqual(
      ['core', 'edge-1', 'edge-2', 'edge-3']
        .map((site) => [
          site === 'core' ? 'mgmt' : site,
          memberNamespace({ metadata: { namespace: ns.name, name: NAME } }, site),
        ])
        .sort(),
    );
  });
  test("the operator ran under the chart's ServiceAccount and was never refused", async () => {
    // Its kubeconfig is a token of the ServiceAccount the chart renders, bound to the chart's RBAC only.
    expect(op!.kubeconfigPath).not.toBe(fleet.management.kubeconfigPath);
    const { stdout } = await execFileP(KUBECTL, [
      '--kubeconfig',
      op!.kubeconfigPath!,
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    expect(stdout).toBe('system:serviceaccount:discovery-system:discovery-e2e-ready');
    // Every failed reconcile is logged (runtime/reconcile-log.ts): none was a permission the chart does not grant.
    const refused = op!
      .logEntries()
      .filter((e) => /forbidden|cannot (get|list|watch|create|patch|update|delete)/i.test(JSON.stringify(e)));
    expect(refused).toEqual([]);
  });
});
