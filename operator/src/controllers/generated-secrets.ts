// The generated-credentials Secret of a DistributedCloud in the management cluster: created once with everything the
// plan needs, extended with the keys a grown plan adds, never changed otherwise, read back on every reconcile. It
// carries an ownerReference to its DistributedCloud, so the garbage collector removes it once the DistributedCloud is
// gone (after teardown): the operator needs no permission to delete Secrets. The Secret itself is built by
// render/generated-secrets.ts, as for `discovery render`.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION } from '../api/schema/common.js';
import type { DistributedCloud } from '../api/types.js';
import { isNotFound } from '../engine/apply.js';
import {
  addedSecrets,
  generatedSecretsFromData,
  generatedSecretsName,
  generatedSecretsObject,
  generateMissingSecrets,
  type GeneratedSecrets,
  type RandomBytes,
  type RequiredSecret,
} from '../render/index.js';
import { mergePatch } from './context.js';

export type SecretsApi = Pick<CoreV1Api, 'readNamespacedSecret' | 'createNamespacedSecret' | 'patchNamespacedSecret'>;

type Owner = Pick<DistributedCloud, 'metadata'>;

/**
 * The reference that ties the Secret's lifetime to its DistributedCloud (none without a uid, e.g. for objects not read
 * from the API server). Not a controller reference: a Secret left by a deleted DistributedCloud of the same name may
 * still carry that one's reference, and only one reference may be the controller.
 */
export function generatedSecretsOwnerReference(dc: Owner): V1OwnerReference | undefined {
  const uid = dc.metadata.uid;
  if (!uid) return undefined;
  return { apiVersion: API_VERSION, kind: 'DistributedCloud', name: dc.metadata.name ?? '', uid };
}

/**
 * The Secret is gone although the cloud already runs on the credentials it held (its databases, bus and Keystone
 * users were created with them): generating new ones would lock every service out of its own data, so this is
 * reported instead, until the Secret is restored.
 */
export class GeneratedSecretsLostError extends Error {
  override readonly name = 'GeneratedSecretsLostError';
}

export interface EnsureOptions {
  /** The Secret must exist already (units were started with its values): a missing one is lost, not new. */
  mustExist?: boolean;
  random?: RandomBytes;
}

/** The credentials of `dc`, with every `required` one present in the stored Secret (created or extended here). */
export async function ensureGeneratedSecrets(
  core: SecretsApi,
  dc: Owner,
  required: RequiredSecret[],
  options: EnsureOptions = {},
): Promise<GeneratedSecrets> {
  const random = options.random ?? ((n: number) => randomBytes(n));
  const namespace = dc.metadata.namespace ?? 'default';
  const name = generatedSecretsName(dc);
  const ownerRef = generatedSecretsOwnerReference(dc);
  let stored: { data?: Record<string, string>; metadata?: { ownerReferences?: V1OwnerReference[] } } | undefined;
  try {
    stored = await core.readNamespacedSecret({ name, namespace });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (stored === undefined && options.mustExist) {
    throw new GeneratedSecretsLostError(
      `the generated-secrets Secret ${namespace}/${name} is missing but units were already started with its ` +
        'credentials; new ones would lock the services out of their databases: restore the Secret from a backup ' +
        '(or delete and recreate the DistributedCloud to start over)',
    );
  }
  if (stored === undefined) {
    const values = generateMissingSecrets({}, required, random);
    const object = generatedSecretsObject(dc, values);
    const body = ownerRef ? { ...object, metadata: { ...object.metadata, ownerReferences: [ownerRef] } } : object;
    try {
      await core.createNamespacedSecret({ namespace, body });
      return values;
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
      // created concurrently (another replica, a previous attempt): read back what won
      stored = await core.readNamespacedSecret({ name, namespace });
    }
  }
  const existing = generatedSecretsFromData(stored.data);
  const values = generateMissingSecrets(existing, required, random);
  const added = addedSecrets(existing, values);
  const refs = stored.metadata?.ownerReferences ?? [];
  const missingRef = ownerRef !== undefined && !refs.some((r) => r.uid === ownerRef.uid);
  if (Object.keys(added).length > 0 || missingRef)
    await core.patchNamespacedSecret(
      {
        name,
        namespace,
        body: {
          ...(missingRef ? { metadata: { ownerReferences: [...refs, ownerRef] } } : {}),
          ...(Object.keys(added).length > 0 ? { data: generatedSecretsObject(dc, added).data } : {}),
        },
      },
      mergePatch,
    );
  return values;
}
