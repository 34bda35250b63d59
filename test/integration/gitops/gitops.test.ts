// The GitOps example: `kubectl kustomize examples/gitops` builds, holds the CRDs (same as crds/) and the sample objects
// with their Argo CD annotations, the management API server accepts the result, and the Argo/Flux manifests point at
// paths that exist in this repository.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { testFleet } from '../../harness/fleet.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const kubectlBin = join(repo, '.tools/bin/kubectl');
const example = join(repo, 'examples/gitops');

// Manifests are checked field by field: a loose type keeps those assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = any;

const docs = (text: string): K8sObject[] => (loadAll(text) as K8sObject[]).filter((d) => !!d);
const file = (...path: string[]): K8sObject[] => docs(readFileSync(join(repo, ...path), 'utf8'));

function kubectl(args: string[], input?: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      kubectlBin,
      args,
      { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

describe('examples/gitops', () => {
  let built: K8sObject[];
  beforeAll(async () => {
    if (!existsSync(kubectlBin)) throw new Error(`${kubectlBin} is missing: build it with \`npm run tools\``);
    built = docs(await kubectl(['kustomize', '--load-restrictor', 'LoadRestrictionsNone', example]));
  });

  test('holds both CRDs, identical to crds/', () => {
    const crds = built.filter((o) => o.kind === 'CustomResourceDefinition');
    const expected = [
      ...file('crds/discovery.beyondtheclouds.io_edgesites.yaml'),
      ...file('crds/discovery.beyondtheclouds.io_distributedclouds.yaml'),
    ];
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(expected.map((c) => c.metadata.name).sort());
    for (const want of expected) expect(crds.find((c) => c.metadata.name === want.metadata.name)).toEqual(want);
  });

  test('holds every sample EdgeSite (cluster-scoped, no namespace) and the DistributedCloud in discovery-demo', () => {
    const sites = built.filter((o) => o.kind === 'EdgeSite');
    const sampleSites = file('crds/samples/sites.yaml').filter((o) => o.kind === 'EdgeSite');
    expect(sites.map((s) => s.metadata.name).sort()).toEqual(sampleSites.map((s) => s.metadata.name).sort());
    for (const s of sites) {
      expect(s.metadata.namespace).toBeUndefined();
      expect(s.spec).toEqual(sampleSites.find((x) => x.metadata.name === s.metadata.name).spec);
      expect(s.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('0');
    }
    const sample = file('crds/samples/dc-distributed.yaml').find((o) => o.kind === 'DistributedCloud');
    const dcs = built.filter((o) => o.kind === 'DistributedCloud');
    expect(dcs).toHaveLength(1);
    expect(dcs[0].metadata.name).toBe(sample.metadata.name);
    expect(dcs[0].metadata.namespace).toBe('discovery-demo');
    expect(dcs[0].spec).toEqual(sample.spec);
    expect(dcs[0].metadata.annotations).toMatchObject({
      'argocd.argoproj.io/sync-wave': '1',
      'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true',
    });
    expect(built.find((o) => o.kind === 'Namespace')?.metadata.name).toBe('discovery-demo');
  });

  test('the management API server accepts every built object (server-side dry run against the real CRDs)', async () => {
    const env = { KUBECONFIG: testFleet().management.kubeconfigPath };
    const crds = built.filter((o) => o.kind === 'CustomResourceDefinition');
    // The CRDs must exist for the custom objects to be validated; applying the committed CRDs is a no-op when the
    // chart (or another suite) already installed them.
    await kubectl(
      ['apply', '--server-side', '--force-conflicts', '--field-manager=gitops-test', '-f', '-'],
      crds.map((c) => JSON.stringify(c)).join('\n---\n'),
      env,
    );
    await kubectl(
      ['wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c.metadata.name}`)],
      undefined,
      env,
    );
    // A dry run does not create the namespace, so validate the DistributedCloud in one that exists.
    const rest = built
      .filter((o) => o.kind !== 'CustomResourceDefinition' && o.kind !== 'Namespace')
      .map((o) => (o.metadata.namespace ? { ...o, metadata: { ...o.metadata, namespace: 'default' } } : o));
    const out = await kubectl(
      ['apply', '--dry-run=server', '--server-side', '--field-manager=gitops-test', '-o', 'name', '-f', '-'],
      rest.map((o) => JSON.stringify(o)).join('\n---\n'),
      env,
    );
    const names = out.trim().split('\n').sort();
    expect(names).toEqual(
      rest.map((o) => `${o.kind.toLowerCase()}.discovery.beyondtheclouds.io/${o.metadata.name}`).sort(),
    );
  });

  test('the Argo CD Applications point at the chart (CRDs skipped) and at this directory', () => {
    const apps = file('examples/gitops/argocd-application.yaml');
    expect(apps.map((a) => a.kind)).toEqual(['Application', 'Application']);
    const [operator, demo] = apps;
    expect(existsSync(join(repo, operator.spec.source.path, 'Chart.yaml'))).toBe(true);
    expect(operator.spec.source.helm.skipCrds).toBe(true);
    expect(demo.spec.source.path).toBe('examples/gitops');
    const cm = file('examples/gitops/argocd-cm.yaml')[0];
    expect(cm.data['kustomize.buildOptions']).toBe('--load-restrictor LoadRestrictionsNone');
    for (const kind of ['EdgeSite', 'DistributedCloud']) {
      const lua = cm.data[`resource.customizations.health.discovery.beyondtheclouds.io_${kind}`];
      expect(lua).toContain('c.type == "Ready"');
      expect(lua).toContain('observedGeneration');
    }
  });

  test('the Flux Kustomization waits on health (kstatus) and the HelmRelease skips CRDs', () => {
    const objs = file('examples/gitops/flux-kustomization.yaml');
    const ks = objs.find((o) => o.kind === 'Kustomization');
    expect(ks.spec).toMatchObject({ path: './examples/gitops', wait: true, prune: true });
    const hr = objs.find((o) => o.kind === 'HelmRelease');
    expect(existsSync(join(repo, hr.spec.chart.spec.chart, 'Chart.yaml'))).toBe(true);
    expect(hr.spec.install.crds).toBe('Skip');
    expect(hr.spec.upgrade.crds).toBe('Skip');
  });
});
