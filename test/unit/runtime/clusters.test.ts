// Unit tests of member-cluster clients: KubeConfig from a kubeconfig Secret, one cached client set per site rebuilt
// only when the Secret content changes, and errors that never carry credentials.
import { describe, expect, test } from '@jest/globals';
import {
  ClusterCredentialsError,
  MemberClusters,
  kubeConfigFromSecret,
  type MemberClients,
  type SecretLike,
} from '../../../operator/src/runtime/clusters.js';

const TOKEN = 'sup3r-s3cret-t0ken-value';
function kubeconfig(server: string, token = TOKEN): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: c\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true`,
    'users:',
    `- name: u\n  user:\n    token: ${token}`,
    'contexts:',
    '- name: ctx\n  context:\n    cluster: c\n    user: u',
    'current-context: ctx',
  ].join('\n');
}
function secret(text: string, rv: string, key = 'kubeconfig'): SecretLike {
  return {
    metadata: { name: 'kubeconfig-edge-1', namespace: 'discovery-system', resourceVersion: rv },
    data: { [key]: Buffer.from(text).toString('base64') },
  };
}
const ref = { namespace: 'discovery-system', name: 'kubeconfig-edge-1' };

describe('kubeConfigFromSecret', () => {
  test('reads the default key, or the key named by the ref', () => {
    expect(
      kubeConfigFromSecret(secret(kubeconfig('https://10.0.0.1:6443'), '1'), ref).getCurrentCluster()?.server,
    ).toBe('https://10.0.0.1:6443');
    const custom = secret(kubeconfig('https://10.0.0.2:6443'), '1', 'config');
    expect(kubeConfigFromSecret(custom, { ...ref, key: 'config' }).getCurrentCluster()?.server).toBe(
      'https://10.0.0.2:6443',
    );
  });

  test('unusable Secrets give typed, credential-free errors', () => {
    const cases: [SecretLike, string][] = [
      [secret(kubeconfig('https://x'), '1', 'other'), 'KeyMissing'],
      [secret(`token: ${TOKEN}\n  bad: [unclosed`, '1'), 'InvalidKubeconfig'],
      [
        secret(`apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: ${TOKEN}`, '1'),
        'InvalidKubeconfig',
      ],
    ];
    for (const [s, reason] of cases) {
      let caught: unknown;
      try {
        kubeConfigFromSecret(s, ref);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ClusterCredentialsError);
      expect((caught as ClusterCredentialsError).reason).toBe(reason);
      expect(String((caught as Error).message)).not.toContain(TOKEN);
      expect(String((caught as Error).message)).toContain('discovery-system/kubeconfig-edge-1');
    }
  });
});

describe('MemberClusters', () => {
  test('one client set per site, reused while the Secret is unchanged, rebuilt when its content changes', async () => {
    let current: SecretLike | undefined = secret(kubeconfig('https://10.0.0.1:6443'), '1');
    const rebuilt: [string, string | undefined][] = [];
    const clusters = new MemberClusters({
      secretNamespaces: ['discovery-system'],
      getSecret: () => current,
      onRebuilt: (c: MemberClients, prev?: MemberClients) => rebuilt.push([c.server, prev?.server]),
    });
    const first = await clusters.clientsFor('edge-1', ref);
    expect(first.server).toBe('https://10.0.0.1:6443');
    expect(await clusters.clientsFor('edge-1', ref)).toBe(first); // same resourceVersion
    current = secret(kubeconfig('https://10.0.0.1:6443'), '2'); // new resourceVersion, same content (e.g. a label)
    expect(await clusters.clientsFor('edge-1', ref)).toBe(first);
    current = secret(kubeconfig('https://10.0.0.9:6443'), '3');
    const second = await clusters.clientsFor('edge-1', ref);
    expect(second).not.toBe(first);
    expect(second.server).toBe('https://10.0.0.9:6443');
    expect(second.hash).not.toBe(first.hash);
    expect(rebuilt).toEqual([
      ['https://10.0.0.1:6443', undefined],
      ['https://10.0.0.9:6443', 'https://10.0.0.1:6443'],
    ]);
    expect(clusters.sitesUsingSecret('discovery-system', 'kubeconfig-edge-1')).toEqual(['edge-1']);
    expect(JSON.stringify({ server: second.server, hash: second.hash })).not.toContain(TOKEN);
  });

  test('a vanished or broken Secret drops the cached clients', async () => {
    let current: SecretLike | undefined = secret(kubeconfig('https://10.0.0.1:6443'), '1');
    const clusters = new MemberClusters({ secretNamespaces: ['discovery-system'], getSecret: () => current });
    await clusters.clientsFor('edge-1', ref);
    current = undefined;
    await expect(clusters.clientsFor('edge-1', ref)).rejects.toMatchObject({ reason: 'SecretNotFound' });
    expect(clusters.peek('edge-1')).toBeUndefined();
    current = secret('not: [yaml', '5');
    await expect(clusters.clientsFor('edge-1', ref)).rejects.toMatchObject({ reason: 'InvalidKubeconfig' });
  });
});
