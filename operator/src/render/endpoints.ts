// Cross-site wiring: where each service of the plan runs, and the address a unit at one site uses to reach it.
// Same-site references use in-cluster Service DNS (`<svc>.<ns>.svc`); cross-site references use a per-site external
// domain derived from the EdgeSite (`<svc>.<ns>.<site>.<region>.discovery.local`, or the EdgeSite annotation
// `discovery.beyondtheclouds.io/external-domain`). Making those names resolve and reachable across clusters (DNS,
// ingress / load balancers, VPN) is the fleet network's job, not the renderers'.
import { GROUP } from '../api/types.js';
import { GLOBAL_SITE, type Unit } from '../planner/types.js';
import { targetNamespace } from './labels.js';
import { RenderError, type RenderContext } from './types.js';

export const ANNOTATION_EXTERNAL_DOMAIN = `${GROUP}/external-domain`;

export const PORTS = {
  keystone: 5000,
  glance: 9292,
  placement: 8778,
  novaApi: 8774,
  novaMetadata: 8775,
  mysql: 3306,
  galeraReplication: 4567,
  galeraIst: 4568,
  galeraSst: 4444,
  cockroach: 26257,
  cockroachHttp: 8080,
  amqp: 5672,
  rabbitDist: 25672,
  rabbitManagement: 15672,
  interRouter: 55672,
  redis: 6379,
  etcdClient: 2379,
  etcdPeer: 2380,
  memcached: 11211,
} as const;

/** Service (DNS) names of the backends and APIs, identical on every member cluster. */
export const SERVICE_NAMES = {
  database: 'database',
  messageBus: 'message-bus',
  kvStore: 'kv-store',
  memcached: 'memcached',
  keystone: 'keystone-api',
  glance: 'glance-api',
  placement: 'placement-api',
  novaApi: 'nova-api',
  novaMetadata: 'nova-metadata',
} as const;

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
  const ns = targetNamespace(ctx);
  return fromSite === hostSite ? `${svc}.${ns}.svc` : `${svc}.${ns}.${siteDomain(ctx, hostSite)}`;
}

/** Address of pod `<sts>-<ordinal>` of a StatefulSet at `hostSite` (headless Service `<sts>-headless`). */
export function podHost(ctx: RenderContext, fromSite: string, hostSite: string, sts: string, ordinal: number): string {
  const ns = targetNamespace(ctx);
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
export function sitesHosting(ctx: RenderContext, component: string, step: string): string[] {
  const out = new Set<string>();
  for (const u of ctx.plan.units)
    if (u.component === component && u.step === step && u.site !== GLOBAL_SITE) out.add(u.site);
  return [...out].sort();
}

/** The site a unit at `fromSite` uses for `${component}-${step}`: its own when it hosts one, else core, else first. */
export function siteServing(ctx: RenderContext, fromSite: string, component: string, step: string): string {
  const hosts = sitesHosting(ctx, component, step);
  if (hosts.includes(fromSite)) return fromSite;
  const core = coreSite(ctx);
  if (hosts.includes(core)) return core;
  const first = hosts[0];
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

/** Whether a logical database spans sites: Galera / CockroachDB in distributed form one cluster over every site. */
export function databaseSpansSites(ctx: RenderContext): boolean {
  return ctx.dc.spec.topology === 'distributed' && ctx.dc.spec.database.type !== 'mariadb';
}

export function keystoneUrl(ctx: RenderContext, fromSite: string): string {
  const host = siteServing(ctx, fromSite, 'keystone', 'api');
  return `http://${serviceHost(ctx, fromSite, host, SERVICE_NAMES.keystone)}:${PORTS.keystone}`;
}

/** Public URL of an API at `hostSite` as registered in the Keystone catalog (reachable from every site). */
export function catalogUrl(ctx: RenderContext, hostSite: string, svc: string, port: number, path = ''): string {
  return `http://${svc}.${targetNamespace(ctx)}.${siteDomain(ctx, hostSite)}:${port}${path}`;
}

/** Internal URL of an API at `hostSite` (in-cluster name: used by services of the same site). */
export function internalUrl(ctx: RenderContext, hostSite: string, svc: string, port: number, path = ''): string {
  return `http://${svc}.${targetNamespace(ctx)}.svc:${port}${path}`;
}

export function memcachedServers(ctx: RenderContext, fromSite: string): string {
  const host = siteServing(ctx, fromSite, 'memcached', 'server');
  return `${serviceHost(ctx, fromSite, host, SERVICE_NAMES.memcached)}:${PORTS.memcached}`;
}

/**
 * Keystone region id of a site: its EdgeSite spec.region, or `<region>-<site>` when several selected sites share
 * that region (each site that registers endpoints needs a region of its own).
 */
export function regionOf(ctx: RenderContext, site: string): string {
  const es = ctx.sites.get(site);
  if (!es) throw new RenderError(`EdgeSite "${site}" is not in the render context`);
  const sharing = ctx.plan.sites.filter((s) => ctx.sites.get(s)?.spec.region === es.spec.region);
  return sharing.length > 1 ? `${es.spec.region}-${site}` : es.spec.region;
}

/** Nova cell of a site: the `cell` the planner put on that site's nova units, else "cell1". */
export function cellOf(ctx: RenderContext, site: string): string {
  for (const u of ctx.plan.units) if (u.site === site && u.component === 'nova' && u.cell) return u.cell;
  return 'cell1';
}

/** The site hosting the database server a unit at `fromSite` talks to, for a logical database. */
export function databaseSite(ctx: RenderContext, fromSite: string, shared: boolean): string {
  const hosts = sitesHosting(ctx, 'database', 'server');
  // Independent per-site servers: data every site shares (Keystone in distributed) lives at the core.
  if (shared && !databaseSpansSites(ctx)) {
    const core = coreSite(ctx);
    return hosts.includes(core) ? core : (hosts[0] ?? core);
  }
  return siteServing(ctx, fromSite, 'database', 'server');
}

export function databaseHost(ctx: RenderContext, fromSite: string, shared: boolean): string {
  return serviceHost(ctx, fromSite, databaseSite(ctx, fromSite, shared), SERVICE_NAMES.database);
}

export function databasePort(ctx: RenderContext): number {
  return ctx.dc.spec.database.type === 'cockroachdb' ? PORTS.cockroach : PORTS.mysql;
}
