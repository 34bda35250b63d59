// The kubeconfig Secrets EdgeSites reference, and nothing else: one small informer per referenced Secret (field
// selector metadata.name=<name> in its namespace), started when an EdgeSite first references it and stopped when none
// does any more. References outside the allowed namespaces are never watched (nor read).
import type { KubeConfig, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from './informer.js';
import { RESOURCES } from './kube-http.js';
import type { SecretRef } from './clusters.js';

export type WatchedSecret = V1Secret & KubernetesObject;

export interface ReferencedSecretsOptions {
  /** Namespaces Secrets may be watched in (the operator's own and --kubeconfig-secret-namespaces). */
  namespaces: readonly string[];
  /** Called on every add/update/delete of a watched Secret. */
  onChange?(namespace: string, name: string): void;
  logger?: InformerOptions['logger'];
  metrics?: InformerOptions['metrics'];
  /** Builds the informer of one Secret (tests inject fakes); default a real Informer with a name field selector. */
  makeInformer?(namespace: string, name: string): SecretInformer;
}

/** What ReferencedSecrets needs of an informer. */
export interface SecretInformer {
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
  getByName(name: string, namespace?: string): WatchedSecret | undefined;
  keys(): string[];
  on(handlers: {
    add?(o: WatchedSecret): void;
    update?(o: WatchedSecret): void;
    delete?(o: WatchedSecret): void;
  }): void;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

export class ReferencedSecrets {
  private readonly informers = new Map<string, SecretInformer>();

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: ReferencedSecretsOptions,
  ) {}

  /**
   * Watch exactly the allowed Secrets among refs: start informers for new ones, stop those no longer referenced.
   * Returns the keys ("namespace/name") now watched.
   */
  sync(refs: Iterable<Pick<SecretRef, 'namespace' | 'name'>>): string[] {
    const wanted = new Map<string, Pick<SecretRef, 'namespace' | 'name'>>();
    for (const ref of refs)
      if (this.options.namespaces.includes(ref.namespace)) wanted.set(keyOf(ref.namespace, ref.name), ref);
    for (const [key, informer] of [...this.informers]) {
      if (wanted.has(key)) continue;
      this.informers.delete(key);
      void informer.stop();
    }
    for (const [key, ref] of wanted) {
      if (this.informers.has(key)) continue;
      const informer =
        this.options.makeInformer?.(ref.namespace, ref.name) ?? this.informerFor(ref.namespace, ref.name);
      const changed = (): void => this.options.onChange?.(ref.namespace, ref.name);
      informer.on({ add: changed, update: changed, delete: changed });
      this.informers.set(key, informer);
      informer.start();
    }
    return this.watched();
  }

  private informerFor(namespace: string, name: string): SecretInformer {
    return new Informer<WatchedSecret>(this.kubeConfig, RESOURCES.secrets, {
      namespace,
      fieldSelector: `metadata.name=${name}`,
      name: `secret/${namespace}/${name}`,
      logger: this.options.logger,
      metrics: this.options.metrics,
    });
  }

  /** Keys of the Secrets being watched, sorted. */
  watched(): string[] {
    return [...this.informers.keys()].sort();
  }

  /** Keys of every Secret actually held in memory (only referenced ones, by construction), sorted. */
  cached(): string[] {
    return [...this.informers.values()].flatMap((i) => i.keys()).sort();
  }

  /** The cached Secret: undefined if not watched, not synced yet, or absent (check synced() to tell). */
  get(namespace: string, name: string): WatchedSecret | undefined {
    return this.informers.get(keyOf(namespace, name))?.getByName(name, namespace);
  }

  /** True when that Secret is watched and its informer has listed it (so get() answering undefined means absent). */
  synced(namespace: string, name: string): boolean {
    return this.informers.get(keyOf(namespace, name))?.hasSynced() ?? false;
  }

  async stop(): Promise<void> {
    const all = [...this.informers.values()];
    this.informers.clear();
    await Promise.all(all.map((i) => i.stop()));
  }
}
