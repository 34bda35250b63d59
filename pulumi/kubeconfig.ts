// Kubeconfig flattening for the kubeconfig Secrets: file references (certificate-authority, client-certificate,
// client-key, tokenFile) are replaced by their inline contents so the Secret works away from this machine, like
// `kubectl config view --flatten --raw`. Pure: the file reader is injected.
import path from 'node:path';
import { dump, load } from 'js-yaml';

type Obj = Record<string, unknown>;

const FILE_FIELDS: [section: 'clusters' | 'users', inner: 'cluster' | 'user', file: string, data: string][] = [
  ['clusters', 'cluster', 'certificate-authority', 'certificate-authority-data'],
  ['users', 'user', 'client-certificate', 'client-certificate-data'],
  ['users', 'user', 'client-key', 'client-key-data'],
];

/**
 * Returns the kubeconfig with every referenced file inlined (base64 `*-data` fields, `token` for tokenFile).
 * Relative paths resolve against `baseDir` (the kubeconfig's directory), as kubectl does.
 */
export function flattenKubeconfig(content: string, baseDir: string, readFile: (file: string) => Buffer): string {
  const doc = load(content) as Obj | undefined;
  if (!doc || typeof doc !== 'object' || doc.kind !== 'Config') throw new Error('not a kubeconfig (kind: Config)');
  for (const [section, inner, fileField, dataField] of FILE_FIELDS) {
    for (const entry of (doc[section] as Obj[] | undefined) ?? []) {
      const body = entry[inner] as Obj | undefined;
      const file = body?.[fileField];
      if (!body || typeof file !== 'string') continue;
      body[dataField] = readFile(path.resolve(baseDir, file)).toString('base64');
      delete body[fileField];
    }
  }
  for (const entry of (doc.users as Obj[] | undefined) ?? []) {
    const user = entry.user as Obj | undefined;
    if (user && typeof user.tokenFile === 'string') {
      user.token = readFile(path.resolve(baseDir, user.tokenFile)).toString('utf8').trim();
      delete user.tokenFile;
    }
  }
  return dump(doc, { lineWidth: -1, noRefs: true });
}

/** The server URL of the kubeconfig's current context (for outputs and messages). */
export function currentServer(content: string): string | undefined {
  const doc = load(content) as Obj | undefined;
  const contexts = (doc?.contexts as { name: string; context?: { cluster?: string } }[] | undefined) ?? [];
  const clusters = (doc?.clusters as { name: string; cluster?: { server?: string } }[] | undefined) ?? [];
  const ctx = contexts.find((c) => c.name === doc?.['current-context']) ?? contexts[0];
  return clusters.find((c) => c.name === ctx?.context?.cluster)?.cluster?.server;
}
