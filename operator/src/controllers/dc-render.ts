// Planning and rendering for the DistributedCloud controller, sliced and cached across reconciles. A rolling-out DC
// is reconciled every 2 s with, most of the time, the same spec, EdgeSites and credentials: the plan and every
// unit's objects (with their inputHash) are kept per DC, keyed by a hash of exactly what they are computed from, and
// recomputed only when that changes. Rendering runs as a generator the controller slices (runtime/slicer.ts), so a
// re-render of a 1,000-site DC never holds the event loop for long. Pure apart from the caches.
import { createHash } from 'node:crypto';
import type { DistributedCloud, EdgeSite } from '../api/types.js';
import { unitInputHash } from '../engine/state.js';
import type { Plan } from '../planner/index.js';
import type { TenantNamespace } from '../planner/tenancy.js';
import { AddressPending, EXPOSED_SUFFIX, exposedKey } from '../render/endpoints.js';
import { ANNOTATION_SIMULATED_DURATIONS } from '../render/simulated-durations.js';
import { renderOrder, renderUnit, RenderError, type GeneratedSecrets, type RenderContext } from '../render/index.js';
import { runSync } from '../runtime/slicer.js';
import { planDistributedCloud, type DesiredObjects, type Planned, type SiteState } from './dc-decide.js';

type Desired = DesiredObjects extends ReadonlyMap<string, infer V> ? V : never;

function digest(parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(JSON.stringify(p) ?? 'undefined').update('\u0000');
  return h.digest('hex');
}

/**
 * What the plan is computed from: the DC's spec, every EdgeSite's name, labels and spec (not their status; spec
 * includes spec.tenancy) and the tenant namespace the tenancy model admits or refuses (its name and labels; none
 * when planning without tenancy, e.g. for teardown).
 */
export function planInputsKey(
  dc: Pick<DistributedCloud, 'spec'>,
  edgeSites: readonly EdgeSite[],
  tenant?: TenantNamespace,
): string {
  return digest([
    dc.spec,
    edgeSites.map((s) => [s.metadata.name, s.metadata.labels ?? {}, s.spec]),
    tenant ? [tenant.name, tenant.labels ?? null] : null,
  ]);
}

/**
 * What rendering reads: the DC's name, namespace, uid (the dc-uid owner label), simulated-durations annotation and
 * (defaulted) spec (spec.images included), every EdgeSite's name, labels, annotations, spec (spec.tenancy included) and read-back address, the
 * generated credentials, the nodePorts read back from the live `-wan` Services, and the plan (itself a function of the
 * first two and the tenant namespace, given by its key).
 */
export function renderInputsKey(
  dc: Pick<DistributedCloud, 'metadata' | 'spec'>,
  edgeSites: Iterable<EdgeSite>,
  secrets: GeneratedSecrets,
  planKey: string,
  exposed: ReadonlyMap<string, number> = new Map(),
): string {
  const sites = [...edgeSites].map((s) => [
    s.metadata.name,
    s.metadata.labels ?? {},
    s.metadata.annotations ?? {},
    s.spec,
    s.status?.address ?? null,
  ]);
  const { name, namespace, uid } = dc.metadata;
  const simulated = dc.metadata.annotations?.[ANNOTATION_SIMULATED_DURATIONS] ?? null;
  return digest([planKey, name, namespace, uid, dc.spec, simulated, sites, secrets, [...exposed].sort()]);
}

/**
 * The nodePorts of this DC's live `<svc>-wan` NodePort Services (services/exposure.ts) on every observed site, keyed
 * `<site>/<svc>/<port>` (render/endpoints.ts exposedKey).
 */
export function exposedNodePorts(
  observed: ReadonlyMap<string, { state: Pick<SiteState, 'live'> }>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [site, { state }] of observed) {
    for (const obj of state.live.values()) {
      const name = obj.metadata?.name ?? '';
      if (obj.kind !== 'Service' || !name.endsWith(EXPOSED_SUFFIX) || obj.metadata?.deletionTimestamp) continue;
      const spec = obj.spec as { type?: string; ports?: Array<{ port?: number; nodePort?: number }> } | undefined;
      if (spec?.type !== 'NodePort') continue;
      for (const p of spec.ports ?? [])
        if (p.port !== undefined && p.nodePort !== undefined)
          out.set(exposedKey(site, name.slice(0, -EXPOSED_SUFFIX.length), p.port), p.nodePort);
    }
  }
  return out;
}

/** Every planned unit's objects and inputHash, or the render error that keeps it Failed; yields between units. */
export function* renderDesiredSteps(plan: Plan, ctx: RenderContext): Generator<void, DesiredObjects, undefined> {
  const desired = new Map<string, Desired>();
  for (const unit of renderOrder(plan.units)) {
    try {
      const objects = renderUnit(unit, ctx);
      desired.set(unit.id, { objects, inputHash: unitInputHash(objects) });
    } catch (error) {
      if (error instanceof AddressPending) desired.set(unit.id, { waiting: error.message });
      else if (error instanceof RenderError) desired.set(unit.id, { error: error.message });
      else throw error;
    }
    yield;
  }
  // plan order (status tables and scheduling tie-breaks follow it)
  return new Map(plan.units.map((u) => [u.id, desired.get(u.id)!]));
}

/** renderDesiredSteps run to its end. */
export function renderDesired(plan: Plan, ctx: RenderContext): DesiredObjects {
  return runSync(renderDesiredSteps(plan, ctx));
}

/** The last plan and rendering of each DistributedCloud, with the keys of their inputs. */
export class PlanRenderCache {
  private readonly plans = new Map<string, { key: string; planned: Planned }>();
  private readonly renders = new Map<string, { key: string; desired: DesiredObjects }>();
  hits = { plan: 0, render: 0 };
  misses = { plan: 0, render: 0 };

  /**
   * The DC's plan (or why it has none), rebuilt only when its spec, the EdgeSites or the tenant namespace (name and
   * labels, for spec.tenancy) changed.
   */
  plan(
    dcKey: string,
    dc: DistributedCloud,
    edgeSites: readonly EdgeSite[],
    tenant?: TenantNamespace,
  ): Planned & { key: string } {
    const key = planInputsKey(dc, edgeSites, tenant);
    const cached = this.plans.get(dcKey);
    if (cached?.key === key) {
      this.hits.plan++;
      return { ...cached.planned, key };
    }
    this.misses.plan++;
    const planned = planDistributedCloud(dc, edgeSites, tenant);
    this.plans.set(dcKey, { key, planned });
    return { ...planned, key };
  }

  /** The rendering of `key`'s inputs when cached, else undefined (render with renderDesiredSteps, then `store`). */
  rendered(dcKey: string, key: string): DesiredObjects | undefined {
    const cached = this.renders.get(dcKey);
    if (cached?.key === key) {
      this.hits.render++;
      return cached.desired;
    }
    this.misses.render++;
    return undefined;
  }

  store(dcKey: string, key: string, desired: DesiredObjects): void {
    this.renders.set(dcKey, { key, desired });
  }

  forget(dcKey: string): void {
    this.plans.delete(dcKey);
    this.renders.delete(dcKey);
  }
}
