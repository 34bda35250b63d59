// Generated credentials seam: which secrets a plan needs (pure), and a generator that fills only the missing ones
// from injected randomness. Renderers only read the resulting map, so re-rendering never changes a credential.
import type { Plan } from '../planner/types.js';
import { RenderError, type GeneratedSecrets, type RenderContext } from './types.js';

export type SecretValueKind = 'password' | 'fernet-key' | 'cookie';

export interface RequiredSecret {
  name: string;
  keys: Record<string, SecretValueKind>;
}

/** Services owning a database and a Keystone service user. */
export const OPENSTACK_SERVICES = ['keystone', 'glance', 'placement', 'nova'] as const;

/** Names of the generated secrets (keys of GeneratedSecrets). */
export const SECRET = {
  databaseRoot: 'database-root',
  databaseUser: (service: string) => `database-${service}`,
  keystoneAdmin: 'keystone-admin',
  serviceUser: (service: string) => `keystone-user-${service}`,
  messageBus: 'message-bus',
  kvStore: 'kv-store',
  fernetKeys: 'keystone-fernet-keys',
  credentialKeys: 'keystone-credential-keys',
  metadataProxy: 'nova-metadata-proxy',
} as const;

/** Lists every generated secret the plan's components need, sorted by name. Pure. */
export function requiredSecrets(plan: Plan): RequiredSecret[] {
  const components = new Set(plan.units.map((u) => u.component));
  const out: RequiredSecret[] = [];
  if (components.has('database')) out.push({ name: SECRET.databaseRoot, keys: { password: 'password' } });
  for (const s of OPENSTACK_SERVICES) {
    if (!components.has(s)) continue;
    out.push({ name: SECRET.databaseUser(s), keys: { password: 'password' } });
    if (s !== 'keystone') out.push({ name: SECRET.serviceUser(s), keys: { password: 'password' } });
  }
  if (components.has('keystone')) {
    out.push({ name: SECRET.keystoneAdmin, keys: { password: 'password' } });
    out.push({ name: SECRET.fernetKeys, keys: { '0': 'fernet-key', '1': 'fernet-key' } });
    out.push({ name: SECRET.credentialKeys, keys: { '0': 'fernet-key', '1': 'fernet-key' } });
  }
  if (components.has('nova')) out.push({ name: SECRET.metadataProxy, keys: { 'shared-secret': 'password' } });
  if (components.has('message-bus')) {
    out.push({ name: SECRET.messageBus, keys: { password: 'password', 'erlang-cookie': 'cookie' } });
  }
  if (components.has('kv-store')) out.push({ name: SECRET.kvStore, keys: { password: 'password' } });
  return out.sort((a, b) => a.name.localeCompare(b.name));
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
