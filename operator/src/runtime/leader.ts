// Leader election on a coordination.k8s.io/v1 Lease, client-go style: acquire or renew with resourceVersion
// optimistic concurrency; a lease is considered expired when its record has not changed for leaseDuration as seen by
// our own clock (robust to clock skew between replicas). It cannot split: every Lease request is bounded by the renew
// deadline (its AbortSignal cancels the HTTP request), a watchdog steps down at the deadline even while a request
// hangs, and stepping down aborts the leadership signal at once, before anything else (e.g. before releasing).
import {
  CoordinationV1Api,
  KubeConfig,
  V1MicroTime,
  Observable,
  type ConfigurationOptions,
  type V1Lease,
} from '@kubernetes/client-node';
import { sleep, systemClock, type Clock, type TimerHandle } from './clock.js';
import type { Logger } from './logger.js';
import type { OperatorMetrics } from './metrics.js';
import { describeError } from './redact.js';
import { WritesStoppedError } from './writegate.js';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Lease name, e.g. "discovery-operator". */
  name: string;
  /** This replica's identity (pod name, or hostname + pid). */
  identity: string;
  /** How long a lease stays valid without renewal. Default 15s. */
  leaseDurationMs?: number;
  /** The leader gives up if it could not renew for this long (must be < leaseDuration). Default 10s. */
  renewDeadlineMs?: number;
  /** Interval between acquire attempts and between renewals. Default 2s. */
  retryPeriodMs?: number;
  /**
   * Called on becoming leader (not awaited); the signal aborts (reason WritesStoppedError) the moment leadership is
   * lost or the elector stops — hand it to a WriteGate so that every write stops with it.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called when leadership is lost or released. */
  onStoppedLeading(): void | Promise<void>;
  /** Called when the observed leader changes (including to ourselves). */
  onNewLeader?(identity: string): void;
  logger?: Logger;
  metrics?: OperatorMetrics;
  clock?: Clock;
  /** The Lease API (tests inject fakes); default: CoordinationV1Api of kubeConfig on namespace/name. */
  leaseClient?: LeaseClient;
}

/** The three Lease calls the elector makes; each must honour its AbortSignal. */
export interface LeaseClient {
  read(signal: AbortSignal): Promise<V1Lease>;
  create(body: V1Lease, signal: AbortSignal): Promise<V1Lease>;
  replace(body: V1Lease, signal: AbortSignal): Promise<V1Lease>;
}

/** Per-call client-node options attaching signal to the HTTP request (appended to the client's own middleware). */
export function withSignal(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** The Lease namespace/name through client-node, every request cancelled by its signal. */
export function leaseClient(kubeConfig: KubeConfig, namespace: string, name: string): LeaseClient {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  return {
    read: (signal) => api.readNamespacedLease({ name, namespace }, withSignal(signal)),
    create: (body, signal) => api.createNamespacedLease({ namespace, body }, withSignal(signal)),
    replace: (body, signal) => api.replaceNamespacedLease({ name, namespace, body }, withSignal(signal)),
  };
}

/** A Lease request did not finish within its deadline (it was aborted). */
export class LeaseDeadlineError extends Error {
  override readonly name = 'LeaseDeadlineError';
}

/**
 * Runs call(signal), settling within ms at the latest: then the signal aborts (cancelling the request) and the result
 * rejects with LeaseDeadlineError. Aborting outer (the elector stopping) cancels it too.
 */
export async function bounded<T>(
  clock: Clock,
  ms: number,
  outer: AbortSignal,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (ms <= 0) throw new LeaseDeadlineError(`${what}: no time left before the deadline`);
  const controller = new AbortController();
  const onOuter = (): void => controller.abort(new LeaseDeadlineError(`${what}: elector stopping`));
  const cutoff = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
  });
  cutoff.catch(() => undefined); // settled by the race, or after it: never unhandled
  if (outer.aborted) onOuter();
  else outer.addEventListener('abort', onOuter, { once: true });
  const timer = clock.setTimeout(
    () => controller.abort(new LeaseDeadlineError(`${what} gave no answer within ${Math.round(ms)}ms`)),
    Math.max(0, ms),
  );
  try {
    return await Promise.race([call(controller.signal), cutoff]);
  } finally {
    clock.clearTimeout(timer);
    outer.removeEventListener('abort', onOuter);
  }
}

type AttemptResult = { acquired: true } | { acquired: false; holder?: string };

function apiStatus(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export class LeaderElector {
  private readonly api: LeaseClient;
  private readonly clock: Clock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private running = false;
  private leading = false;
  private loop?: Promise<void>;
  private stopController = new AbortController();
  private leadership?: AbortController;
  private observedResourceVersion?: string;
  private observedAt = 0;
  private observedHolder?: string;
  /** Start time of the last successful acquire/renew: others see that write no earlier than this. */
  private lastRenewAt = 0;
  private watchdog?: TimerHandle;

  constructor(private readonly options: LeaderElectionOptions) {
    this.api = options.leaseClient ?? leaseClient(options.kubeConfig, options.namespace, options.name);
    this.clock = options.clock ?? systemClock;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error('renewDeadlineMs must be < leaseDurationMs');
    if (this.retryPeriodMs >= this.renewDeadlineMs) throw new Error('retryPeriodMs must be < renewDeadlineMs');
  }

  get identity(): string {
    return this.options.identity;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder of the lease as last observed (undefined if none). */
  leader(): string | undefined {
    return this.observedHolder || undefined;
  }

  /** Start campaigning (returns at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopController = new AbortController();
    this.loop = this.run();
  }

  /**
   * Stop campaigning. If leading: stop leading (callbacks run) and, unless release is false, hand the lease back
   * (holder cleared) so another replica takes over without waiting for it to expire. release:false simulates a
   * crash in tests.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const wasLeading = this.leading;
    // Writes stop first (the leadership signal aborts synchronously here), the lease is handed over after.
    const steppingDown = this.stepDown('elector stopped');
    this.stopController.abort(); // cancels a Lease request in flight
    await Promise.all([this.loop, steppingDown]);
    if (wasLeading && options.release !== false) await this.release();
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    while (this.running) {
      const startedAt = this.clock.now();
      // Leading: the attempt must end by the renew deadline. Candidate: bounded by the renew deadline too.
      const budget = this.leading ? this.lastRenewAt + this.renewDeadlineMs - startedAt : this.renewDeadlineMs;
      let result: AttemptResult;
      try {
        result = await bounded(this.clock, budget, signal, 'lease request', (s) => this.tryAcquireOrRenew(s));
      } catch (error) {
        if (this.running)
          this.options.logger?.warn('leader election: lease request failed', {
            lease: `${this.options.namespace}/${this.options.name}`,
            error: describeError(error),
          });
        result = { acquired: false };
      }
      if (!this.running) break;
      const now = this.clock.now();
      if (result.acquired && now - startedAt < this.renewDeadlineMs) {
        // (a success that arrives after the deadline proves nothing: others may have seen the lease expire)
        this.lastRenewAt = startedAt;
        if (!this.leading) this.startLeading();
        this.armWatchdog();
      } else if (this.leading) {
        const holder = result.acquired ? undefined : result.holder;
        const lostToOther = holder !== undefined && holder !== this.identity;
        if (lostToOther || now - this.lastRenewAt >= this.renewDeadlineMs) {
          await this.stepDown(lostToOther ? `lease taken by ${holder}` : 'could not renew the lease in time');
        }
      }
      await sleep(this.clock, this.retryPeriodMs, signal);
    }
  }

  /** Step down at lastRenewAt + renewDeadline unless a renewal comes first, whatever the loop is waiting on. */
  private armWatchdog(): void {
    if (this.watchdog !== undefined) this.clock.clearTimeout(this.watchdog);
    const due = this.lastRenewAt + this.renewDeadlineMs - this.clock.now();
    this.watchdog = this.clock.setTimeout(() => {
      this.watchdog = undefined;
      if (this.leading && this.clock.now() - this.lastRenewAt >= this.renewDeadlineMs)
        void this.stepDown('could not renew the lease within the renew deadline');
    }, due);
  }

  private startLeading(): void {
    this.leading = true;
    this.leadership = new AbortController();
    this.options.metrics?.isLeader.set(1);
    this.options.logger?.info('became leader', { identity: this.identity });
    // Not awaited: the callback typically starts controllers that run until the signal aborts.
    const signal = this.leadership.signal;
    void Promise.resolve()
      .then(() => this.options.onStartedLeading(signal))
      .catch((error: unknown) => {
        this.options.logger?.error('onStartedLeading failed', { error: describeError(error) });
      });
  }

  private async stepDown(why: string): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    if (this.watchdog !== undefined) this.clock.clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.leadership?.abort(new WritesStoppedError(`leadership lost (${why})`));
    this.options.metrics?.isLeader.set(0);
    this.options.logger?.warn('stopped leading', { identity: this.identity, reason: why });
    try {
      await this.options.onStoppedLeading();
    } catch (error) {
      this.options.logger?.error('onStoppedLeading failed', { error: describeError(error) });
    }
  }

  private observe(lease: V1Lease): void {
    const rv = lease.metadata?.resourceVersion;
    if (rv !== this.observedResourceVersion) {
      this.observedResourceVersion = rv;
      this.observedAt = this.clock.now();
    }
    const holder = lease.spec?.holderIdentity ?? undefined;
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder) this.options.onNewLeader?.(holder);
    }
  }

  private leaseSeconds(): number {
    return Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<AttemptResult> {
    const { namespace, name } = this.options;
    const now = new V1MicroTime(this.clock.now());
    let lease: V1Lease;
    try {
      lease = await this.api.read(signal);
    } catch (error) {
      if (apiStatus(error) !== 404) throw error;
      try {
        const created = await this.api.create(
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: this.identity,
              leaseDurationSeconds: this.leaseSeconds(),
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
          signal,
        );
        this.observe(created);
        return { acquired: true };
      } catch (createError) {
        if (apiStatus(createError) === 409) return { acquired: false };
        throw createError;
      }
    }
    this.observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity || undefined;
    const recordDurationMs = (spec.leaseDurationSeconds ?? this.leaseSeconds()) * 1000;
    const expired = this.clock.now() - this.observedAt >= recordDurationMs;
    if (holder && holder !== this.identity && !expired) return { acquired: false, holder };
    const keepsLease = holder === this.identity;
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...lease.metadata, name, namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseSeconds(),
        acquireTime: keepsLease && spec.acquireTime ? new V1MicroTime(spec.acquireTime) : now,
        renewTime: now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (keepsLease ? 0 : 1),
      },
    };
    try {
      const updated = await this.api.replace(body, signal);
      this.observe(updated);
      if (!keepsLease) {
        this.options.logger?.info('acquired lease', { identity: this.identity, previousHolder: holder ?? '(none)' });
      }
      return { acquired: true };
    } catch (error) {
      // 409: someone else wrote the lease since we read it (their renewal or acquisition won).
      if (apiStatus(error) === 409) return { acquired: false, holder };
      throw error;
    }
  }

  /** Clear the holder if we still hold the lease, so that a standby acquires it on its next attempt (bounded). */
  private async release(): Promise<void> {
    const never = new AbortController().signal;
    try {
      await bounded(this.clock, this.renewDeadlineMs, never, 'lease release', async (signal) => {
        const lease = await this.api.read(signal);
        if (lease.spec?.holderIdentity !== this.identity) return;
        const now = new V1MicroTime(this.clock.now());
        await this.api.replace(
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: lease.metadata,
            spec: {
              ...lease.spec,
              holderIdentity: undefined,
              leaseDurationSeconds: 1,
              acquireTime: lease.spec.acquireTime ? new V1MicroTime(lease.spec.acquireTime) : now,
              renewTime: now,
            },
          },
          signal,
        );
        this.options.logger?.info('released lease', { identity: this.identity });
      });
    } catch (error) {
      this.options.logger?.warn('could not release the lease; it will expire', { error: describeError(error) });
    }
  }
}
