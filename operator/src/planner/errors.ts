// Typed planning errors: each carries a stable `code` and a message meant for the person who wrote the resources.
export type PlanErrorCode =
  | 'Cycle'
  | 'CoreSiteMissing'
  | 'CoreSiteNotFound'
  | 'CoreSiteNotSelected'
  | 'UnknownSite'
  | 'NoSitesSelected'
  | 'GaleraLatency'
  | 'InvalidSelector'
  | 'MissingRequirement'
  | 'UnknownDependency'
  | 'UnresolvedDependency';

export class PlanError extends Error {
  readonly code: PlanErrorCode;
  constructor(code: PlanErrorCode, message: string) {
    super(message);
    this.name = 'PlanError';
    this.code = code;
  }
}

/** A dependency cycle; `units` lists every unit on the cycle, in order (the first depends on the second, ...). */
export class CycleError extends PlanError {
  readonly units: string[];
  constructor(units: string[]) {
    super('Cycle', `dependency cycle: ${[...units, units[0]].join(' -> ')}`);
    this.name = 'CycleError';
    this.units = units;
  }
}

/** Named sites (spec.sites or spec.coreSite) that match no EdgeSite. */
export class UnknownSiteError extends PlanError {
  readonly sites: string[];
  constructor(sites: string[], known: string[]) {
    const list = sites.map((s) => `"${s}"`).join(', ');
    super(
      'UnknownSite',
      `spec.sites names ${sites.length === 1 ? 'a site that does' : 'sites that do'} not exist: ${list}` +
        ` (known EdgeSites: ${known.length ? known.join(', ') : 'none'})`,
    );
    this.name = 'UnknownSiteError';
    this.sites = sites;
  }
}

export interface SiteLatency {
  site: string;
  rttMillis: number;
}

/** Galera (synchronous multi-master replication) stretched over links slower than it tolerates. */
export class GaleraLatencyError extends PlanError {
  readonly sites: SiteLatency[];
  readonly maxRttMillis: number;
  constructor(sites: SiteLatency[], maxRttMillis: number) {
    const list = sites.map((s) => `${s.site} (rttMillis ${s.rttMillis})`).join(', ');
    super(
      'GaleraLatency',
      `spec.database.type galera cannot span sites whose round-trip time to the core exceeds ${maxRttMillis} ms: ${list}. ` +
        'Galera certifies every write synchronously on all nodes and collapses over WAN links; use ' +
        "spec.database.type mariadb (an independent database per site, Keystone's at the core) or spec.topology cells " +
        '(one local database per cell).',
    );
    this.name = 'GaleraLatencyError';
    this.sites = sites;
    this.maxRttMillis = maxRttMillis;
  }
}
