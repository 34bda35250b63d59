// The operator in-cluster, for real: `helm install` of charts/discovery-operator on the management cluster's real
// node runs the locally built operator image under the chart's ServiceAccount and RBAC (no admin kubeconfig), one
// replica holds the leader Lease, the EdgeSites become Ready through the member clusters' WAN addresses, a
// DistributedCloud rolls out (its units run on the kwok nodes of the mixed fleet) and is deleted cleanly, and the
// operator never hit a permission it lacks.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { FLEET_NODE_LABEL } from '../../hack/fleet/addons.js';
import { fleetImageRef } from '../../hack/fleet/images.js';
import { helmImage } from '../../hack/images/manifest.js';
import {
  GROUP,
  REPO_ROOT,
  VERSION,
  createDistributedCloud,
  isReady,
  sampleEdgeSites,
  smallDistributedCloud,
  waitForReady,
  waitGone,
} from '../harness/operator.js';
import { eventually, kubectlIn, nodeOf, realTestFleet } from '../harness/real.js';

const run = promisify(execFile);
const fleet = realTestFleet();
const mgmt = fleet.management;
const release = 'discovery';
const releaseNs = 'discovery-system';
const dcNs = `real-op-${process.pid}`;
const HELM = path.join(REPO_ROOT, '.tools', 'bin', 'helm');
const selector = `app.kubernetes.io/instance=${release}`;

async function helm(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(HELM, ['--kubeconfig', mgmt.kubeconfigPath, ...args], { timeout: 300_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

async function operatorLogs(): Promise<string> {
  return kubectlIn(mgmt, ['-n', releaseNs, 'logs', '-l', selector, '--tail=-1', '--prefix']).catch(
    (e: Error) => e.message,
  );
}

beforeAll(async () => {
  const { repository, tag } = helmImage('discovery-operator');
  await helm(
    'upgrade',
    '--install',
    release,
    path.join(REPO_ROOT, 'charts', 'discovery-operator'),
    '--namespace',
    releaseNs,
    '--create-namespace',
    '--set',
    `image.repository=${repository}`,
    '--set',
    `image.tag=${tag}`,
    '--set',
    'image.pullPolicy=Never',
    '--set-string',
    `nodeSelector.${FLEET_NODE_LABEL.replace(/\./g, '\\.')}=real`,
    '--set',
    'operator.probeInterval=2s',
    '--set',
    'operator.logLevel=debug',
    '--wait',
    '--timeout',
    '4m',
  );
  await kubectlIn(mgmt, ['apply', '--server-side', '-f', path.join(REPO_ROOT, 'crds', 'samples', 'sites.yaml')]);
  await kubectlIn(mgmt, ['create', 'namespace', dcNs]);
  // the sample EdgeSites admit namespaces with this label (spec.tenancy.namespaceSelector)
  await kubectlIn(mgmt, ['label', 'namespace', dcNs, 'discovery.beyondtheclouds.io/fleet=demo']);
}, 330_000);

afterAll(async () => {
  await kubectlIn(mgmt, ['delete', 'namespace', dcNs, '--wait=false']).catch(() => undefined);
  await helm('uninstall', release, '--namespace', releaseNs, '--wait').catch(() => undefined);
}, 330_000);

describe('the operator installed by helm on the real management node', () => {
  test('its pods run the local image on the real node under the chart ServiceAccount, one holds the Lease', async () => {
    const core = mgmt.kubeConfig().makeApiClient(CoreV1Api);
    // (pods of a previous release being replaced are on their way out: not counted)
    const pods = (await core.listNamespacedPod({ namespace: releaseNs, labelSelector: selector })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.spec?.nodeName).toBe(nodeOf(fleet, mgmt.name).nodeName);
      expect(p.spec?.serviceAccountName).toBe(`${release}-discovery-operator`);
      expect(p.spec?.containers[0]?.image).toBe(fleetImageRef('discovery-operator'));
      expect(p.status?.containerStatuses?.[0]?.ready).toBe(true);
      // A real container: the runtime reports an image digest and a container id from containerd.
      expect(p.status?.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\//);
      expect(p.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeTruthy();
    }
    const holder = await eventually('the leader Lease', async () => {
      const lease = await mgmt
        .kubeConfig()
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ name: 'discovery-operator', namespace: releaseNs });
      return lease.spec?.holderIdentity || undefined;
    });
    expect(pods.map((p) => p.metadata?.name)).toContain(holder);
  });

  test('EdgeSites become Ready, reached from the operator pod over the WAN', async () => {
    const custom = mgmt.kubeConfig().makeApiClient(CustomObjectsApi);
    const names = sampleEdgeSites().map((s) => s.metadata!.name!);
    await eventually(
      'every sample EdgeSite Ready',
      async () => {
        const list = (await custom.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'edgesites',
        })) as {
          items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
        };
        const ready = list.items.filter((s) =>
          s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return names.every((n) => ready.some((s) => s.metadata.name === n)) ? true : undefined;
      },
      120_000,
    );
  }, 150_000);

  test('a DistributedCloud rolls out to Ready and its deletion completes', async () => {
    const dc = smallDistributedCloud('real-op', dcNs);
    await createDistributedCloud(fleet, dc);
    const ready = await waitForReady(fleet, dcNs, 'real-op', { timeoutMs: 300_000 });
    expect(isReady(ready)).toBe(true);
    await kubectlIn(mgmt, ['-n', dcNs, 'delete', 'distributedcloud', 'real-op', '--wait=false']);
    await waitGone(fleet, dcNs, 'real-op', 180_000);
  }, 520_000);

  test('the operator never lacked a permission', async () => {
    const logs = await operatorLogs();
    expect(logs).toContain('"level"');
    expect(logs).not.toMatch(/forbidden|Forbidden|cannot (get|list|watch|create|patch|update|delete)/);
  });
});
