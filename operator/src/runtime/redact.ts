// Scrubs credentials (kubeconfigs, tokens, certificates, keys, passwords) out of values before they are logged or
// put into errors, events and status messages. Member-cluster credentials must never leave the process.

export const REDACTED = '[REDACTED]';

/** Normalized field-name fragments whose string values are credentials. */
const SENSITIVE_FRAGMENTS = [
  'kubeconfig',
  'token',
  'password',
  'passwd',
  'secret',
  'credential',
  'authorization',
  'bearer',
  'privatekey',
  'clientkey',
  'certificate',
  'certdata',
  'keydata',
  'cadata',
  'tlskey',
  'tlscrt',
  'cacrt',
  'apikey',
];
/** Suffixes marking references to credentials (names, paths), which are safe and useful to log. */
const SAFE_SUFFIXES = ['ref', 'refs', 'name', 'names', 'namespace', 'path', 'file', 'type', 'key'];

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const YAML_CREDENTIAL =
  /\b(client-key-data|client-certificate-data|certificate-authority-data|token|password|id-token|refresh-token|access-token)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi;
/** A base64-encoded kubeconfig ("apiVersion: v1\nkind: Config..." encodes to this prefix family) or PEM. */
const BASE64_BLOB = /\b(YXBpVmVyc2lvbj|LS0tLS1CRUdJTi|a2luZDogQ29uZmln)[A-Za-z0-9+/=]{16,}/g;
/** Long base64 runs (cert/key data) that slipped through in free text. */
const LONG_BASE64 = /[A-Za-z0-9+/]{120,}={0,2}/g;

/** Scrub credential-looking substrings from free text (error messages, stack traces, log lines). */
export function redactString(text: string): string {
  return text
    .replace(PEM_BLOCK, '[REDACTED PEM]')
    .replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(YAML_CREDENTIAL, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`)
    .replace(BASE64_BLOB, REDACTED)
    .replace(LONG_BASE64, REDACTED);
}

/** Is a field with this name a credential (kubeconfig, token, password, tls.key...) rather than a reference? */
export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.]/g, '');
  if (!SENSITIVE_FRAGMENTS.some((f) => k.includes(f))) return false;
  const exempt = SAFE_SUFFIXES.some((s) => k.endsWith(s)) && !/(private|client|tls|api)key$/.test(k);
  return !exempt;
}

/**
 * Deep copy of value with credentials scrubbed: string values under sensitive field names are replaced, a Secret's
 * data/stringData values are replaced, free text is scrubbed with redactString. Errors become plain objects with
 * their (scrubbed) name, message, stack, code and statusCode.
 */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return REDACTED;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) return redactValue(errorToObject(value), seen);
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, seen));
  const record = value as Record<string, unknown>;
  const isSecret = record.kind === 'Secret';
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    if (isSecret && (key === 'data' || key === 'stringData') && v && typeof v === 'object') {
      out[key] = Object.fromEntries(Object.keys(v).map((k) => [k, REDACTED]));
    } else if (isSensitiveKey(key) && (typeof v === 'string' || Buffer.isBuffer(v))) {
      out[key] = v === '' ? '' : REDACTED;
    } else {
      out[key] = redactValue(v, seen);
    }
  }
  return out;
}

function errorToObject(error: Error): Record<string, unknown> {
  const e = error as Error & { code?: unknown; statusCode?: unknown; cause?: unknown };
  const out: Record<string, unknown> = { name: e.name, message: e.message };
  if (e.code !== undefined) out.code = e.code;
  if (e.statusCode !== undefined) out.statusCode = e.statusCode;
  if (e.stack) out.stack = e.stack;
  if (e.cause !== undefined) out.cause = e.cause;
  return out;
}

/** A one-line, credential-free description of an error, for logs, Events and status messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; statusCode?: unknown; body?: unknown };
    const status = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    let message = e.message;
    // client-node's ApiException message embeds the whole response body and headers; prefer the Status message.
    const body = e.body as { message?: unknown } | string | undefined;
    if (body && typeof body === 'object' && typeof body.message === 'string') message = body.message;
    else if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === 'string') message = parsed.message;
      } catch {
        // not JSON: keep the error message
      }
    }
    const oneLine = redactString(message).split('\n')[0] ?? '';
    return status !== undefined ? `${oneLine} (HTTP ${status})` : oneLine;
  }
  return redactString(String(error));
}
