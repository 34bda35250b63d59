// Cross-site wiring: where each service of the plan runs, and the address a unit at one site uses to reach it.
// Same-site references use in-cluster Service DNS (`<svc>.<ns>.svc:<port>`). A Service another site consumes (and
// every public API endpoint of the catalog) is exposed by the host site's `exposure` unit as a NodePort Service
// `<svc>-wan` (services/exposure.ts); consumers use `<site address>:<nodePort>`, where the site address is the
// EdgeSite's spec.network.address, else the node address the EdgeSite controller reads back into status.address, and
// the nodePort is read back from the live `-wan` Service (RenderInput.exposed). Until both are known the consuming
// unit renders as waiting (AddressPending), never with a guessed address. Rendering without live state (the CLI's
// `discovery render`) has no nodePorts: cross-site addresses then read `<svc>.<ns>.<site>.nodeport.invalid:<port>`.
// Each service module holds its own ports and Service names; this file only knows sites and addresses.
import type { Unit } from '../planner/types.js';
import { derived } from './derived.js';
import { targetNamespace } from './labels.js';
import { RenderError, type RenderContext } from './types.js';

/** A Service that other sites may consume: its name, and the component/step whose pods it selects. */
export interface ServiceRef {
  name: string;
  component: string;
  step: string;
}

/** Name suffix of the NodePort Service exposing Service `<name>` to other sites. */
export const EXPOSED_SUFFIX = '-wan';

/** Component and step of the per-site unit holding the NodePort Services (services/exposure.ts). */
export const EXPOSURE_COMPONENT = 'exposure';
export const EXPOSURE_STEP = 'nodeports';

/**
 * A cross-site address this unit needs is not known yet (the host site's `-wan` Service has no nodePort yet, or the
 * site has no address): the unit waits; it is not a failure.
 */
export class AddressPending extends RenderError {
  constructor(message: string) {
    super(message);
    this.name = 'AddressPending';
  }
}

/** Key of a nodePort in RenderInput.exposed. */
export function exposedKey(site: string, service: string, port: number): string {
  return `${site}/${service}/${port}`;
}

/** What one site must expose: Service name → its ref and the ports consumed from elsewhere. */
export type SiteExposures = Map<string, { ref: ServiceRef; ports: Set<number> }>;

/** Exposures recorded while rendering this context, by host site (filled by serviceAddress / catalogUrl). */
export function recordedExposures(ctx: RenderContext): Map<string, SiteExposures> {
  return derived(ctx, 'endpoints/exposures', () => new Map<string, SiteExposures>());
}

function record(ctx: RenderContext, site: string, ref: ServiceRef, port: number): void {
  const all = recordedExposures(ctx);
  let bySite = all.get(site);
  if (!bySite) all.set(site, (bySite = new Map()));
  let entry = bySite.get(ref.name);
  if (!entry) bySite.set(ref.name, (entry = { ref, ports: new Set() }));
  entry.ports.add(port);
}

/** The address other sites and users reach `site` at: spec.network.address, else the one read back into status. */
export function siteAddress(ctx: RenderContext, site: string): string | undefined {
  const es = ctx.sites.get(site);
  if (!es) throw new RenderError(`EdgeSite "${site}" is not in the render context`);
  return es.spec.network?.address ?? es.status?.address;
}

/** `host:port` other sites use for port `port` of Service `ref` at `site` (records that `site` must expose it). */
function exposedAddress(ctx: RenderContext, site: string, ref: ServiceRef, port: number): string {
  record(ctx, site, ref, port);
  if (!ctx.index.hosts(EXPOSURE_COMPONENT, EXPOSURE_STEP, site))
    throw new RenderError(
      `${ref.name} at site ${site} is consumed from other sites, but the plan exposes nothing there`,
    );
  if (!ctx.exposed) return `${ref.name}.${targetNamespace(ctx, site)}.${site}.nodeport.invalid:${port}`;
  const address = siteAddress(ctx, site);
  if (!address)
    throw new AddressPending(
      `waiting for the address of site ${site} (EdgeSite spec.network.address, or a Ready node's address)`,
    );
  const nodePort = ctx.exposed.get(exposedKey(site, ref.name, port));
  if (nodePort === undefined)
    throw new AddressPending(
      `waiting for the nodePort of Service ${ref.name}${EXPOSED_SUFFIX} port ${port} at site ${site}`,
    );
  return `${address.includes(':') ? `[${address}]` : address}:${nodePort}`;
}

/** `host:port` of port `port` of Service `ref` hosted at `hostSite`, as seen from a unit applied to `fromSite`. */
export function serviceAddress(
  ctx: RenderContext,
  fromSite: string,
  hostSite: string,
  ref: ServiceRef,
  port: number,
): string {
  if (fromSite === hostSite) return `${ref.name}.${targetNamespace(ctx, hostSite)}.svc:${port}`;
  return exposedAddress(ctx, hostSite, ref, port);
}

/** Host (IPv6 without brackets) and port of a `host:port` address from serviceAddress. */
export function splitAddress(address: string): { host: string; port: string } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: address.slice(colon + 1) };
}

/** In-cluster address of pod `<sts>-<ordinal>` of a StatefulSet (headless Service `<sts>-headless`) at `site`. */
export function podHost(ctx: RenderContext, site: string, sts: string, ordinal: number): string {
  return `${sts}-${ordinal}.${sts}-headless.${targetNamespace(ctx, site)}.svc`;
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

/** Public URL of an API at `hostSite` as registered in the Keystone catalog (reachable from every site and by users). */
export function catalogUrl(ctx: RenderContext, hostSite: string, ref: ServiceRef, port: number, path = ''): string {
  return `http://${exposedAddress(ctx, hostSite, ref, port)}${path}`;
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
