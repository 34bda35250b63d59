// Removing what a DistributedCloud put in member clusters: the order units are torn down in (pure: dependents first,
// a unit goes only when every unit depending on it is gone), deleting a unit's objects, and the owned Namespace.
import type { MemberClients } from '../runtime/clusters.js';
import { classifyError, deleteObject, isNotFound, withTimeout } from './apply.js';
import { sameOwner } from './ownership.js';
import type { LiveObject } from './readiness.js';

/**
 * Units that may be deleted now: present ones none of whose dependents (units that list them in dependsOn) is still
 * present. `present` = units with objects left (or unknown because their site is unreachable).
 */
export function unitsToTearDown(
  present: ReadonlySet<string>,
  dependsOn: ReadonlyMap<string, readonly string[]>,
): string[] {
  const blocked = new Set<string>();
  for (const id of present) for (const dep of dependsOn.get(id) ?? []) if (dep !== id) blocked.add(dep);
  return [...present].filter((id) => !blocked.has(id)).sort();
}

/** Deletes the live objects of a unit (Background propagation). Returns how many deletes were issued. */
export async function deleteUnitObjects(clients: MemberClients, objects: readonly LiveObject[]): Promise<number> {
  let issued = 0;
  for (const obj of objects) {
    if (obj.metadata?.deletionTimestamp) continue;
    await deleteObject(clients, obj);
    issued++;
  }
  return issued;
}

/**
 * Deletes a DistributedCloud's member Namespace in a member cluster — only when it carries that DistributedCloud's
 * owner labels (`owner`: dc, dc-namespace, dc-uid, as render/labels.ts ownerLabels gives them); any other namespace
 * of that name is left alone — and reports whether it is gone (or not ours).
 */
export async function deleteOwnedNamespace(
  clients: MemberClients,
  name: string,
  owner: Record<string, string>,
): Promise<boolean> {
  const what = `namespace ${name}`;
  try {
    const ns = await withTimeout(clients.core.readNamespace({ name }), `read ${what}`);
    if (!sameOwner(ns as LiveObject, { metadata: { labels: owner } })) return true; // not ours: leave it
    if (ns.metadata?.deletionTimestamp) return false;
    await withTimeout(clients.core.deleteNamespace({ name, propagationPolicy: 'Background' }), `delete ${what}`);
    return false;
  } catch (error) {
    if (isNotFound(error)) return true;
    throw classifyError(error, clients.site, `delete ${what}`);
  }
}
