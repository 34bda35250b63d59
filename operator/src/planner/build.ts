// Turns a DistributedCloud and the EdgeSites it selects into the unit DAG, following the catalog's placement and
// dependency rules for the cloud's topology. Pure: no I/O, deterministic output.
import type { DistributedCloud, DistributedCloudSpec, EdgeSite, Topology } from '../api/types.js';
import { CATALOG, expectedSecondsFor, stepKey, unitId } from '../catalog/index.js';
import type { Catalog, ComponentDefinition, Condition, DependencyRef, Placement } from '../catalog/index.js';
import { GaleraLatencyError, PlanError, UnknownSiteError } from './errors.js';
import { planFromUnits } from './graph.js';
import { matchesSelector, validateSelector } from './selector.js';
import { GLOBAL_SITE } from './types.js';
import type { Plan, Unit } from './types.js';

/** Galera tolerates at most this round-trip time between its nodes (GUIDE section 1). */
export const GALERA_MAX_RTT_MILLIS = 10;

export interface SiteSelection {
  /** Selected EdgeSite names, sorted. */
  sites: string[];
  /** Core site (spec.coreSite; in distributed without one: the first selected role=core site, else the first). */
  coreSite: string;
  /** Selected sites whose EdgeSite has spec.paused. */
  pausedSites: string[];
  byName: Map<string, EdgeSite>;
}

/** Site selection = spec.sites ∪ EdgeSites matching spec.siteSelector; checks the core site and named sites. */
export function selectSites(spec: DistributedCloudSpec, edgeSites: readonly EdgeSite[]): SiteSelection {
  const byName = new Map<string, EdgeSite>();
  for (const s of edgeSites) if (s.metadata.name) byName.set(s.metadata.name, s);
  const known = [...byName.keys()].sort();

  const missing = (spec.sites ?? []).filter((n) => !byName.has(n));
  if (missing.length > 0) throw new UnknownSiteError([...new Set(missing)], known);
  const selected = new Set(spec.sites ?? []);
  if (spec.siteSelector) {
    validateSelector(spec.siteSelector);
    for (const [name, s] of byName) if (matchesSelector(s.metadata.labels, spec.siteSelector)) selected.add(name);
  }
  const sites = [...selected].sort();
  if (sites.length === 0) {
    const how = [spec.sites?.length ? 'spec.sites' : '', spec.siteSelector ? 'spec.siteSelector' : '']
      .filter(Boolean)
      .join(' and ');
    throw new PlanError(
      'NoSitesSelected',
      how
        ? `${how} select${how.includes(' and ') ? '' : 's'} no EdgeSite (known EdgeSites: ${known.join(', ') || 'none'})`
        : 'no sites selected: set spec.sites and/or spec.siteSelector',
    );
  }

  let coreSite = spec.coreSite;
  if (coreSite === undefined || coreSite === '') {
    if (spec.topology !== 'distributed')
      throw new PlanError('CoreSiteMissing', `spec.coreSite is required for topology ${spec.topology}`);
    coreSite = sites.find((n) => byName.get(n)!.spec.role === 'core') ?? sites[0]!;
  } else if (!byName.has(coreSite)) {
    throw new PlanError(
      'CoreSiteNotFound',
      `spec.coreSite "${coreSite}" is not an existing EdgeSite (known EdgeSites: ${known.join(', ') || 'none'})`,
    );
  } else if (!selected.has(coreSite)) {
    throw new PlanError(
      'CoreSiteNotSelected',
      `spec.coreSite "${coreSite}" is not selected: add it to spec.sites or make spec.siteSelector match it ` +
        `(selected: ${sites.join(', ')})`,
    );
  }
  const pausedSites = sites.filter((n) => byName.get(n)!.spec.paused === true);
  return { sites, coreSite, pausedSites, byName };
}

interface Context {
  topology: Topology;
  core: string;
  sites: string[];
  edges: string[];
  backends: Map<string, string | undefined>;
}

function holds(cond: Condition | undefined, topology: Topology, backend: string | undefined): boolean {
  if (!cond) return true;
  if (cond.topologies && !cond.topologies.includes(topology)) return false;
  if (cond.backends && (backend === undefined || !cond.backends.includes(backend))) return false;
  return true;
}

/** (site, targetSite) pairs of a placement. */
function placeUnits(placement: Placement, ctx: Context): Array<[string, string]> {
  switch (placement) {
    case 'core':
      return [[ctx.core, ctx.core]];
    case 'edges':
      return ctx.edges.map((s) => [s, s]);
    case 'all-sites':
      return ctx.sites.map((s) => [s, s]);
    case 'global':
      return [[GLOBAL_SITE, ctx.core]];
    case 'edges-at-core':
      return ctx.edges.map((s) => [s, ctx.core]);
  }
}

/** Picks the instance(s) of a step a unit depends on; [] when none applies. (Hot loop: no closures.) */
function resolve(unit: Unit, ref: DependencyRef, instances: Map<string, Unit>, core: string): Unit[] {
  let found: Unit | undefined;
  switch (ref.scope) {
    case 'same-site':
      found = instances.get(unit.site);
      break;
    case 'core':
      found = instances.get(core);
      break;
    case 'global':
      found = instances.get(GLOBAL_SITE);
      break;
    case 'cell':
      found = instances.get(unit.cell ?? unit.site);
      break;
    case 'all-sites':
      return [...instances.values()];
    case 'nearest':
      found =
        instances.get(unit.site) ??
        (unit.cell !== undefined ? instances.get(unit.cell) : undefined) ??
        instances.get(core) ??
        instances.get(GLOBAL_SITE);
      break;
  }
  return found ? [found] : [];
}

export interface BuildPlanOptions {
  catalog?: Catalog;
}

/** Builds the plan of a DistributedCloud over the given EdgeSites (all EdgeSites known, selected or not). */
export function buildPlan(dc: DistributedCloud, edgeSites: readonly EdgeSite[], options: BuildPlanOptions = {}): Plan {
  return buildPlanFromSpec(dc.spec, edgeSites, options);
}

export function buildPlanFromSpec(
  spec: DistributedCloudSpec,
  edgeSites: readonly EdgeSite[],
  options: BuildPlanOptions = {},
): Plan {
  const catalog = options.catalog ?? CATALOG;
  const selection = selectSites(spec, edgeSites);
  const { sites, coreSite: core } = selection;
  const topology = spec.topology;
  const components = catalog.filter((c) => c.enabled(spec));
  const enabledNames = new Set(components.map((c) => c.name));
  for (const c of components)
    for (const r of c.requires ?? [])
      if (!enabledNames.has(r))
        throw new PlanError('MissingRequirement', `${c.name} requires ${r}, which is disabled (spec.services.${r})`);

  const backends = new Map(components.map((c) => [c.name, c.backend?.(spec)]));
  checkGalera(topology, backends.get('database'), selection);

  const ctx: Context = { topology, core, sites, edges: sites.filter((s) => s !== core), backends };
  // 1. instantiate units; index them by step then site
  const units: Unit[] = [];
  const refs: DependencyRef[][] = [];
  const index = new Map<string, Map<string, Unit>>();
  for (const c of components) instantiate(c, ctx, units, refs, index);

  // 2. resolve dependency references into unit ids
  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    const deps = new Set<string>();
    for (const ref of refs[i]!) {
      const instances = index.get(stepKey(ref.component, ref.step));
      if (!instances) continue; // step not in this plan: component disabled, other backend or topology
      if (!holds(ref.when, topology, backends.get(ref.component))) continue;
      const found = resolve(unit, ref, instances, core);
      if (found.length === 0 && !ref.optional)
        throw new PlanError(
          'UnresolvedDependency',
          `catalog: ${unit.id} depends on ${stepKey(ref.component, ref.step)} (scope ${ref.scope}) but no instance ` +
            `serves it in topology ${topology}`,
        );
      for (const u of found) if (u !== unit) deps.add(u.id); // a step never waits for itself
    }
    unit.dependsOn = [...deps];
  }
  return planFromUnits(units, { sites, coreSite: core, topology, pausedSites: selection.pausedSites });
}

function instantiate(
  c: ComponentDefinition,
  ctx: Context,
  units: Unit[],
  refs: DependencyRef[][],
  index: Map<string, Map<string, Unit>>,
): void {
  const backend = ctx.backends.get(c.name);
  for (const step of c.steps) {
    if (step.backends && (backend === undefined || !step.backends.includes(backend))) continue;
    const placement = step.placement[ctx.topology];
    if (!placement) continue;
    const instances = new Map<string, Unit>();
    for (const [site, targetSite] of placeUnits(placement, ctx)) {
      const unit: Unit = {
        id: unitId(c.name, step.id, site),
        component: c.name,
        step: step.id,
        site,
        targetSite,
        kind: step.kind,
        dependsOn: [],
        expectedSeconds: expectedSecondsFor(step, backend),
      };
      // cells topology: every edge site is a Nova cell named after the site
      if (ctx.topology === 'cells' && site !== ctx.core && site !== GLOBAL_SITE) unit.cell = site;
      units.push(unit);
      refs.push(step.dependsOn);
      instances.set(site, unit);
    }
    if (instances.size > 0) index.set(stepKey(c.name, step.id), instances);
  }
}

/** Refuses a galera cluster stretched over sites slower than GALERA_MAX_RTT_MILLIS from the core. */
function checkGalera(topology: Topology, dbType: string | undefined, selection: SiteSelection): void {
  if (dbType !== 'galera' || topology !== 'distributed') return; // elsewhere each galera cluster stays on one site
  const slow = selection.sites
    .filter((n) => n !== selection.coreSite)
    .map((n) => ({ site: n, rttMillis: selection.byName.get(n)!.spec.network?.rttMillis ?? 0 }))
    .filter((s) => s.rttMillis > GALERA_MAX_RTT_MILLIS);
  if (slow.length > 0) throw new GaleraLatencyError(slow, GALERA_MAX_RTT_MILLIS);
}
