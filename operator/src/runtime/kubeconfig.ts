// Strict reading of member-cluster kubeconfigs (hostile input: anyone who can write the Secret controls them). Only
// inline credentials are accepted; anything that would make the operator run a command, read a local file, go through
// a proxy or impersonate is refused with the exact field. client-node is then fed only the fields checked here.
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { load } from 'js-yaml';

/** Why a kubeconfig was refused: malformed (InvalidKubeconfig) or asking for something we never do (Unsafe…). */
export type KubeconfigProblemReason = 'InvalidKubeconfig' | 'UnsafeKubeconfig';

export class KubeconfigProblem extends Error {
  override readonly name = 'KubeconfigProblem';
  constructor(
    readonly reason: KubeconfigProblemReason,
    /** Path of the offending field, e.g. `users[0].user.exec` (never a value). */
    readonly field: string,
    detail: string,
  ) {
    super(field ? `${field}: ${detail}` : detail);
  }
}

/** What client-node's KubeConfig.loadFromOptions takes: built from checked fields only. */
export interface SafeKubeconfig {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string;
}

const INLINE = 'use inline credentials (token, or client-certificate-data and client-key-data)';

/** Fields refused everywhere they may appear, with the reason given to the user. */
const FORBIDDEN_USER_FIELDS: Record<string, string> = {
  exec: `runs a command inside the operator; ${INLINE}`,
  'auth-provider': `runs a provider plugin (command, token refresh, local files); ${INLINE}`,
  'token-file': `reads a local file (e.g. the operator's own service-account token); ${INLINE}`,
  tokenFile: `reads a local file (e.g. the operator's own service-account token); ${INLINE}`,
  'client-certificate': 'reads a local file; use client-certificate-data',
  'client-key': 'reads a local file; use client-key-data',
  username: `username/password authentication is not accepted; ${INLINE}`,
  password: `username/password authentication is not accepted; ${INLINE}`,
  as: 'impersonation is not accepted: give the credential its own permissions',
  'as-groups': 'impersonation is not accepted: give the credential its own permissions',
  'as-uid': 'impersonation is not accepted: give the credential its own permissions',
  'as-user-extra': 'impersonation is not accepted: give the credential its own permissions',
};
const FORBIDDEN_CLUSTER_FIELDS: Record<string, string> = {
  'certificate-authority': 'reads a local file; use certificate-authority-data',
  'proxy-url': 'requests must go straight to the API server (a proxy could read the credentials)',
};
const ALLOWED_TOP = ['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context', 'preferences'];
const ALLOWED_CLUSTER = [
  'server',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'disable-compression',
  'extensions',
];
const ALLOWED_USER = ['token', 'client-certificate-data', 'client-key-data', 'extensions'];
const ALLOWED_CONTEXT = ['cluster', 'user', 'namespace', 'extensions'];

/** Kubeconfig Secrets are at most 1 MiB (etcd limit); refuse more before parsing. */
export const MAX_KUBECONFIG_BYTES = 1024 * 1024;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(field: string, detail: string): never {
  throw new KubeconfigProblem('InvalidKubeconfig', field, detail);
}

function unsafe(field: string, detail: string): never {
  throw new KubeconfigProblem('UnsafeKubeconfig', field, detail);
}

/** Refuses unknown and forbidden keys of one mapping. */
function checkKeys(obj: Obj, path: string, allowed: readonly string[], forbidden: Record<string, string> = {}): void {
  for (const key of Object.keys(obj)) {
    const field = at(path, key);
    if (Object.hasOwn(forbidden, key)) unsafe(field, `not allowed: ${forbidden[key]}`);
    if (!allowed.includes(key)) {
      // Keys are attacker-chosen: show them only when they look like a field name.
      const shown = /^[A-Za-z][-A-Za-z0-9_]{0,40}$/.test(key) ? field : at(path, '<unknown key>');
      unsafe(shown, `unknown field, not accepted (accepted: ${allowed.join(', ')})`);
    }
  }
}

function at(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function optionalString(obj: Obj, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') invalid(at(path, key), 'must be a string');
  return v;
}

function requiredString(obj: Obj, key: string, path: string): string {
  const v = optionalString(obj, key, path);
  if (v === undefined || v.trim() === '') invalid(at(path, key), 'is required');
  return v;
}

const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

function base64Field(obj: Obj, key: string, path: string): string | undefined {
  const v = optionalString(obj, key, path);
  if (v === undefined) return undefined;
  if (!BASE64.test(v) || Buffer.from(v, 'base64').length === 0) invalid(at(path, key), 'must be base64 data');
  return v;
}

/** API server URL: http(s) with a host; no credentials, query or fragment in it (the URL gets logged). */
function serverUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    invalid(field, 'is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') invalid(field, 'must be an https:// (or http://) URL');
  if (!url.hostname) invalid(field, 'has no host');
  if (url.username || url.password) unsafe(field, 'must not carry credentials (user:password@)');
  if (url.search || url.hash) invalid(field, 'must not have a query or fragment');
  return value.replace(/\/+$/, '');
}

/** Entries of a named list (`clusters`, `users`, `contexts`): `[{ name, <kind>: {...} }]`, names unique. */
function entries(doc: Obj, list: 'clusters' | 'users' | 'contexts', kind: string): { name: string; body: Obj }[] {
  const raw = doc[list];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) invalid(list, 'must be a list');
  const seen = new Set<string>();
  return raw.map((entry: unknown, i) => {
    const path = `${list}[${i}]`;
    if (!isObj(entry)) invalid(path, 'must be a mapping');
    checkKeys(entry, path, ['name', kind]);
    const name = requiredString(entry, 'name', path);
    if (seen.has(name)) invalid(`${path}.name`, `duplicate ${kind} name`);
    seen.add(name);
    const body = entry[kind] ?? {};
    if (!isObj(body)) invalid(`${path}.${kind}`, 'must be a mapping');
    return { name, body };
  });
}

function parseYaml(text: string): Obj {
  if (Buffer.byteLength(text, 'utf8') > MAX_KUBECONFIG_BYTES) invalid('', 'kubeconfig larger than 1 MiB');
  let doc: unknown;
  try {
    doc = load(text, { maxAliases: 0, maxDepth: 20 });
  } catch (error) {
    // Never echo the YAML parser's snippet: it quotes the document. Reason and position only.
    const e = error as { reason?: unknown; mark?: { line?: number; column?: number } };
    let reason = typeof e.reason === 'string' ? e.reason.replace(/[^ -~]/g, '?').slice(0, 80) : 'unreadable';
    if (reason.includes('maxAliases')) reason = 'YAML aliases (*name) are not accepted';
    const at = e.mark?.line !== undefined ? ` at line ${e.mark.line + 1}, column ${(e.mark.column ?? 0) + 1}` : '';
    invalid('', `not valid YAML (${reason}${at})`);
  }
  if (!isObj(doc)) invalid('', 'not a kubeconfig (expected a mapping with clusters, users and contexts)');
  return doc;
}

/**
 * Parses and checks kubeconfig text; returns the client-node options built from the accepted fields only.
 * Throws KubeconfigProblem naming the first offending field (path only, never a value).
 */
export function parseKubeconfig(text: string): SafeKubeconfig {
  const doc = parseYaml(text);
  checkKeys(doc, '', ALLOWED_TOP);
  if (doc.kind !== undefined && doc.kind !== 'Config') invalid('kind', 'must be Config');
  if (doc.apiVersion !== undefined && doc.apiVersion !== 'v1') invalid('apiVersion', 'must be v1');

  const clusters: Cluster[] = entries(doc, 'clusters', 'cluster').map(({ name, body }, i) => {
    const path = `clusters[${i}].cluster`;
    checkKeys(body, path, ALLOWED_CLUSTER, FORBIDDEN_CLUSTER_FIELDS);
    const skip = body['insecure-skip-tls-verify'];
    if (skip !== undefined && typeof skip !== 'boolean')
      invalid(`${path}.insecure-skip-tls-verify`, 'must be a boolean');
    const tlsServerName = optionalString(body, 'tls-server-name', path);
    if (tlsServerName !== undefined && !/^[A-Za-z0-9.-]{1,253}$/.test(tlsServerName))
      invalid(`${path}.tls-server-name`, 'must be a host name');
    return {
      name,
      server: serverUrl(requiredString(body, 'server', path), `${path}.server`),
      caData: base64Field(body, 'certificate-authority-data', path),
      skipTLSVerify: skip === true,
      tlsServerName,
    };
  });

  const users: User[] = entries(doc, 'users', 'user').map(({ name, body }, i) => {
    const path = `users[${i}].user`;
    checkKeys(body, path, ALLOWED_USER, FORBIDDEN_USER_FIELDS);
    const token = optionalString(body, 'token', path);
    // A token goes into an HTTP header: visible ASCII only (no header injection).
    if (token !== undefined && !/^[\x21-\x7e]+$/.test(token))
      invalid(`${path}.token`, 'must be printable ASCII without spaces');
    const certData = base64Field(body, 'client-certificate-data', path);
    const keyData = base64Field(body, 'client-key-data', path);
    if ((certData === undefined) !== (keyData === undefined))
      invalid(path, 'client-certificate-data and client-key-data go together');
    return { name, token, certData, keyData };
  });

  const contexts: Context[] = entries(doc, 'contexts', 'context').map(({ name, body }, i) => {
    const path = `contexts[${i}].context`;
    checkKeys(body, path, ALLOWED_CONTEXT);
    const cluster = requiredString(body, 'cluster', path);
    if (!clusters.some((c) => c.name === cluster)) invalid(`${path}.cluster`, 'names no entry of clusters');
    const user = requiredString(body, 'user', path);
    if (!users.some((u) => u.name === user)) invalid(`${path}.user`, 'names no entry of users');
    const namespace = optionalString(body, 'namespace', path) || undefined;
    return { name, cluster, user, namespace };
  });

  const currentContext = requiredString(doc, 'current-context', '');
  if (!contexts.some((c) => c.name === currentContext)) invalid('current-context', 'names no entry of contexts');
  return { clusters, users, contexts, currentContext };
}
