// The generated-credentials Secret of a DistributedCloud in the management cluster (keys `<secret>.<key>`): built here
// once for both its users — `discovery render` writes it to management/, the operator creates and extends it — and
// read back with generatedSecretsFromData.
import type { DistributedCloud } from '../api/types.js';
import { secretOf } from './k8s.js';
import { LABEL_DC, MANAGED_BY, PART_OF, finalizeObject, labelValue } from './labels.js';
import type { GeneratedSecrets, K8sObject } from './types.js';

type Owner = Pick<DistributedCloud, 'metadata'>;

/** Name of the management-cluster Secret holding the generated credentials of a DistributedCloud. */
export function generatedSecretsName(dc: Owner): string {
  return `${dc.metadata.name ?? 'discovery'}-generated-secrets`;
}

/** Labels of objects that belong to a DistributedCloud as a whole (not to one unit). */
export function dcLabels(dc: Owner, name: string): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/instance': labelValue(dc.metadata.name ?? 'discovery'),
    'app.kubernetes.io/name': name,
    [LABEL_DC]: labelValue(dc.metadata.name ?? 'discovery'),
  };
}

/** The generated-secrets Secret holding `secrets` (values base64-encoded, keys sorted), in the DC's namespace. */
export function generatedSecretsObject(dc: Owner, secrets: GeneratedSecrets): K8sObject {
  const data: Record<string, string> = {};
  for (const name of Object.keys(secrets).sort()) {
    for (const key of Object.keys(secrets[name]!).sort()) data[`${name}.${key}`] = secrets[name]![key]!;
  }
  return finalizeObject(
    secretOf(generatedSecretsName(dc), data),
    dcLabels(dc, 'generated-secrets'),
    {},
    dc.metadata.namespace ?? 'default',
  );
}

/** Reads generated secrets back from the Secret's base64 `data` (inverse of generatedSecretsObject). */
export function generatedSecretsFromData(data: Record<string, string> | undefined): GeneratedSecrets {
  const out: GeneratedSecrets = {};
  for (const [k, b64] of Object.entries(data ?? {})) {
    const dot = k.lastIndexOf('.');
    if (dot <= 0) continue;
    (out[k.slice(0, dot)] ??= {})[k.slice(dot + 1)] = Buffer.from(b64, 'base64').toString('utf8');
  }
  return out;
}

/** Keys of `next` absent from `existing` (what a grown plan adds to the stored Secret). */
export function addedSecrets(existing: GeneratedSecrets, next: GeneratedSecrets): GeneratedSecrets {
  const added: GeneratedSecrets = {};
  for (const [secret, keys] of Object.entries(next))
    for (const [k, v] of Object.entries(keys)) if (existing[secret]?.[k] === undefined) (added[secret] ??= {})[k] = v;
  return added;
}
