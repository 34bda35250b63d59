// Carries out a DistributedCloud decision on the member clusters (the engine's one write path) and reports what
// happened as values: each repair and start's outcome, the sites found unreachable on the way (nothing more is tried
// there in this pass), and the removals that failed. The same for a teardown decision.
import type { DistributedCloud } from '../api/types.js';
import {
  applyObject,
  applyUnitObjects,
  ensureNotForeign,
  InvalidObjectError,
  isNotFound,
  NamespaceEnsurer,
  SiteUnreachableError,
} from '../engine/apply.js';
import { deleteOwnedNamespace, deleteUnitObjects } from '../engine/teardown.js';
import { memberNamespace, ownerLabels } from '../render/labels.js';
import { objectId } from '../engine/state.js';
import type { K8sObject } from '../render/types.js';
import type { MemberClients } from '../runtime/clusters.js';
import type { Logger } from '../runtime/logger.js';
import { describeError } from '../runtime/redact.js';
import type { ActResults, Decision, TeardownDecision, TeardownResults, UnitOutcome } from './dc-decide.js';

/** Most units applied concurrently within one reconcile. */
const APPLY_CONCURRENCY = 8;

export interface ActContext {
  dc: Pick<DistributedCloud, 'metadata'>;
  /** Clients of each site's cluster (sites without usable credentials are absent). */
  clients: ReadonlyMap<string, MemberClients>;
  /** Namespaces already ensured, per site and credentials (kept across reconciles). */
  namespaces: NamespaceEnsurer;
  log: Logger;
}

/** Runs fn over items, at most `limit` at a time; results in item order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Applies a reconcile decision; `namespaceObject(site)` is the DC's Namespace, ensured on a site before applying. */
export async function act(
  decision: Decision,
  ctx: ActContext,
  namespaceObject: (site: string) => K8sObject,
): Promise<ActResults> {
  /** Sites that stopped answering during this pass: nothing more is tried there. */
  const lost = new Map<string, string>();
  const failed = (unit: string, site: string, error: unknown): UnitOutcome => {
    if (error instanceof InvalidObjectError) {
      ctx.log.warn('unit apply refused', { unit, site, error: error.message });
      return { unit, result: 'refused', message: error.message };
    }
    if (error instanceof SiteUnreachableError)
      lost.set(site, describeError(error).replace(/^site \S+ unreachable: /, ''));
    if (isNotFound(error)) ctx.namespaces.forget(site);
    ctx.log.warn('unit apply failed', { unit, site, error: describeError(error) });
    return { unit, result: 'error', message: describeError(error) };
  };
  const ensureNamespace = (site: string, clients: MemberClients) =>
    ctx.namespaces.ensure(clients, namespaceObject(site));

  const repairs = await mapLimit(decision.repairs, APPLY_CONCURRENCY, async ({ unit, site, objects }) => {
    const clients = ctx.clients.get(site);
    if (!clients || lost.has(site)) return undefined;
    try {
      await ensureNamespace(site, clients);
      for (const { object, deleteFirst, missing } of objects) {
        if (missing) await ensureNotForeign(clients, object);
        if (deleteFirst) await deleteUnitObjects(clients, [deleteFirst]);
        await applyObject(clients, object);
      }
      ctx.log.info('drift repaired', {
        unit: unit.id,
        site,
        objects: objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`),
      });
      return { unit: unit.id, result: 'applied' } as const;
    } catch (error) {
      return failed(unit.id, site, error);
    }
  });
  const repairOutcomes = repairs.filter((o) => o !== undefined);

  const hold = decision.holdStartsOnFailure && repairOutcomes.some((o) => o.result === 'refused');
  const starts = hold
    ? []
    : await mapLimit(decision.starts, APPLY_CONCURRENCY, async ({ unit, site, objects, stale, known }) => {
        const clients = ctx.clients.get(site);
        if (!clients || lost.has(site)) return undefined;
        try {
          await ensureNamespace(site, clients);
          await applyUnitObjects(clients, objects, stale, (o) => known.has(objectId(o)));
          ctx.log.info('unit applied', { unit: unit.id, site, objects: objects.length, pruned: stale.length });
          return { unit: unit.id, result: 'applied' } as const;
        } catch (error) {
          return failed(unit.id, site, error);
        }
      });

  const problems: string[] = [];
  for (const { unit, site, objects } of decision.prunes) {
    const clients = ctx.clients.get(site);
    if (!clients || lost.has(site)) continue;
    try {
      const issued = await deleteUnitObjects(clients, objects);
      if (issued > 0) ctx.log.info('unit torn down (no longer planned)', { unit, site, objects: issued });
    } catch (error) {
      problems.push(`cannot remove unit ${unit} from site ${site}: ${describeError(error)}`);
    }
  }
  for (const site of decision.namespaceDeletes) {
    const clients = ctx.clients.get(site);
    if (!clients || lost.has(site)) continue;
    try {
      await deleteOwnedNamespace(clients, memberNamespace(ctx.dc, site), ownerLabels(ctx.dc));
      ctx.namespaces.forget(site);
    } catch (error) {
      problems.push(`cannot remove namespace from site ${site}: ${describeError(error)}`);
    }
  }
  return { repairs: repairOutcomes, starts: starts.filter((o) => o !== undefined), unreachable: lost, problems };
}

export async function actTeardown(decision: TeardownDecision, ctx: ActContext): Promise<TeardownResults> {
  for (const { unit, site, objects } of decision.deletes) {
    const clients = ctx.clients.get(site);
    if (!clients) continue;
    try {
      await deleteUnitObjects(clients, objects);
    } catch (error) {
      ctx.log.warn('teardown delete failed', { unit, site, error: describeError(error) });
    }
  }
  const results: TeardownResults = { namespacesGone: true, problems: [] };
  for (const site of decision.namespaceDeletes) {
    const clients = ctx.clients.get(site);
    if (!clients) continue;
    try {
      if (await deleteOwnedNamespace(clients, memberNamespace(ctx.dc, site), ownerLabels(ctx.dc)))
        ctx.namespaces.forget(site);
      else results.namespacesGone = false;
    } catch (error) {
      results.namespacesGone = false;
      results.problems.push(`cannot remove namespace from site ${site}: ${describeError(error)}`);
    }
  }
  return results;
}
