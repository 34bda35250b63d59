// Informers: an in-memory cache of one resource kept current by client-node's ListWatch, with event handlers that
// enqueue keys, a sync signal, and the restarts client-node leaves to us (after a list/watch error, a new session
// that relists from scratch, with backoff).
import {
  KubeConfig,
  ListWatch,
  Watch,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { sleep, systemClock, type Clock, type TimerHandle } from './clock.js';
import type { Logger } from './logger.js';
import type { OperatorMetrics } from './metrics.js';
import { kubeGetJson, resourcePath, type ResourceRef } from './kube-http.js';
import { describeError } from './redact.js';

/** Cache/work-queue key of an object: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: KubernetesObject): string {
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(obj: T, old: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  /** Name for logs and metrics (default: the plural, plus the namespace if any). */
  name?: string;
  /** Watch one namespace only (namespaced resources); default all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  logger?: Logger;
  metrics?: OperatorMetrics;
  /** Delay before restarting after an error: doubles from baseMs to maxMs, reset by a successful list. */
  restartBackoff?: { baseMs?: number; maxMs?: number };
  /** Items per list page. Default 500. */
  pageSize?: number;
  clock?: Clock;
}

export interface InformerStats {
  /** Full lists completed (initial sync, after 410 Gone, after each restart). */
  relists: number;
  /** Sessions restarted after an error. */
  restarts: number;
  lastError?: string;
}

type Waiter = { resolve: () => void; reject: (e: Error) => void };

/**
 * Cache of one resource. Level-triggered: handlers should only enqueue keys; reconciles read the cache.
 * Each session is a client-node ListWatch (which relists by itself on 410 Gone and reconnects after watch timeouts);
 * when a session fails (list error, watch request refused...), it is dropped and a new one started after a backoff,
 * beginning with a full list whose result replaces the cache (objects deleted meanwhile get a delete event).
 */
export class Informer<T extends KubernetesObject = KubernetesObject> {
  readonly name: string;
  readonly path: string;
  private readonly cache = new Map<string, T>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly waiters = new Set<Waiter>();
  private readonly clock: Clock;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private session?: ListWatch<T>;
  private restartTimer?: TimerHandle;
  private backoffMs = 0;
  private running = false;
  private synced = false;
  private readonly statsValue: InformerStats = { relists: 0, restarts: 0 };

  constructor(
    private readonly kubeConfig: KubeConfig,
    readonly resource: ResourceRef,
    private readonly options: InformerOptions = {},
  ) {
    this.path = resourcePath(resource, options.namespace);
    this.name = options.name ?? (options.namespace ? `${resource.plural}/${options.namespace}` : resource.plural);
    this.clock = options.clock ?? systemClock;
    this.baseMs = options.restartBackoff?.baseMs ?? 1000;
    this.maxMs = options.restartBackoff?.maxMs ?? 30_000;
  }

  /** Start listing and watching (returns at once; see waitForSync). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startSession();
  }

  /** Stop watching. The cache keeps its last content. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer !== undefined) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const session = this.session;
    this.session = undefined;
    if (session) await session.stop();
    for (const w of this.waiters) w.reject(new Error(`informer ${this.name} stopped before it synced`));
    this.waiters.clear();
  }

  /** True once the first full list is in the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once synced; rejects after timeoutMs (if given) or when the informer is stopped. */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const waiter: Waiter = {
        resolve: () => {
          if (timer !== undefined) this.clock.clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          if (timer !== undefined) this.clock.clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.add(waiter);
      if (timeoutMs !== undefined) {
        timer = this.clock.setTimeout(() => {
          this.waiters.delete(waiter);
          const last = this.statsValue.lastError ? ` (last error: ${this.statsValue.lastError})` : '';
          reject(new Error(`informer ${this.name} not synced after ${timeoutMs}ms${last}`));
        }, timeoutMs);
      }
    });
  }

  /** Object by key ("namespace/name" or "name"). */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  getByName(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Cached objects (of one namespace if given), sorted by key for determinism. */
  list(namespace?: string): T[] {
    const keys = [...this.cache.keys()].sort();
    const objs = keys.map((k) => this.cache.get(k) as T);
    return namespace === undefined ? objs : objs.filter((o) => o.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.cache.keys()].sort();
  }

  get stats(): Readonly<InformerStats> {
    return { ...this.statsValue };
  }

  /** Register event handlers; returns a function removing them. Objects already cached are not replayed. */
  on(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    return () => this.handlers.delete(handlers);
  }

  /**
   * Enqueue keys on every add/update/delete: by default the object's own key; mapKeys can map an object to other
   * keys (e.g. a kubeconfig Secret to the EdgeSites that reference it). Updates enqueue the keys of both versions.
   */
  enqueueTo(
    queue: { add(key: string): void },
    mapKeys: (obj: T) => string | string[] | undefined = (obj) => objectKey(obj),
  ): () => void {
    const keysOf = (obj: T): string[] => {
      const k = mapKeys(obj);
      return k === undefined ? [] : Array.isArray(k) ? k : [k];
    };
    return this.on({
      add: (obj) => keysOf(obj).forEach((k) => queue.add(k)),
      update: (obj, old) => new Set([...keysOf(old), ...keysOf(obj)]).forEach((k) => queue.add(k)),
      delete: (obj) => keysOf(obj).forEach((k) => queue.add(k)),
    });
  }

  private startSession(): void {
    if (!this.running) return;
    const session: ListWatch<T> = new ListWatch<T>(
      this.path,
      new Watch(this.kubeConfig),
      (): Promise<KubernetesListObject<T>> => this.listAll(session),
      false,
      this.options.labelSelector,
      this.options.fieldSelector,
    );
    this.session = session;
    session.on('add', (obj: T) => this.current(session) && this.upsert(obj));
    session.on('update', (obj: T) => this.current(session) && this.upsert(obj));
    session.on('delete', (obj: T) => this.current(session) && this.remove(obj));
    session.on('error', (err: unknown) => this.sessionFailed(session, err));
    session.start().catch((err: unknown) => this.sessionFailed(session, err));
  }

  private current(session: ListWatch<T>): boolean {
    return this.running && this.session === session;
  }

  /** ListWatch's list function: all pages, raw JSON; the result replaces the cache. */
  private async listAll(session: ListWatch<T>): Promise<KubernetesListObject<T>> {
    const items: T[] = [];
    let resourceVersion = '';
    let continueToken: string | undefined;
    let listKind = '';
    let listApiVersion = '';
    do {
      const page = await kubeGetJson<KubernetesListObject<T>>(this.kubeConfig, this.path, {
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        limit: this.options.pageSize ?? 500,
        continue: continueToken,
      });
      items.push(...(page.items ?? []));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue;
      listKind = page.kind ?? listKind;
      listApiVersion = page.apiVersion ?? listApiVersion;
    } while (continueToken);
    // List items of built-in kinds come without apiVersion/kind; watch events have them. Make both alike.
    const kind = listKind.replace(/List$/, '');
    for (const item of items) {
      item.apiVersion ??= listApiVersion;
      item.kind ??= kind;
    }
    if (this.current(session)) this.replace(items);
    return { apiVersion: listApiVersion, kind: listKind, metadata: { resourceVersion }, items };
  }

  private replace(items: T[]): void {
    const listed = new Set(items.map((o) => objectKey(o)));
    for (const [key, old] of [...this.cache]) {
      if (!listed.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    for (const item of items) this.upsert(item);
    this.statsValue.relists++;
    this.options.metrics?.informerRelistsTotal.inc({ informer: this.name });
    this.backoffMs = 0;
    if (!this.synced) {
      this.synced = true;
      this.options.logger?.debug('informer synced', { informer: this.name, objects: this.cache.size });
      for (const w of this.waiters) w.resolve();
      this.waiters.clear();
    }
  }

  private upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (old && old.metadata?.resourceVersion && old.metadata.resourceVersion === obj.metadata?.resourceVersion) return;
    this.cache.set(key, obj);
    if (old) this.emit('update', obj, old);
    else this.emit('add', obj);
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    if (!this.cache.has(key)) return;
    this.cache.delete(key);
    this.emit('delete', obj);
  }

  private emit(event: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        if (event === 'add') h.add?.(obj);
        else if (event === 'update') h.update?.(obj, old as T);
        else h.delete?.(obj);
      } catch (error) {
        this.options.logger?.error('informer handler failed', { informer: this.name, event, error });
      }
    }
  }

  private sessionFailed(session: ListWatch<T>, err: unknown): void {
    if (!this.current(session)) return;
    this.session = undefined;
    void session.stop();
    const delay = this.backoffMs === 0 ? this.baseMs : Math.min(this.maxMs, this.backoffMs * 2);
    this.backoffMs = delay;
    this.statsValue.restarts++;
    this.statsValue.lastError = describeError(err);
    this.options.metrics?.informerRestartsTotal.inc({ informer: this.name });
    this.options.logger?.warn('informer list/watch failed; restarting', {
      informer: this.name,
      error: this.statsValue.lastError,
      retryInMs: delay,
    });
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      this.startSession();
    }, delay);
  }
}

/** Poll until predicate holds (test and CLI helper; controllers never poll). */
export async function waitFor(predicate: () => boolean, timeoutMs: number, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await sleep(systemClock, stepMs);
  }
}
