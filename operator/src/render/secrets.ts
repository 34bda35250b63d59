// Generated credentials seam: the shape of a required secret (each service module lists its own; the registry
// gathers those a plan needs), a generator that fills only the missing ones from injected randomness, and the one
// read path of renderers. Renderers only read the map, so re-rendering never changes a credential.
import { RenderError, type GeneratedSecrets, type RenderContext } from './types.js';

export type SecretValueKind = 'password' | 'fernet-key' | 'cookie';

export interface RequiredSecret {
  name: string;
  keys: Record<string, SecretValueKind>;
}

/** A secret holding one generated password (key `password`). */
export function passwordSecret(name: string): RequiredSecret {
  return { name, keys: { password: 'password' } };
}

/** Source of randomness, injected so the generator is testable: returns `n` random bytes. */
export type RandomBytes = (n: number) => Uint8Array;

function generateValue(kind: SecretValueKind, randomBytes: RandomBytes): string {
  switch (kind) {
    case 'password':
      // 24 bytes -> 32 URL-safe characters: safe inside connection strings and transport URLs without escaping.
      return Buffer.from(randomBytes(24)).toString('base64url');
    case 'fernet-key':
      // Fernet keys are 32 bytes, URL-safe base64 WITH padding (what keystone-manage fernet_setup writes).
      return Buffer.from(randomBytes(32)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    case 'cookie':
      return Buffer.from(randomBytes(30)).toString('hex').toUpperCase();
  }
}

/**
 * Returns existing secrets plus generated values for every required key that is missing. Existing values are never
 * replaced; extra existing entries are kept. Keys are visited in sorted order so a given random stream always
 * produces the same map.
 */
export function generateMissingSecrets(
  existing: GeneratedSecrets,
  required: RequiredSecret[],
  randomBytes: RandomBytes,
): GeneratedSecrets {
  const out: GeneratedSecrets = {};
  for (const [name, values] of Object.entries(existing)) out[name] = { ...values };
  for (const req of [...required].sort((a, b) => a.name.localeCompare(b.name))) {
    const target = (out[req.name] ??= {});
    for (const key of Object.keys(req.keys).sort()) {
      if (target[key] === undefined || target[key] === '') target[key] = generateValue(req.keys[key]!, randomBytes);
    }
  }
  return out;
}

/** Names of required secrets/keys absent from `secrets` (e.g. ["database-root.password"]). */
export function missingSecrets(secrets: GeneratedSecrets, required: RequiredSecret[]): string[] {
  const missing: string[] = [];
  for (const req of required) {
    for (const key of Object.keys(req.keys)) if (!secrets[req.name]?.[key]) missing.push(`${req.name}.${key}`);
  }
  return missing.sort();
}

/** Reads one generated value; a missing value is a render error (generate secrets before rendering). */
export function secretValue(ctx: RenderContext, name: string, key = 'password'): string {
  const v = ctx.secrets[name]?.[key];
  if (v === undefined || v === '') {
    throw new RenderError(`generated secret ${name}.${key} is missing: run generateMissingSecrets before rendering`);
  }
  return v;
}
