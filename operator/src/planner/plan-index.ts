// Lookups over one plan, built once (O(units)) so renderers answer "which sites host this step", "does this site host
// it" or "what runs on this cluster" without scanning every unit again.
import { GLOBAL_SITE, type Plan, type Unit } from './types.js';

export interface PlanIndex {
  /** Sites (sorted, `global` excluded) that host a unit of `${component}-${step}`. */
  sitesHosting(component: string, step: string): readonly string[];
  /** Whether `site` hosts a unit of `${component}-${step}` (O(1); `sitesHosting(...).includes(site)`). */
  hosts(component: string, step: string, site: string): boolean;
  /** Units whose objects go to `site`'s cluster (targetSite), in plan order. */
  unitsOn(site: string): readonly Unit[];
}

const NONE: readonly never[] = [];
const NO_SITE: ReadonlySet<string> = new Set();

export function indexPlan(plan: Pick<Plan, 'units'>): PlanIndex {
  const hosts = new Map<string, Set<string>>();
  const onSite = new Map<string, Unit[]>();
  for (const u of plan.units) {
    if (u.site !== GLOBAL_SITE) {
      const key = `${u.component}\u0000${u.step}`;
      let set = hosts.get(key);
      if (!set) hosts.set(key, (set = new Set()));
      set.add(u.site);
    }
    let list = onSite.get(u.targetSite);
    if (!list) onSite.set(u.targetSite, (list = []));
    list.push(u);
  }
  const sorted = new Map([...hosts].map(([k, s]) => [k, [...s].sort()]));
  return {
    sitesHosting: (component, step) => sorted.get(`${component}\u0000${step}`) ?? NONE,
    hosts: (component, step, site) => (hosts.get(`${component}\u0000${step}`) ?? NO_SITE).has(site),
    unitsOn: (site) => onSite.get(site) ?? NONE,
  };
}
