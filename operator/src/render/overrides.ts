// Override resolution, in ONE order everywhere: catalog defaults < DistributedCloud spec.services.X < siteOverrides
// entry for the unit's site. Applies to replicas, images, INI config (per OpenStack service) and nodeSelector (site).
import type { SiteOverride } from '../api/types.js';
import { serviceSpecOf } from '../catalog/steps.js';
import { mergeIni, type IniDocument } from './ini.js';
import type { RenderContext } from './types.js';

export function siteOverride(ctx: RenderContext, site: string): SiteOverride | undefined {
  return ctx.dc.spec.siteOverrides?.find((o) => o.site === site);
}

/** A site override's entry for one OpenStack service (`replicas`, `images` or `config` are keyed by service). */
function perService<T>(table: object | undefined, service: string): T | undefined {
  return (table as Record<string, T | undefined> | undefined)?.[service];
}

export function resolveReplicas(ctx: RenderContext, service: string, site: string, catalogDefault = 1): number {
  return (
    perService<number>(siteOverride(ctx, site)?.replicas, service) ??
    serviceSpecOf(ctx.dc.spec, service)?.replicas ??
    catalogDefault
  );
}

/** Image overrides in increasing precedence (the last defined one wins). */
export function imageOverrides(ctx: RenderContext, service: string, site: string): (string | undefined)[] {
  return [serviceSpecOf(ctx.dc.spec, service)?.image, perService<string>(siteOverride(ctx, site)?.images, service)];
}

/** Merges the catalog's INI for a service with the DC and site overrides for that service. */
export function resolveConfig(ctx: RenderContext, service: string, site: string, defaults: IniDocument): IniDocument {
  return mergeIni(
    defaults,
    serviceSpecOf(ctx.dc.spec, service)?.config,
    perService<IniDocument>(siteOverride(ctx, site)?.config, service),
  );
}

export type NodeRole = 'control-plane' | 'compute';

/** openstack-helm node labels, merged with the site's nodeSelector override. */
export function nodeSelectorFor(ctx: RenderContext, site: string, role: NodeRole): Record<string, string> {
  const base: Record<string, string> =
    role === 'compute' ? { 'openstack-compute-node': 'enabled' } : { 'openstack-control-plane': 'enabled' };
  return { ...base, ...(siteOverride(ctx, site)?.nodeSelector ?? {}) };
}
