// Scrubs credentials (kubeconfigs, tokens, certificates, keys, passwords — as fields, inside URLs, flags, env entries
// and API error text) out of values before they are logged or put into errors, Events and status messages. Every log
// line (logger.ts), Event (recordEvent) and status patch (patchStatus) goes through here.

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

/** Segments of UPPER_SNAKE names (environment variables) that mark a credential: FERNET_KEY, DB_PASS, OS_PASSWORD. */
const ENV_CREDENTIAL_SEGMENTS = new Set([
  'PASSWORD',
  'PASSWD',
  'PASS',
  'PWD',
  'TOKEN',
  'SECRET',
  'KEY',
  'APIKEY',
  'CREDENTIAL',
  'CREDENTIALS',
]);

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
/** scheme://authority, where the authority carries userinfo (user:password@); several hosts allowed (rabbit://). */
const URL_WITH_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*@)/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** JSON Web Tokens (service-account tokens, OIDC id-tokens). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** Quote, optionally backslash-escaped (JSON inside a JSON string). */
const Q = '\\\\?"';
const QUOTED_VALUE = '((?:[^"\\\\]|\\\\.)*?)';
/** `"name": "OS_PASSWORD", "value": "..."` (env entries as JSON, possibly escaped inside another JSON string). */
const JSON_ENV = new RegExp(
  `(${Q}name${Q}\\s*:\\s*${Q}([^"\\\\]*)${Q}\\s*,\\s*${Q}value${Q}\\s*:\\s*${Q})${QUOTED_VALUE}(${Q})`,
  'g',
);
/** `Name:"OS_PASSWORD", Value:"..."` (Go structs printed in API error messages). */
const GO_ENV = /(Name:\s*"([^"]*)",?\s*Value:\s*")((?:[^"\\]|\\.)*)(")/g;
/** `- name: OS_PASSWORD` followed by `value: ...` (env entries as YAML). */
const YAML_ENV = /(\bname:\s*["']?([A-Za-z_][\w.-]*)["']?[ \t]*\r?\n[ \t]*value:[ \t]*)([^\n]*)/g;
/** `<path>: Invalid value: "..."` where the path is an env value, Secret data, or a credential-looking field. */
const INVALID_VALUE =
  /((?:\benv\[\d+\]\.value|\bdata\[[^\]]*\]|\bstringData\[[^\]]*\]|\bargs\[\d+\]|\bcommand\[\d+\]|password|passwd|token|secret)[^\s:]*:\s*Invalid value:\s*)"((?:[^"\\]|\\.)*)"/gi;
/** `--flag value` (and `"--flag", "value"` in JSON arrays). */
const FLAG_SPACE =
  /(?<=^|[\s"'[,])(?<flag>--?[A-Za-z][\w.-]*)(?<sep>\s+|"\s*,\s*")(?!-)(?<quote>"?)(?<value>[^\s",\]]+)/g;
/** `key: value`, `key=value`, `"key": "value"`, `--key=value`, `?key=value&` (a value is not itself `key:`). */
const KEY_VALUE =
  /(?<=^|[\s{,;(&?"'[])(?<q>["']?)(?<dashes>-{0,2})(?<key>[A-Za-z_][\w.-]*)\k<q>(?<sep>[ \t]*[:=][ \t]*)(?![{[\s])(?![A-Za-z_][\w.-]*[ \t]*:(?:\s|$))(?<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s"',;&}\])]+)/g;
/** A base64-encoded kubeconfig ("apiVersion: v1\nkind: Config..." encodes to this prefix family) or PEM. */
const BASE64_BLOB = /\b(YXBpVmVyc2lvbj|LS0tLS1CRUdJTi|a2luZDogQ29uZmln)[A-Za-z0-9+/=]{16,}/g;
/** Long base64 runs (cert/key data) that slipped through in free text. */
const LONG_BASE64 = /[A-Za-z0-9+/]{120,}={0,2}/g;

/**
 * Does this name (a field, YAML/JSON key, flag or environment variable) hold a credential? Flags lose their dashes;
 * UPPER_SNAKE names also count when a segment says so (FERNET_KEY, DB_PASS; not KEYSTONE_URL).
 */
export function isCredentialName(name: string): boolean {
  const bare = name.replace(/^-+/, '');
  if (isSensitiveKey(bare)) return true;
  return /^[A-Z][A-Z0-9_]*$/.test(bare) && bare.split('_').some((seg) => ENV_CREDENTIAL_SEGMENTS.has(seg));
}

/**
 * Global replace where decide() may decline a match: then scanning resumes at the start of the match's value group,
 * so that a value which itself holds `KEY=secret` (e.g. `env: OS_PASSWORD=…`, `url: …?token=…`) is still examined.
 */
function replaceScanning(
  text: string,
  pattern: RegExp,
  decide: (groups: Record<string, string | undefined>) => string | undefined,
): string {
  const re = new RegExp(pattern.source, pattern.flags);
  let out = '';
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const groups = m.groups ?? {};
    const replacement = decide(groups);
    if (replacement === undefined) {
      re.lastIndex = m.index + m[0].length - (groups.value ?? '').length;
      if (re.lastIndex <= m.index) re.lastIndex = m.index + 1;
      continue;
    }
    out += text.slice(last, m.index) + replacement;
    last = m.index + m[0].length;
  }
  return out + text.slice(last);
}

function alreadyRedacted(value: string): boolean {
  return value.replace(/^["']/, '').startsWith('[REDACTED');
}

/** user:password@host,user:password@host → user:[REDACTED]@host,… (the user and hosts are kept: useful context). */
function redactUserinfo(_m: string, scheme: string, authority: string): string {
  const parts = authority.split(',').map((part) => {
    const at = part.lastIndexOf('@');
    if (at < 0) return part;
    const colon = part.indexOf(':');
    if (colon < 0 || colon > at) return part; // user only, no password
    return `${part.slice(0, colon)}:${REDACTED}${part.slice(at)}`;
  });
  return scheme + parts.join(',');
}

/**
 * Scrub credential-looking substrings from free text (error messages, API error bodies, stack traces, log lines):
 * PEM blocks, passwords inside URLs, Bearer/Basic credentials, JWTs, env entries named like credentials (JSON, YAML,
 * Go structs), `Invalid value: "…"` of env/data/credential fields, `--password x` flags, `key: value` / `KEY=value`
 * pairs with credential keys, and base64 blobs. Names, hosts, users and field paths stay.
 */
export function redactString(text: string): string {
  let out = text
    .replace(PEM_BLOCK, '[REDACTED PEM]')
    .replace(URL_WITH_USERINFO, redactUserinfo)
    .replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(JSON_ENV, (m, head: string, name: string, value: string, tail: string) =>
      isCredentialName(name) && value !== REDACTED ? `${head}${REDACTED}${tail}` : m,
    )
    .replace(GO_ENV, (m, head: string, name: string, value: string, tail: string) =>
      isCredentialName(name) && value !== REDACTED ? `${head}${REDACTED}${tail}` : m,
    )
    .replace(YAML_ENV, (m, head: string, name: string, value: string) =>
      isCredentialName(name) && !alreadyRedacted(value.trim()) ? `${head}${REDACTED}` : m,
    )
    .replace(INVALID_VALUE, (_m, head: string) => `${head}"${REDACTED}"`);
  out = replaceScanning(out, FLAG_SPACE, (g) =>
    isCredentialName(g.flag!) && !alreadyRedacted(g.value!) ? `${g.flag}${g.sep}${g.quote}${REDACTED}` : undefined,
  );
  out = replaceScanning(out, KEY_VALUE, (g) => {
    const value = g.value!;
    if (!isCredentialName(g.key!) || alreadyRedacted(value) || /^(Bearer|Basic)$/i.test(value)) return undefined;
    const quote = value.startsWith('"') || value.startsWith("'") ? value[0]! : '';
    return `${g.q}${g.dashes}${g.key}${g.q}${g.sep}${quote}${REDACTED}${quote}`;
  });
  return out.replace(BASE64_BLOB, REDACTED).replace(LONG_BASE64, REDACTED);
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
  if (Array.isArray(value)) {
    // ["--password", "x"]: the element after a credential flag is the credential.
    return value.map((v, i) => {
      const previous: unknown = value[i - 1];
      if (typeof v === 'string' && typeof previous === 'string' && /^--?[A-Za-z][\w.-]*$/.test(previous))
        if (isCredentialName(previous) && !v.startsWith('-')) return REDACTED;
      return redactValue(v, seen);
    });
  }
  const record = value as Record<string, unknown>;
  const isSecret = record.kind === 'Secret';
  // An env entry { name: OS_PASSWORD, value: … }: the value is the credential.
  const isCredentialEnv = typeof record.name === 'string' && isCredentialName(record.name);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    if (isSecret && (key === 'data' || key === 'stringData') && v && typeof v === 'object') {
      out[key] = Object.fromEntries(Object.keys(v).map((k) => [k, REDACTED]));
    } else if (isCredentialEnv && key === 'value' && typeof v === 'string') {
      out[key] = v === '' ? '' : REDACTED;
    } else if (isCredentialName(key) && (typeof v === 'string' || Buffer.isBuffer(v))) {
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

/** Deep copy of a status object whose `message` strings (conditions, units, sites…) are scrubbed with redactString. */
export function redactStatusMessages<T>(status: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k,
        k === 'message' && typeof x === 'string' ? redactString(x) : walk(x),
      ]),
    );
  };
  return walk(status) as T;
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
