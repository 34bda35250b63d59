// The Discovery Pulumi program under Pulumi's runtime mocks: which resources it declares for a given stack config
// (namespace, CRDs, operator release, one kubeconfig Secret + EdgeSite per site, sample DistributedCloud), with
// what inputs, and the stack outputs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import * as pulumi from '@pulumi/pulumi';
import { load } from 'js-yaml';
import type { RawDiscoveryConfig } from '../../../pulumi/config.js';
import { discoveryProgram, loadCrds, REPO_ROOT } from '../../../pulumi/program.js';

interface Registered {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: Record<string, any>;
  /** Number of secret-wrapped values among the inputs. */
  secrets: number;
  provider?: string;
}

let registered: Registered[] = [];

/** Secret inputs reach the mocks wrapped as { <secret signature>: ..., value }; `secrets` counts them. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function unwrap(v: unknown, secrets: { n: number }): any {
  if (Array.isArray(v)) return v.map((x) => unwrap(x, secrets));
  if (!v || typeof v !== 'object') return v;
  if (SECRET_SIG in v) {
    secrets.n++;
    return unwrap((v as unknown as { value: unknown }).value, secrets);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x, secrets)]));
}
/** Status the mocked API server "returns" for EdgeSites (simulates an operator having reconciled them). */
let edgeSiteStatus: object | undefined;

function kubeconfigYaml(server: string): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: '${server}', certificate-authority-data: Q0E=}}]
users: [{name: u, user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;
}

let dir: string;
const kc = (name: string) => path.join(dir, `${name}.yaml`);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'discovery-pulumi-unit-'));
  ['mgmt', 'a', 'b', 'c'].forEach((n, i) => writeFileSync(kc(n), kubeconfigYaml(`https://127.0.0.1:${7000 + i}`)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  registered = [];
  edgeSiteStatus = undefined;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const secrets = { n: 0 };
        const inputs = unwrap(args.inputs, secrets);
        registered.push({ type: args.type, name: args.name, inputs, secrets: secrets.n, provider: args.provider });
        const state = { ...inputs };
        if (args.type.endsWith(':EdgeSite') && edgeSiteStatus) state.status = edgeSiteStatus;
        if (args.type === 'kubernetes:helm.sh/v3:Release')
          state.status = { name: args.inputs.name, status: 'deployed' };
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    'discovery',
    'unit',
    false,
  );
});

const sites = (): RawDiscoveryConfig['sites'] => [
  { name: 'paris', kubeconfig: kc('a'), role: 'core', region: 'fr-paris', zone: 'fr-paris-1' },
  { name: 'lyon', kubeconfig: kc('b'), role: 'edge', region: 'fr-lyon', rttMillis: 12, bandwidthMbps: 500 },
  { name: 'brest', kubeconfig: kc('c'), role: 'far-edge', rttMillis: 70, labels: { tier: 'far' } },
];

/** Runs the inline program and waits for every output, so every registration has happened. */
async function run(config: RawDiscoveryConfig): Promise<Record<string, unknown>> {
  const outputs = await discoveryProgram({ config: { managementKubeconfig: kc('mgmt'), ...config }, cwd: dir })();
  const values = await new Promise<Record<string, unknown>>((resolve) =>
    pulumi.output(outputs).apply((v) => resolve(v as Record<string, unknown>)),
  );
  return values;
}

const ofType = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));

describe('Discovery program under mocks', () => {
  test('default install: provider, namespace, CRDs, operator chart, one Secret + EdgeSite per site', async () => {
    const out = await run({ sites: sites() });

    const providers = ofType('pulumi:providers:kubernetes');
    expect(providers).toHaveLength(1);
    expect(providers[0]!.secrets).toBeGreaterThan(0); // the kubeconfig holds a client key: kept secret in state
    expect(load(providers[0]!.inputs.kubeconfig)).toMatchObject({
      clusters: [{ cluster: { server: 'https://127.0.0.1:7000' } }],
    });

    expect(ofType('core/v1:Namespace').map((r) => r.inputs.metadata.name)).toEqual(['discovery-system']);

    const crdNames = loadCrds(path.join(REPO_ROOT, 'crds')).map((c) => c.metadata.name);
    expect(crdNames).toEqual(
      expect.arrayContaining([
        'edgesites.discovery.beyondtheclouds.io',
        'distributedclouds.discovery.beyondtheclouds.io',
      ]),
    );
    expect(
      ofType(':CustomResourceDefinition')
        .map((r) => r.inputs.metadata.name)
        .sort(),
    ).toEqual([...crdNames].sort());

    const [release, ...moreReleases] = ofType('helm.sh/v3:Release');
    expect(moreReleases).toHaveLength(0);
    expect(release!.inputs).toMatchObject({
      name: 'discovery-operator',
      chart: path.join(REPO_ROOT, 'charts', 'discovery-operator'),
      namespace: 'discovery-system',
      skipCrds: true,
    });

    const secrets = ofType('core/v1:Secret');
    expect(secrets.map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`)).toEqual([
      'discovery-system/kubeconfig-paris',
      'discovery-system/kubeconfig-lyon',
      'discovery-system/kubeconfig-brest',
    ]);
    expect(secrets.every((s) => s.secrets > 0)).toBe(true);
    const stored = load(Buffer.from(secrets[1]!.inputs.data.kubeconfig, 'base64').toString()) as object;
    expect(stored).toMatchObject({ clusters: [{ cluster: { server: 'https://127.0.0.1:7002' } }] });

    const edgeSites = ofType(':EdgeSite');
    expect(edgeSites.map((e) => e.type)).toEqual(
      Array(3).fill('kubernetes:discovery.beyondtheclouds.io/v1alpha1:EdgeSite'),
    );
    expect(edgeSites.map((e) => e.inputs.metadata.name)).toEqual(['paris', 'lyon', 'brest']);
    expect(edgeSites[1]!.inputs.spec).toEqual({
      kubeconfigSecretRef: { namespace: 'discovery-system', name: 'kubeconfig-lyon', key: 'kubeconfig' },
      region: 'fr-lyon',
      zone: 'fr-lyon-a',
      role: 'edge',
      network: { rttMillis: 12, bandwidthMbps: 500 },
      // granted to the sample's namespace only, no privileged units: the secure defaults
      tenancy: { namespaces: ['default'], allowPrivileged: false },
    });
    expect(edgeSites[0]!.inputs.spec).toMatchObject({ role: 'core', region: 'fr-paris', zone: 'fr-paris-1' });
    expect(edgeSites[2]!.inputs.metadata.labels).toEqual({
      tier: 'far',
      'discovery.beyondtheclouds.io/fleet': 'pulumi',
      'app.kubernetes.io/managed-by': 'pulumi',
    });
    expect(edgeSites[0]!.inputs.metadata.annotations).toBeUndefined();

    // Everything in the cluster goes through the explicit management provider, never an ambient kubeconfig.
    const k8sResources = registered.filter((r) => r.type.startsWith('kubernetes:'));
    expect(k8sResources.every((r) => r.provider?.includes('pulumi:providers:kubernetes::discovery-management'))).toBe(
      true,
    );

    expect(ofType(':DistributedCloud')).toHaveLength(0);
    expect(out.operatorRelease).toBe('discovery-operator (deployed)');
    expect(out.managementServer).toBe('https://127.0.0.1:7000');
    expect(out.sites).toEqual([
      expect.objectContaining({
        name: 'paris',
        role: 'core',
        ready: 'Unknown',
        kubeconfigSecret: 'discovery-system/kubeconfig-paris',
      }),
      expect.objectContaining({ name: 'lyon', role: 'edge', region: 'fr-lyon', rttMillis: 12, ready: 'Unknown' }),
      expect.objectContaining({ name: 'brest', role: 'far-edge', rttMillis: 70, ready: 'Unknown' }),
    ]);
  });

  test('installOperator false, existing namespace, no CRDs, custom names: only Secrets and EdgeSites', async () => {
    await run({
      sites: sites(),
      edgeSites: 1,
      installOperator: false,
      createNamespace: false,
      installCrds: false,
      namespace: 'fleet-x',
      secretPrefix: 'kc-',
      fleetLabel: 'lab',
    });
    expect(ofType('helm.sh/v3:Release')).toHaveLength(0);
    expect(ofType('core/v1:Namespace')).toHaveLength(0);
    expect(ofType(':CustomResourceDefinition')).toHaveLength(0);
    expect(ofType('core/v1:Secret').map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`)).toEqual([
      'fleet-x/kc-paris',
      'fleet-x/kc-lyon',
    ]);
    const edgeSites = ofType(':EdgeSite');
    expect(edgeSites.map((e) => e.inputs.metadata.name)).toEqual(['paris', 'lyon']);
    expect(edgeSites[1]!.inputs.spec.kubeconfigSecretRef).toEqual({
      namespace: 'fleet-x',
      name: 'kc-lyon',
      key: 'kubeconfig',
    });
    expect(edgeSites[1]!.inputs.metadata.labels['discovery.beyondtheclouds.io/fleet']).toBe('lab');
  });

  test('sampleCloud adds a centralized DistributedCloud selecting the fleet label around the core site', async () => {
    const out = await run({ sites: sites(), sampleCloud: true, sampleCloudNamespace: 'clouds' });
    const [dc, ...more] = ofType(':DistributedCloud');
    expect(more).toHaveLength(0);
    expect(dc!.inputs.metadata).toMatchObject({ name: 'pulumi-sample', namespace: 'clouds' });
    expect(dc!.inputs.spec).toMatchObject({
      topology: 'centralized',
      coreSite: 'paris',
      siteSelector: { matchLabels: { 'discovery.beyondtheclouds.io/fleet': 'pulumi' } },
      messageBus: { type: 'rabbitmq' },
      database: { type: 'mariadb' },
    });
    expect(out.sampleCloud).toBe('clouds/pulumi-sample');
  });

  test('waitForSitesReady annotates EdgeSites; outputs report the Ready condition read back', async () => {
    edgeSiteStatus = { conditions: [{ type: 'Ready', status: 'True', message: 'probed 4 nodes' }] };
    const out = await run({ sites: sites(), waitForSitesReady: true });
    for (const e of ofType(':EdgeSite')) {
      expect(e.inputs.metadata.annotations).toEqual({ 'pulumi.com/waitFor': 'condition=Ready' });
    }
    expect((out.sites as { ready: string; message: string }[]).map((s) => [s.ready, s.message])).toEqual(
      Array(3).fill(['True', 'probed 4 nodes']),
    );
  });

  test('defaults to the local fleet layout under fleetDir', async () => {
    const fleetDir = path.join(dir, 'fleet');
    const kcs = path.join(fleetDir, 'kubeconfigs');
    mkdirSync(kcs, { recursive: true });
    ['mgmt', 'edge-1', 'edge-2'].forEach((n, i) =>
      writeFileSync(path.join(kcs, `${n}.yaml`), kubeconfigYaml(`https://127.0.0.1:${8000 + i}`)),
    );
    const outputs = await discoveryProgram({ config: { fleetDir, installOperator: false }, cwd: dir })();
    const sitesOut = await new Promise<unknown>((resolve) =>
      (outputs.sites as pulumi.Output<object[]>).apply((v) => resolve(v)),
    );
    expect((sitesOut as { name: string }[]).map((s) => s.name)).toEqual(['core', 'edge-1', 'edge-2']);
    const byName = Object.fromEntries(ofType('core/v1:Secret').map((s) => [s.inputs.metadata.name, s]));
    const edge2 = load(Buffer.from(byName['kubeconfig-edge-2']!.inputs.data.kubeconfig, 'base64').toString());
    expect(edge2).toMatchObject({ clusters: [{ cluster: { server: 'https://127.0.0.1:8002' } }] });
  });

  test('a missing kubeconfig file fails with its path', async () => {
    await expect(
      discoveryProgram({ config: { sites: [{ name: 'a', kubeconfig: 'nope.yaml', role: 'core' }] }, cwd: dir })(),
    ).rejects.toThrow(/cannot read kubeconfig .*nope\.yaml/);
  });
});
