// Hostile kubeconfigs and Secret references (issue 12, Deliver 2): each is refused before client-node sees it, with a
// reason and a message naming the offending field, no planted secret in the message, and nothing run or read.
import { existsSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, test } from '@jest/globals';
import { dump } from 'js-yaml';
import {
  ClusterCredentialsError,
  MemberClusters,
  kubeConfigFromSecret,
  type SecretLike,
} from '../../../operator/src/runtime/clusters.js';
import { parseKubeconfig } from '../../../operator/src/runtime/kubeconfig.js';
import { redactString } from '../../../operator/src/runtime/redact.js';
import {
  ALLOWED_SECRET_NAMESPACES,
  EXEC_MARKER,
  HOSTILE_KUBECONFIGS,
  HOSTILE_SECRET_REFS,
  PLANTED,
  goodKubeconfig,
} from './corpus.js';

const ref = { namespace: 'discovery-system', name: 'kubeconfig-edge-1' };
const secretOf = (text: string, rv = '1'): SecretLike => ({
  metadata: { ...ref, resourceVersion: rv },
  data: { kubeconfig: Buffer.from(text).toString('base64') },
});

function refusal(fn: () => unknown): ClusterCredentialsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ClusterCredentialsError) return error;
    throw error;
  }
  throw new Error('accepted');
}

afterAll(() => rmSync(EXEC_MARKER, { force: true }));

describe('hostile kubeconfigs are refused with the offending field', () => {
  test('the corpus is large enough to matter', () => {
    expect(HOSTILE_KUBECONFIGS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(HOSTILE_KUBECONFIGS.map((c) => c.name)).size).toBe(HOSTILE_KUBECONFIGS.length);
  });

  test.each(HOSTILE_KUBECONFIGS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const error = refusal(() => kubeConfigFromSecret(secretOf(c.text), ref));
    expect({ reason: error.reason, message: error.message }).toEqual({
      reason: c.reason,
      message: expect.stringContaining(c.message),
    });
    expect(error.message).toMatch(/^Secret discovery-system\/kubeconfig-edge-1 \(key kubeconfig\): /);
    expect(redactString(error.message)).toBe(error.message); // it reaches the condition intact (status is redacted)
    for (const planted of Object.values(PLANTED)) expect(error.message).not.toContain(planted);
    expect(existsSync(EXEC_MARKER)).toBe(false); // no command ran
  });

  test('the same document without the hostile part is accepted', () => {
    const kc = kubeConfigFromSecret(secretOf(dump(goodKubeconfig())), ref);
    expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    expect(kc.getCurrentUser()?.token).toBe(PLANTED.token);
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('default');
  });

  test('client-node receives only the checked fields (extensions and preferences are dropped)', () => {
    const doc = goodKubeconfig();
    doc.preferences = { colors: true };
    (doc.clusters as { cluster: Record<string, unknown> }[])[0]!.cluster.extensions = [{ name: 'x', extension: {} }];
    const parsed = parseKubeconfig(dump(doc));
    expect(parsed.clusters).toEqual([
      {
        name: 'edge',
        server: 'https://10.0.0.1:6443',
        caData: expect.any(String),
        skipTLSVerify: false,
        tlsServerName: undefined,
      },
    ]);
    expect(Object.keys(parsed.users[0]!).sort()).toEqual(['certData', 'keyData', 'name', 'token']);
  });

  test('a refused Secret drops the site clients built from earlier, good credentials', async () => {
    let current = secretOf(dump(goodKubeconfig()), '1');
    const clusters = new MemberClusters({ secretNamespaces: ALLOWED_SECRET_NAMESPACES, getSecret: () => current });
    await clusters.clientsFor('edge-1', ref);
    expect(clusters.peek('edge-1')).toBeDefined();
    current = secretOf(HOSTILE_KUBECONFIGS[0]!.text, '2');
    await expect(clusters.clientsFor('edge-1', ref)).rejects.toMatchObject({ reason: 'UnsafeKubeconfig' });
    expect(clusters.peek('edge-1')).toBeUndefined();
  });
});

describe('kubeconfig Secret references outside the allowed namespaces', () => {
  test.each(HOSTILE_SECRET_REFS.map((c) => [c.name, c] as const))('%s: refused before any read', async (_n, c) => {
    const reads: string[] = [];
    const clusters = new MemberClusters({
      secretNamespaces: ALLOWED_SECRET_NAMESPACES,
      getSecret: (namespace, name) => {
        reads.push(`${namespace}/${name}`);
        return secretOf(dump(goodKubeconfig()));
      },
    });
    await expect(clusters.clientsFor('edge-1', c.ref)).rejects.toMatchObject({
      reason: 'SecretNamespaceNotAllowed',
      message: expect.stringContaining(`Secret ${c.ref.namespace}/${c.ref.name}: kubeconfig Secrets are read only`),
    });
    const error = await clusters.clientsFor('edge-1', c.ref).catch((e: Error) => e);
    expect(redactString((error as Error).message)).toBe((error as Error).message);
    expect(reads).toEqual([]);
    expect(clusters.peek('edge-1')).toBeUndefined();
  });
});
