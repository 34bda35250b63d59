// Unit tests of ReferencedSecrets: exactly the referenced Secrets in allowed namespaces are watched (one informer
// each), watches stop when no EdgeSite references them any more, and changes are reported.
import { describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { ReferencedSecrets, type SecretInformer, type WatchedSecret } from '../../../operator/src/runtime/secrets.js';

class FakeInformer implements SecretInformer {
  started = false;
  stopped = false;
  handlers: Parameters<SecretInformer['on']>[0][] = [];
  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly store: Map<string, WatchedSecret>,
  ) {}
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  hasSynced(): boolean {
    return this.started;
  }
  getByName(name: string, namespace?: string): WatchedSecret | undefined {
    return name === this.name && namespace === this.namespace ? this.store.get(`${namespace}/${name}`) : undefined;
  }
  keys(): string[] {
    const key = `${this.namespace}/${this.name}`;
    return this.store.has(key) ? [key] : [];
  }
  on(h: Parameters<SecretInformer['on']>[0]): void {
    this.handlers.push(h);
  }
}

function setup() {
  const store = new Map<string, WatchedSecret>();
  const made: FakeInformer[] = [];
  const changes: string[] = [];
  const secrets = new ReferencedSecrets(new KubeConfig(), {
    namespaces: ['discovery-system', 'sites'],
    onChange: (ns, name) => changes.push(`${ns}/${name}`),
    makeInformer: (ns, name) => {
      const i = new FakeInformer(ns, name, store);
      made.push(i);
      return i;
    },
  });
  return { store, made, changes, secrets };
}

describe('ReferencedSecrets', () => {
  test('watches exactly the referenced Secrets of allowed namespaces, once each', () => {
    const { made, secrets } = setup();
    const watched = secrets.sync([
      { namespace: 'discovery-system', name: 'kubeconfig-core' },
      { namespace: 'discovery-system', name: 'kubeconfig-core' }, // two EdgeSites, one Secret
      { namespace: 'sites', name: 'kubeconfig-edge-1' },
      { namespace: 'kube-system', name: 'bootstrap-token-abcdef' }, // not allowed: never watched
    ]);
    expect(watched).toEqual(['discovery-system/kubeconfig-core', 'sites/kubeconfig-edge-1']);
    expect(made.map((i) => `${i.namespace}/${i.name}:${i.started}`)).toEqual([
      'discovery-system/kubeconfig-core:true',
      'sites/kubeconfig-edge-1:true',
    ]);
  });

  test('a Secret no longer referenced stops being watched; a new reference starts a watch', () => {
    const { made, secrets } = setup();
    secrets.sync([{ namespace: 'discovery-system', name: 'a' }]);
    secrets.sync([{ namespace: 'discovery-system', name: 'b' }]);
    expect(made.map((i) => [i.name, i.started, i.stopped])).toEqual([
      ['a', true, true],
      ['b', true, false],
    ]);
    expect(secrets.watched()).toEqual(['discovery-system/b']);
  });

  test('reads come from the watch; changes are reported with the Secret key', () => {
    const { store, made, changes, secrets } = setup();
    secrets.sync([{ namespace: 'discovery-system', name: 'a' }]);
    const s = { metadata: { name: 'a', namespace: 'discovery-system' } } as WatchedSecret;
    store.set('discovery-system/a', s);
    store.set('discovery-system/unreferenced', s);
    expect(secrets.synced('discovery-system', 'a')).toBe(true);
    expect(secrets.get('discovery-system', 'a')).toBe(s);
    expect(secrets.synced('discovery-system', 'unreferenced')).toBe(false);
    expect(secrets.get('discovery-system', 'unreferenced')).toBeUndefined();
    expect(secrets.cached()).toEqual(['discovery-system/a']);
    made[0]!.handlers.forEach((h) => h.update?.(s));
    expect(changes).toEqual(['discovery-system/a']);
  });
});
