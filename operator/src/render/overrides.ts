// Override resolution, in ONE order everywhere: catalog defaults < DistributedCloud spec.services.X < siteOverrides
// entry for the unit's site. Applies to replicas, images, INI config and (site only) nodeSelector.
import type { ServiceName, SiteOverride } from '../api/types.js';
import { mergeIni, type IniDocument } from './ini.js';
import type { RenderContext } from './types.js';

export function siteOverride(ctx: RenderContext, site: string): SiteOverride | undefined {
  return ctx.dc.spec.siteOverrides?.find((o) => o.site === site);
}

export function resolveReplicas(ctx: RenderContext, service: ServiceName, site: string, catalogDefault = 1): number {
  return siteOverride(ctx, site)?.replicas?.[service] ?? ctx.dc.spec.services[service]?.replicas ?? catalogDefault;
}

/** Image overrides in increasing precedence (the last defined one wins). */
export function imageOverrides(ctx: RenderContext, service: ServiceName, site: string): (string | undefined)[] {
  return [ctx.dc.spec.services[service]?.image, siteOverride(ctx, site)?.images?.[service]];
}

/** Merges the catalog's INI for a service with the DC and site overrides for that service. */
export function resolveConfig(
  ctx: RenderContext,
  service: ServiceName,
  site: string,
  defaults: IniDocument,
): IniDocument {
  return mergeIni(defaults, ctx.dc.spec.services[service]?.config, siteOverride(ctx, site)?.config?.[service]);
}

export type NodeRole = 'control-plane' | 'compute';

/** openstack-helm node labels, merged with the site's nodeSelector override. */
export function nodeSelectorFor(ctx: RenderContext, site: string, role: NodeRole): Record<string, string> {
  const base: Record<string, string> =
    role === 'compute' ? { 'openstack-compute-node': 'enabled' } : { 'openstack-control-plane': 'enabled' };
  return { ...base, ...(siteOverride(ctx, site)?.nodeSelector ?? {}) };
}
