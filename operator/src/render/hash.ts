// Stable JSON (sorted keys) and SHA-256 helpers: the basis of input hashes, config hashes and spec-hash annotations.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted recursively, so equal values always serialise to equal strings. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value));
}

/** Returns a copy of value whose plain objects have their keys in sorted order (arrays keep their order). */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeysDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeysDeep(v);
    }
    return out as T;
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Full hex SHA-256 of the stable JSON of value. */
export function hashOf(value: unknown): string {
  return sha256Hex(stableStringify(value));
}

/** First 8 hex characters of hashOf(value): short enough for object names. */
export function shortHash(value: unknown): string {
  return hashOf(value).slice(0, 8);
}
