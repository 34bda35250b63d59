// The generated-credentials Secret of a DistributedCloud in the management cluster: created once with everything the
// plan needs, extended with the keys a grown plan adds, never changed otherwise, read back on every reconcile, and
// deleted last at teardown. The Secret itself is built by render/generated-secrets.ts, as for `discovery render`.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
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

export type SecretsApi = Pick<
  CoreV1Api,
  'readNamespacedSecret' | 'createNamespacedSecret' | 'patchNamespacedSecret' | 'deleteNamespacedSecret'
>;

type Owner = Pick<DistributedCloud, 'metadata'>;

/** The credentials of `dc`, with every `required` one present in the stored Secret (created or extended here). */
export async function ensureGeneratedSecrets(
  core: SecretsApi,
  dc: Owner,
  required: RequiredSecret[],
  random: RandomBytes = (n) => randomBytes(n),
): Promise<GeneratedSecrets> {
  const namespace = dc.metadata.namespace ?? 'default';
  const name = generatedSecretsName(dc);
  let existing: GeneratedSecrets | undefined;
  try {
    existing = generatedSecretsFromData((await core.readNamespacedSecret({ name, namespace })).data);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const values = generateMissingSecrets(existing ?? {}, required, random);
  if (existing === undefined) {
    try {
      await core.createNamespacedSecret({ namespace, body: generatedSecretsObject(dc, values) });
      return values;
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
      // created concurrently (another replica, a previous attempt): read back what won
      const secret = await core.readNamespacedSecret({ name, namespace });
      return generateMissingSecrets(generatedSecretsFromData(secret.data), required, random);
    }
  }
  const added = addedSecrets(existing, values);
  if (Object.keys(added).length > 0)
    await core.patchNamespacedSecret(
      { name, namespace, body: { data: generatedSecretsObject(dc, added).data } },
      mergePatch,
    );
  return values;
}

/** Deletes the Secret (gone already counts as done). */
export async function deleteGeneratedSecrets(core: SecretsApi, dc: Owner): Promise<void> {
  try {
    await core.deleteNamespacedSecret({
      name: generatedSecretsName(dc),
      namespace: dc.metadata.namespace ?? 'default',
    });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
