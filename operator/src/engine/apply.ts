// The one write path to member clusters: server-side apply of rendered objects under our own fieldManager (force),
// the owned Namespace first, pruning of a unit's objects no longer rendered, and typed errors (unreachable cluster →
// TemporaryError naming the site; object refused by the API server → InvalidObjectError, the unit fails).
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { MemberClients } from '../runtime/clusters.js';
import { describeError } from '../runtime/redact.js';
import { TemporaryError } from '../runtime/workqueue.js';
import { LABEL_DC_UID as OWNER_UID_LABEL } from '../render/labels.js';
import type { K8sObject } from '../render/types.js';
import { describeOwner, sameOwner } from './ownership.js';
import type { LiveObject } from './readiness.js';

export const FIELD_MANAGER = 'discovery-operator';
/** How long one API call to a member cluster may take before the site counts as unreachable. */
export const MEMBER_CALL_TIMEOUT_MS = 10_000;

/** The API server refused an object (422 invalid, 400 bad request, 403 forbidden): the unit fails with this message. */
export class InvalidObjectError extends Error {
  override readonly name = 'InvalidObjectError';
  constructor(
    readonly object: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An object (or the member namespace) we are about to write exists and is not this DistributedCloud's: Discovery never
 * adopts it. The unit fails with a message naming the object and its owner; nothing is written to it.
 */
export class OwnershipConflictError extends InvalidObjectError {
  constructor(
    site: string,
    obj: { kind?: string; metadata?: { name?: string; namespace?: string } },
    live: LiveObject,
  ) {
    super(
      describeObject(obj),
      `OwnershipConflict: ${describeObject(obj)} on site ${site} already exists and is not this ` +
        `DistributedCloud's (${describeOwner(live)}): Discovery never adopts an object it did not create for this ` +
        'DistributedCloud; remove it, or delete the DistributedCloud that owns it',
    );
  }
}

/** A member cluster did not answer (connection refused/reset, timeout, 5xx, 429). */
export class SiteUnreachableError extends TemporaryError {
  constructor(
    readonly site: string,
    detail: string,
  ) {
    super(`site ${site} unreachable: ${detail}`);
  }
}

function statusCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** True for NotFound answers (deleting something already gone is success). */
export function isNotFound(error: unknown): boolean {
  return statusCode(error) === 404;
}

/** Maps an API call failure to the operator's typed errors. */
export function classifyError(error: unknown, site: string, what: string): Error {
  if (error instanceof TemporaryError || error instanceof InvalidObjectError) return error;
  const code = statusCode(error);
  const detail = describeError(error);
  if (code === 400 || code === 403 || code === 422) return new InvalidObjectError(what, `${what}: ${detail}`);
  if (code === undefined || code >= 500 || code === 429) return new SiteUnreachableError(site, detail);
  // 404 (namespace vanished), 409 (conflict): worth retrying soon
  return new TemporaryError(`site ${site}: ${what}: ${detail}`, 2000);
}

/** Runs an API call with a deadline: a hung member cluster must not stall a reconcile. */
export async function withTimeout<T>(call: Promise<T>, what: string, timeoutMs = MEMBER_CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs}ms`)), timeoutMs);
  });
  try {
    return await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function describeObject(obj: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind ?? 'object'} ${ns}${obj.metadata?.name ?? ''}`;
}

/** Server-side apply of one object (fieldManager discovery-operator, force). Throws classified errors. */
export async function applyObject(clients: MemberClients, obj: K8sObject): Promise<void> {
  const what = `apply ${describeObject(obj)}`;
  try {
    await withTimeout(
      clients.objects.patch(
        obj as unknown as KubernetesObject,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      ),
      what,
    );
  } catch (error) {
    throw classifyError(error, clients.site, what);
  }
}

/** Delete one object (propagationPolicy Background); NotFound counts as done. */
export async function deleteObject(clients: MemberClients, obj: LiveObject): Promise<void> {
  const what = `delete ${describeObject(obj)}`;
  if (obj.metadata?.deletionTimestamp) return; // already on its way out
  try {
    await withTimeout(
      clients.objects.delete(
        {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      ),
      what,
    );
  } catch (error) {
    if (isNotFound(error)) return;
    throw classifyError(error, clients.site, what);
  }
}

/**
 * Refuses (OwnershipConflictError) to write `obj` over an existing object that is not ours: reads it first. Used for
 * objects the owned-object caches do not show as ours (a first apply, a missing object being re-created), since an
 * object of the same name made by someone else carries no owner label and is not in those caches.
 */
export async function ensureNotForeign(clients: MemberClients, obj: K8sObject): Promise<void> {
  const what = `read ${describeObject(obj)}`;
  let live: LiveObject;
  try {
    live = (await withTimeout(
      clients.objects.read({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace },
      }),
      what,
    )) as unknown as LiveObject;
  } catch (error) {
    if (isNotFound(error)) return;
    throw classifyError(error, clients.site, what);
  }
  if (!sameOwner(live, obj)) throw new OwnershipConflictError(clients.site, obj, live);
}

export interface UnitApplyResult {
  applied: number;
  pruned: number;
}

/**
 * Applies a unit's objects in order (config before workloads, as rendered), then deletes `stale` — live objects
 * carrying the unit's label that are no longer rendered (e.g. the Job of a previous inputHash). Objects `known(obj)`
 * does not vouch for as ours are read first and refused if they exist and are someone else's (nothing of the unit is
 * written then).
 */
export async function applyUnitObjects(
  clients: MemberClients,
  objects: readonly K8sObject[],
  stale: readonly LiveObject[] = [],
  known: (obj: K8sObject) => boolean = () => false,
): Promise<UnitApplyResult> {
  for (const obj of objects) if (!known(obj)) await ensureNotForeign(clients, obj);
  for (const obj of objects) await applyObject(clients, obj);
  for (const obj of stale) await deleteObject(clients, obj);
  return { applied: objects.length, pruned: stale.length };
}

/**
 * Makes sure a DistributedCloud's member namespace exists in a member cluster, and is its own: created with the owner
 * labels of `namespace` (dc, dc-namespace, dc-uid); an existing one carrying other owner labels (or none: made by
 * hand, by another tool, by a DistributedCloud of the same name deleted earlier) is refused with an
 * OwnershipConflictError and left untouched. Remembers namespaces already checked (per site and credentials).
 */
export class NamespaceEnsurer {
  private readonly done = new Set<string>();

  async ensure(clients: MemberClients, namespace: K8sObject): Promise<void> {
    const name = namespace.metadata.name;
    const key = `${clients.site}|${clients.hash}|${name}|${namespace.metadata.labels?.[OWNER_UID_LABEL] ?? ''}`;
    if (this.done.has(key)) return;
    const what = `namespace ${name}`;
    try {
      const live = await withTimeout(clients.core.readNamespace({ name }), `read ${what}`);
      if (!sameOwner(live as LiveObject, namespace))
        throw new OwnershipConflictError(clients.site, namespace, live as LiveObject);
    } catch (error) {
      if (error instanceof OwnershipConflictError) throw error;
      if (!isNotFound(error)) throw classifyError(error, clients.site, `read ${what}`);
      try {
        await withTimeout(
          clients.core.createNamespace({
            body: {
              metadata: { name, labels: namespace.metadata.labels, annotations: namespace.metadata.annotations },
            },
            fieldManager: FIELD_MANAGER,
          }),
          `create ${what}`,
        );
      } catch (createError) {
        // created meanwhile (by us in another reconcile, or by someone else): checked on the next pass
        if ((createError as { code?: number }).code === 409)
          throw new TemporaryError(`site ${clients.site}: ${what} created concurrently`, 1000);
        throw classifyError(createError, clients.site, `create ${what}`);
      }
    }
    this.done.add(key);
  }

  /** Forget a site's namespaces (after a NotFound, or when they were deleted). */
  forget(site: string): void {
    for (const k of [...this.done]) if (k.startsWith(`${site}|`)) this.done.delete(k);
  }
}
