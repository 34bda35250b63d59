// Test inputs: the API engineer's crds/samples/*.yaml when present, else test/unit/fixtures (same contract).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import type { DistributedCloud, EdgeSite, Topology } from '../../../operator/src/api/types.js';

const SAMPLES = join(process.cwd(), 'crds', 'samples');
const FIXTURES = join(process.cwd(), 'test', 'unit', 'fixtures');

export const samplesDir = existsSync(join(SAMPLES, 'sites.yaml')) ? SAMPLES : FIXTURES;

export function samplePath(file: string): string {
  return join(samplesDir, file);
}

export function loadSites(): EdgeSite[] {
  return (yaml.loadAll(readFileSync(samplePath('sites.yaml'), 'utf8')) as EdgeSite[]).filter(
    (d) => d?.kind === 'EdgeSite',
  );
}

export function loadCloud(topology: Topology): DistributedCloud {
  return yaml.load(readFileSync(samplePath(`dc-${topology}.yaml`), 'utf8')) as DistributedCloud;
}

/** A fleet of n sites (core + n-1 edges) labelled for the samples' selectors, built in memory. */
export function syntheticSites(n: number, rttMillis = 30): EdgeSite[] {
  return Array.from({ length: n }, (_, i) => {
    const name = i === 0 ? 'core' : `edge-${i}`;
    return {
      apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
      kind: 'EdgeSite',
      metadata: { name, labels: { 'discovery.beyondtheclouds.io/fleet': 'demo' } },
      spec: {
        kubeconfigSecretRef: { namespace: 'discovery-system', name: `kubeconfig-${name}`, key: 'kubeconfig' },
        region: `region-${i}`,
        role: i === 0 ? 'core' : 'edge',
        network: { rttMillis: i === 0 ? 0 : rttMillis, bandwidthMbps: 1000 },
      },
    } as EdgeSite;
  });
}

/** A DistributedCloud over the demo fleet label, with overrides merged into spec. */
export function cloud(spec: Partial<DistributedCloud['spec']>): DistributedCloud {
  return {
    apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
    kind: 'DistributedCloud',
    metadata: { name: 'test', namespace: 'default' },
    spec: {
      release: '2024.1',
      topology: 'distributed',
      siteSelector: { matchLabels: { 'discovery.beyondtheclouds.io/fleet': 'demo' } },
      services: {},
      messageBus: { type: 'rabbitmq' },
      database: { type: 'cockroachdb' },
      ...spec,
    },
  } as DistributedCloud;
}
