// Leader election on a coordination.k8s.io/v1 Lease, client-go style: acquire or renew with resourceVersion
// optimistic concurrency; a lease is considered expired when its record has not changed for leaseDuration as seen by
// our own clock (robust to clock skew between replicas); the leader steps down when it cannot renew within
// renewDeadline, and releases the lease on graceful stop so a standby takes over at once.
import { CoordinationV1Api, KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { sleep, systemClock, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { OperatorMetrics } from './metrics.js';
import { describeError } from './redact.js';

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
  /** Called on becoming leader (not awaited); the signal aborts when leadership is lost or the elector stops. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called when leadership is lost or released. */
  onStoppedLeading(): void | Promise<void>;
  /** Called when the observed leader changes (including to ourselves). */
  onNewLeader?(identity: string): void;
  logger?: Logger;
  metrics?: OperatorMetrics;
  clock?: Clock;
}

type AttemptResult = { acquired: true } | { acquired: false; holder?: string };

function apiStatus(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
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
  private lastRenewAt = 0;

  constructor(private readonly options: LeaderElectionOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
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
    this.stopController.abort();
    await this.loop;
    if (this.leading) {
      if (options.release !== false) await this.release();
      await this.stepDown('elector stopped');
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    while (this.running) {
      let result: AttemptResult;
      try {
        result = await this.tryAcquireOrRenew();
      } catch (error) {
        this.options.logger?.warn('leader election: lease request failed', {
          lease: `${this.options.namespace}/${this.options.name}`,
          error: describeError(error),
        });
        result = { acquired: false };
      }
      if (!this.running) break;
      const now = this.clock.now();
      if (result.acquired) {
        this.lastRenewAt = now;
        if (!this.leading) this.startLeading();
      } else if (this.leading) {
        const lostToOther = result.holder !== undefined && result.holder !== this.identity;
        if (lostToOther || now - this.lastRenewAt >= this.renewDeadlineMs) {
          await this.stepDown(lostToOther ? `lease taken by ${result.holder}` : 'could not renew the lease in time');
        }
      }
      await sleep(this.clock, this.retryPeriodMs, signal);
    }
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
    this.leadership?.abort();
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

  private async tryAcquireOrRenew(): Promise<AttemptResult> {
    const { namespace, name } = this.options;
    const now = new V1MicroTime(this.clock.now());
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (apiStatus(error) !== 404) throw error;
      try {
        const created = await this.api.createNamespacedLease({
          namespace,
          body: {
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
        });
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
      const updated = await this.api.replaceNamespacedLease({ name, namespace, body });
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

  /** Clear the holder if we still hold the lease, so that a standby acquires it on its next attempt. */
  private async release(): Promise<void> {
    const { namespace, name } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = new V1MicroTime(this.clock.now());
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: {
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
      });
      this.options.logger?.info('released lease', { identity: this.identity });
    } catch (error) {
      this.options.logger?.warn('could not release the lease; it will expire', { error: describeError(error) });
    }
  }
}
