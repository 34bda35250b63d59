// Cross-site wiring: where each service of the plan runs, and the address a unit at one site uses to reach it.
// Same-site references use in-cluster Service DNS (`<svc>.<ns>.svc`); cross-site references use a per-site external
// domain derived from the EdgeSite (`<svc>.<ns>.<site>.<region>.discovery.local`, <ns> = the host site's member
// namespace of the DC, render/labels.ts memberNamespace; or the EdgeSite annotation
// `discovery.beyondtheclouds.io/external-domain`). Making those names resolve and reachable across clusters (DNS,
// ingress / load balancers, VPN) is the fleet network's job, not the renderers'. Each service module holds its own
// ports and Service names (and helpers such as keystone's URL); this file only knows sites and addresses.
import { GROUP } from '../api/types.js';
import type { Unit } from '../planner/types.js';
import { derived } from './derived.js';
import { targetNamespace } from './labels.js';
import { RenderError, type RenderContext } from './types.js';

export const ANNOTATION_EXTERNAL_DOMAIN = `${GROUP}/external-domain`;

function dnsLabel(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** External DNS domain of a site, used by other sites to reach its services. */
export function siteDomain(ctx: RenderContext, site: string): string {
  const es = ctx.sites.get(site);
  if (!es) throw new RenderError(`EdgeSite "${site}" is not in the render context`);
  const annotated = es.metadata.annotations?.[ANNOTATION_EXTERNAL_DOMAIN];
  if (annotated) return annotated;
  return `${dnsLabel(site)}.${dnsLabel(es.spec.region)}.discovery.local`;
}

/** Address of Service `svc` hosted at `hostSite`, as seen from a unit applied to `fromSite`'s cluster. */
export function serviceHost(ctx: RenderContext, fromSite: string, hostSite: string, svc: string): string {
  const ns = targetNamespace(ctx, hostSite);
  return fromSite === hostSite ? `${svc}.${ns}.svc` : `${svc}.${ns}.${siteDomain(ctx, hostSite)}`;
}

/** Address of pod `<sts>-<ordinal>` of a StatefulSet at `hostSite` (headless Service `<sts>-headless`). */
export function podHost(ctx: RenderContext, fromSite: string, hostSite: string, sts: string, ordinal: number): string {
  const ns = targetNamespace(ctx, hostSite);
  return fromSite === hostSite
    ? `${sts}-${ordinal}.${sts}-headless.${ns}.svc`
    : `${sts}-${ordinal}.${ns}.${siteDomain(ctx, hostSite)}`;
}

/** The core site: the DC's coreSite (centralized, cells), else the planner's, else the first selected site. */
export function coreSite(ctx: RenderContext): string {
  const core = ctx.dc.spec.coreSite ?? ctx.plan.coreSite ?? ctx.plan.sites[0];
  if (!core) throw new RenderError('the plan selects no site');
  return core;
}

/** Sites (sorted) that host unit `${component}-${step}`. */
export function sitesHosting(ctx: RenderContext, component: string, step: string): readonly string[] {
  return ctx.index.sitesHosting(component, step);
}

/** The site a unit at `fromSite` uses for `${component}-${step}`: its own when it hosts one, else core, else first. */
export function siteServing(ctx: RenderContext, fromSite: string, component: string, step: string): string {
  if (ctx.index.hosts(component, step, fromSite)) return fromSite;
  const core = coreSite(ctx);
  if (ctx.index.hosts(component, step, core)) return core;
  const first = sitesHosting(ctx, component, step)[0];
  if (!first) throw new RenderError(`no site of the plan runs ${component}-${step}, needed by a unit at ${fromSite}`);
  return first;
}

/**
 * The site whose cluster receives a unit's objects: its targetSite (global units, and per-cell operations the
 * cells topology runs at the core on behalf of an edge cell, differ from unit.site).
 */
export function applySite(unit: Unit): string {
  return unit.targetSite;
}

/** Public URL of an API at `hostSite` as registered in the Keystone catalog (reachable from every site). */
export function catalogUrl(ctx: RenderContext, hostSite: string, svc: string, port: number, path = ''): string {
  return `http://${svc}.${targetNamespace(ctx, hostSite)}.${siteDomain(ctx, hostSite)}:${port}${path}`;
}

/** Internal URL of an API at `hostSite` (in-cluster name: used by services of the same site). */
export function internalUrl(ctx: RenderContext, hostSite: string, svc: string, port: number, path = ''): string {
  return `http://${svc}.${targetNamespace(ctx, hostSite)}.svc:${port}${path}`;
}

/** How many of the plan's sites are in each region (once per context). */
function regionSizes(ctx: RenderContext): ReadonlyMap<string, number> {
  return derived(ctx, 'endpoints/region-sizes', () => {
    const sizes = new Map<string, number>();
    for (const s of ctx.plan.sites) {
      const region = ctx.sites.get(s)?.spec.region;
      if (region !== undefined) sizes.set(region, (sizes.get(region) ?? 0) + 1);
    }
    return sizes;
  });
}

/**
 * Keystone region id of a site: its EdgeSite spec.region, or `<region>-<site>` when several selected sites share
 * that region (each site that registers endpoints needs a region of its own).
 */
export function regionOf(ctx: RenderContext, site: string): string {
  const es = ctx.sites.get(site);
  if (!es) throw new RenderError(`EdgeSite "${site}" is not in the render context`);
  const sharing = regionSizes(ctx).get(es.spec.region) ?? 0;
  return sharing > 1 ? `${es.spec.region}-${site}` : es.spec.region;
}
