// Rendering stays linear in units: the work a renderer does on the plan's site lists (index lookups, and every
// element an array scan touches) per unit must not grow with the number of sites, except where the output itself
// lists every site. Counted, not timed: the cells topology once scanned every
// conductor site for every conductor site (cellSite → hostsOwnCell), 26 s for 400 sites.
import { describe, expect, test } from '@jest/globals';
import { benchDistributedCloud, benchSites, type BenchTopology } from '../../../hack/bench/fleet.js';
import type { PlanIndex } from '../../../operator/src/planner/index.js';
import { renderUnit, type RenderContext } from '../../../operator/src/render/index.js';
import { contextFor } from './fixtures.js';

const SCANS = new Set(['includes', 'indexOf', 'filter', 'find', 'findIndex', 'some', 'every', 'map', 'forEach']);

/** A site list that charges every element a scan visits (a whole scan for includes/filter/…, one for an index). */
function counted(list: readonly string[], charge: (n: number) => void): readonly string[] {
  return new Proxy(list as string[], {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && SCANS.has(prop)) charge(target.length);
      else if (typeof prop === 'string' && /^\d+$/.test(prop)) charge(1);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

/**
 * Site-list work of each step (component-step → the most any of its units did), for `n` sites of `topology`. Units
 * are rendered twice and the second pass counted: facts computed once per context (derived.ts) are not per-unit work.
 */
function workPerStep(topology: BenchTopology, n: number): Map<string, number> {
  const base = contextFor(benchDistributedCloud(topology), benchSites(n));
  let work = 0;
  const charge = (k: number) => (work += k);
  const index: PlanIndex = {
    sitesHosting: (c, s) => (charge(1), counted(base.index.sitesHosting(c, s), charge)),
    hosts: (c, s, site) => (charge(1), base.index.hosts(c, s, site)),
    unitsOn: (site) => (charge(1), base.index.unitsOn(site)),
  };
  const plan = { ...base.plan, sites: counted(base.plan.sites, charge) as string[] };
  const ctx: RenderContext = { ...base, index, plan };
  for (const unit of plan.units) renderUnit(unit, ctx);
  const perStep = new Map<string, number>();
  for (const unit of plan.units) {
    const before = work;
    renderUnit(unit, ctx);
    const step = `${unit.component}-${unit.step}`;
    perStep.set(step, Math.max(perStep.get(step) ?? 0, work - before));
  }
  return perStep;
}

/** Steps whose site-list work per unit grew between 20 and `n` sites. */
function growing(topology: BenchTopology, n: number, exempt: string[] = []): string[] {
  const small = workPerStep(topology, 20);
  const large = workPerStep(topology, n);
  return [...large]
    .filter(([step, w]) => !exempt.includes(step) && w > (small.get(step) ?? 0) + 2)
    .map(([step, w]) => `${step}: ${small.get(step)} → ${w}`);
}

describe('rendering is linear in units', () => {
  test.each(['cells', 'centralized', 'distributed'] as const)(
    '%s: no step does more site-list work as sites grow',
    (topology) => {
      expect(growing(topology, topology === 'distributed' ? 80 : 160)).toEqual([]);
    },
  );
});
