// The Pulumi program for real: the Automation API (inline program, file backend, passphrase, offline) drives the
// locally built pulumi CLI and pulumi-resource-kubernetes against the local fleet: `up` installs CRDs, the operator
// chart and one EdgeSite + kubeconfig Secret per cluster; a second `up` changes nothing; `destroy` removes it all
// but the CRDs. The chart's pods cannot run the operator here (kwok runs no containers), so the suite runs the
// operator as a local process (test/harness/operator.ts) to see the EdgeSites become Ready; that test is skipped,
// and reported as such, only while operator/src/main.ts does not exist.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
  type V1Secret,
} from '@kubernetes/client-node';
import type { Stack, UpResult } from '@pulumi/pulumi/automation/index.js';
import { discoveryStack } from '../../../pulumi/automation.js';
import type { RawDiscoveryConfig } from '../../../pulumi/config.js';
import { edgeSiteManifest, type SiteOutput } from '../../../pulumi/discovery.js';
import { programConfig, REPO_ROOT } from '../../../pulumi/program.js';
import { testFleet } from '../../harness/fleet.js';
import { DEFAULT_EXTRA_ARGS, deleteLease, startOperator, type OperatorProcess } from '../../harness/operator.js';

const fleet = testFleet();
const toolsBin = path.join(REPO_ROOT, '.tools', 'bin');
const GROUP = 'discovery.beyondtheclouds.io';
// Names of our own, so this suite never touches the fleet's Secrets (discovery-system) or other suites' EdgeSites.
const NAMESPACE = 'discovery-pulumi-it';
const RELEASE = 'pulumi-it';
const sitePrefix = 'pulumi-it-';
const config: RawDiscoveryConfig = {
  managementKubeconfig: fleet.management.kubeconfigPath,
  sites: fleet.all.map((c, i) => ({
    name: `${sitePrefix}${c.name === 'mgmt' ? 'core' : c.name}`,
    kubeconfig: c.kubeconfigPath,
    role: c.name === 'mgmt' ? 'core' : 'edge',
    region: c.name === 'mgmt' ? 'core' : c.name,
    rttMillis: i * 10,
  })),
  namespace: NAMESPACE,
  releaseName: RELEASE,
  fleetLabel: 'pulumi-it',
  installOperator: true,
};
const siteClusters = new Map(fleet.all.map((c) => [`${sitePrefix}${c.name === 'mgmt' ? 'core' : c.name}`, c]));

const mgmt = fleet.management.kubeConfig();
const core = mgmt.makeApiClient(CoreV1Api);
const apps = mgmt.makeApiClient(AppsV1Api);
const custom = mgmt.makeApiClient(CustomObjectsApi);
const apiext = mgmt.makeApiClient(ApiextensionsV1Api);

const status = (err: unknown) => (err as { code?: number }).code;
async function gone(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return false;
  } catch (err) {
    if (status(err) === 404) return true;
    throw err;
  }
}

const operatorMain = path.join(REPO_ROOT, 'operator', 'src', 'main.ts');
const operatorAvailable = existsSync(operatorMain);
let operator: OperatorProcess | undefined;

let stateDir: string;
let stack: Stack | undefined;
let destroyed = false;
const log: string[] = [];
const onOutput = (s: string) => {
  log.push(s);
  if (process.env.DISCOVERY_PULUMI_VERBOSE) process.stderr.write(s);
};
async function up(): Promise<UpResult> {
  try {
    return await stack!.up({ onOutput });
  } catch (err) {
    throw new Error(`pulumi up failed: ${(err as Error).message}\n--- output ---\n${log.join('').slice(-6000)}`, {
      cause: err,
    });
  }
}

beforeAll(async () => {
  for (const bin of ['pulumi', 'pulumi-resource-kubernetes']) {
    if (!existsSync(path.join(toolsBin, bin))) {
      throw new Error(
        `${toolsBin}/${bin} is missing: build it with \`bash hack/tools/build.sh pulumi pulumi-kubernetes\``,
      );
    }
  }
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'discovery-pulumi-it-'));
  stack = await discoveryStack({ stackName: 'it', stateDir, passphrase: 'integration-test', config, toolsBin });
}, 120_000);

afterAll(async () => {
  if (operator) {
    await operator.stop().catch(() => undefined);
    await deleteLease(fleet, operator.leaderElectionId);
  }
  // Leave the shared fleet clean even when a test failed half-way.
  if (stack && !destroyed) await stack.destroy({ onOutput }).catch(() => undefined);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}, 600_000);

describe('Pulumi program on the local fleet (Automation API, local CLI and provider, offline)', () => {
  const resolved = programConfig({ config });

  test('up: CRDs, operator release, one EdgeSite and kubeconfig Secret per cluster', async () => {
    const res = await up();
    expect(res.summary.result).toBe('succeeded');

    // CRDs are established.
    for (const plural of ['edgesites', 'distributedclouds']) {
      const crd = await apiext.readCustomResourceDefinition({ name: `${plural}.${GROUP}` });
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }

    // The chart's Deployment became Available (kwok runs the pods' lifecycle; no container actually runs).
    const deployments = await apps.listNamespacedDeployment({
      namespace: NAMESPACE,
      labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
    });
    expect(deployments.items).toHaveLength(1);
    const dep = deployments.items[0]!;
    expect(dep.status?.readyReplicas).toBe(dep.spec?.replicas);

    // One EdgeSite per cluster with exactly the spec the program declares, each pointing at a Secret whose
    // (flattened) kubeconfig really reaches that member cluster.
    for (const site of resolved.sites) {
      const es = (await custom.getClusterCustomObject({
        group: GROUP,
        version: 'v1alpha1',
        plural: 'edgesites',
        name: site.name,
      })) as { spec: Record<string, unknown>; metadata: { labels: Record<string, string> } };
      const want = edgeSiteManifest(site, resolved);
      expect(es.spec).toMatchObject(want.spec);
      expect(es.metadata.labels).toMatchObject(want.metadata.labels);

      const ref = want.spec.kubeconfigSecretRef;
      const secret: V1Secret = await core.readNamespacedSecret({ namespace: ref.namespace, name: ref.name });
      const kubeconfig = Buffer.from(secret.data?.[ref.key] ?? '', 'base64').toString();
      expect(kubeconfig).not.toMatch(/client-key:|certificate-authority:/); // inlined, not paths on this machine
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfig);
      const cluster = siteClusters.get(site.name)!;
      expect(kc.getCurrentCluster()?.server).toBe(cluster.server);
      const version = await kc.makeApiClient(VersionApi).getCode();
      expect(version.gitVersion).toMatch(/^v1\./);
    }

    const sites = res.outputs.sites?.value as SiteOutput[];
    expect(sites.map((s) => [s.name, s.role, s.kubeconfigSecret])).toEqual(
      resolved.sites.map((s) => [s.name, s.role, `${NAMESPACE}/kubeconfig-${s.name}`]),
    );
    expect(res.outputs.operatorRelease?.value).toBe(`${RELEASE} (deployed)`);
    expect(res.outputs.managementServer?.value).toBe(fleet.management.server);
  }, 900_000);

  (operatorAvailable ? test : test.skip)(
    'EdgeSites become Ready once the operator (run locally) probes them; refresh brings the status into the state',
    async () => {
      // The e2e harness runs `node --import tsx operator/src/main.ts` (Node 24, one process, log under .fleet/test-logs).
      // It stands in for the release's operator, whose namespace holds the kubeconfig Secrets: allow that namespace.
      operator = await startOperator({
        fleet,
        scenario: 'pulumi',
        extraArgs: [...DEFAULT_EXTRA_ARGS, '--kubeconfig-secret-namespaces', NAMESPACE],
      });
      const deadline = Date.now() + 120_000;
      const pending = new Set(resolved.sites.map((s) => s.name));
      while (pending.size > 0 && Date.now() < deadline) {
        for (const name of [...pending]) {
          const es = (await custom.getClusterCustomObject({
            group: GROUP,
            version: 'v1alpha1',
            plural: 'edgesites',
            name,
          })) as {
            status?: { conditions?: { type: string; status: string }[] };
          };
          if (es.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) pending.delete(name);
        }
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 1000));
      }
      if (pending.size > 0) throw new Error(`not Ready: ${[...pending].join(', ')}\n${operator.errorLines()}`);
      const refreshed = await stack!.refresh({ onOutput });
      expect(refreshed.summary.result).toBe('succeeded');
    },
    300_000,
  );

  test('a second up changes nothing', async () => {
    const res = await up();
    expect(res.summary.result).toBe('succeeded');
    expect(res.summary.resourceChanges).toBeDefined();
    expect(Object.keys(res.summary.resourceChanges!)).toEqual(['same']);
    // provider + namespace + 2 CRDs + release + (Secret + EdgeSite) per site, plus the stack and the component.
    expect(res.summary.resourceChanges!.same).toBe(5 + 2 * resolved.sites.length + 2);
    const ready = (res.outputs.sites?.value as SiteOutput[]).map((s) => s.ready);
    // Without an operator nobody writes status: the outputs say Unknown rather than pretending.
    expect(ready).toEqual(resolved.sites.map(() => (operatorAvailable ? 'True' : 'Unknown')));
  }, 600_000);

  test('destroy removes the EdgeSites, Secrets, release and namespace, and keeps the CRDs', async () => {
    await operator?.stop(); // so nothing re-reads or re-patches the EdgeSites while they are deleted
    const res = await stack!.destroy({ onOutput });
    destroyed = true;
    expect(res.summary.result).toBe('succeeded');
    for (const site of resolved.sites) {
      expect(
        await gone(() =>
          custom.getClusterCustomObject({ group: GROUP, version: 'v1alpha1', plural: 'edgesites', name: site.name }),
        ),
      ).toBe(true);
    }
    expect(await gone(() => core.readNamespace({ name: NAMESPACE }))).toBe(true);
    const releaseSecrets = await core.listSecretForAllNamespaces({ labelSelector: `owner=helm,name=${RELEASE}` });
    expect(releaseSecrets.items).toHaveLength(0);
    const clusterRoles = await mgmt
      .makeApiClient(RbacAuthorizationV1Api)
      .listClusterRole({ labelSelector: `app.kubernetes.io/instance=${RELEASE}` });
    expect(clusterRoles.items).toHaveLength(0);
    // Like `helm uninstall`, destroy keeps the CRDs (retainCrds, default true): deleting them would delete every
    // EdgeSite and DistributedCloud in the cluster, including other owners'.
    for (const plural of ['edgesites', 'distributedclouds']) {
      await expect(apiext.readCustomResourceDefinition({ name: `${plural}.${GROUP}` })).resolves.toBeDefined();
    }
    await stack!.workspace.removeStack('it');
  }, 600_000);
});
