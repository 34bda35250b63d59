// Render-test fixtures: the crds/samples EdgeSites and DistributedClouds, planned by the real planner, with a
// deterministic generated-secrets map (seeded byte stream instead of crypto randomness).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadAll } from 'js-yaml';
import type { DistributedCloud, EdgeSite } from '../../../operator/src/api/types.js';
import { buildPlan } from '../../../operator/src/planner/index.js';
import { exposedKey, recordedExposures } from '../../../operator/src/render/endpoints.js';
import {
  createRenderContext,
  generateMissingSecrets,
  renderPlan,
  requiredSecrets,
} from '../../../operator/src/render/index.js';
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

/** Address of the i-th sample site in liveContext (TEST-NET-1). */
export const siteAddressOf = (i: number): string => `192.0.2.${10 + i}`;

/**
 * The context as the operator renders it: every EdgeSite with an address (spec.network.address, 192.0.2.10 + its
 * position), and a nodePort (30000 up, in site/Service/port order) for every Service the plan exposes — what the
 * operator reads back from the live `-wan` Services.
 */
export function liveContext(dc: DistributedCloud, sites: EdgeSite[] = sampleSites(), seed = 'test'): RenderContext {
  const offline = contextFor(dc, sites, seed);
  renderPlan(offline); // records what each site exposes
  const keys: string[] = [];
  for (const [site, services] of recordedExposures(offline))
    for (const [name, { ports }] of services) for (const port of ports) keys.push(exposedKey(site, name, port));
  const exposed = new Map(keys.sort().map((k, i) => [k, 30000 + i]));
  const addressed = sites.map((s, i) => ({
    ...s,
    spec: { ...s.spec, network: { ...s.spec.network, address: siteAddressOf(i) } },
  }));
  const { plan, secrets } = offline;
  return createRenderContext({
    dc,
    sites: new Map(addressed.map((s) => [s.metadata.name!, s])),
    plan,
    secrets,
    exposed,
  });
}

/** `<address>:<nodePort>` at which other sites reach port `port` of Service `svc` at `site` in a liveContext. */
export function exposedAt(ctx: RenderContext, site: string, svc: string, port: number): string {
  const nodePort = ctx.exposed?.get(exposedKey(site, svc, port));
  if (nodePort === undefined) throw new Error(`${svc}:${port} at ${site} is not exposed`);
  return `${ctx.sites.get(site)!.spec.network.address}:${nodePort}`;
}

export function sampleContext(topology: TopologyName): RenderContext {
  return liveContext(sampleDc(topology));
}
