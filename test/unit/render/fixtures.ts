// Render-test fixtures: the crds/samples EdgeSites and DistributedClouds, planned by the real planner, with a
// deterministic generated-secrets map (seeded byte stream instead of crypto randomness).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadAll } from 'js-yaml';
import type { DistributedCloud, EdgeSite } from '../../../operator/src/api/types.js';
import { buildPlan } from '../../../operator/src/planner/index.js';
import { createRenderContext, generateMissingSecrets, requiredSecrets } from '../../../operator/src/render/index.js';
import type { RenderContext } from '../../../operator/src/render/index.js';

export const TOPOLOGIES = ['centralized', 'cells', 'distributed'] as const;
export type TopologyName = (typeof TOPOLOGIES)[number];

const root = new URL('../../../', import.meta.url);

export function sampleSites(): EdgeSite[] {
  return loadAll(readFileSync(new URL('crds/samples/sites.yaml', root), 'utf8')) as EdgeSite[];
}

export function sampleDc(topology: TopologyName, namespace = 'openstack'): DistributedCloud {
  const dc = loadAll(readFileSync(new URL(`crds/samples/dc-${topology}.yaml`, root), 'utf8'))[0] as DistributedCloud;
  return { ...dc, metadata: { ...dc.metadata, namespace } };
}

/** Deterministic "random" bytes: SHA-256 counter stream from a seed. */
export function seededBytes(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let off = 0; off < n; off += 32) {
      createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, off);
    }
    return out;
  };
}

export function contextFor(dc: DistributedCloud, sites: EdgeSite[] = sampleSites(), seed = 'test'): RenderContext {
  const plan = buildPlan(dc, sites);
  const secrets = generateMissingSecrets({}, requiredSecrets(plan), seededBytes(seed));
  return createRenderContext({ dc, sites: new Map(sites.map((s) => [s.metadata.name!, s])), plan, secrets });
}

export function sampleContext(topology: TopologyName): RenderContext {
  return contextFor(sampleDc(topology));
}
