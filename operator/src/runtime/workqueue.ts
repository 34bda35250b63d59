// Key-based, level-triggered work queue for controllers: dedupes per key, keeps at most one reconcile in flight per
// key, runs N workers, retries failures with per-key exponential backoff, and shuts down gracefully.
import { systemClock, type Clock, type TimerHandle } from './clock.js';

/** What a reconcile asks of the queue when it succeeds: optionally, to be run again after some time. */
export interface ReconcileResult {
  requeueAfter?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | void>;

/** A failure worth retrying (unreachable site, conflict, dependency not ready yet...). */
export class TemporaryError extends Error {
  override readonly name = 'TemporaryError';
  constructor(
    message: string,
    /** Retry after exactly this delay instead of the key's exponential backoff. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A failure that retrying cannot fix (invalid spec...): the key is not retried until an event re-adds it. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Outcome of one reconcile, as reported to metrics hooks. Untyped errors are retried like temporary ones. */
export type ReconcileOutcome = 'success' | 'requeue' | 'temporary_error' | 'permanent_error' | 'error';

/** How a reconcile failed, for metrics (errors_total `kind`) and logs; undefined when it did not. */
export type FailureKind = 'temporary' | 'permanent' | 'unexpected';

export function failureKind(outcome: ReconcileOutcome): FailureKind | undefined {
  if (outcome === 'temporary_error') return 'temporary';
  if (outcome === 'permanent_error') return 'permanent';
  if (outcome === 'error') return 'unexpected';
  return undefined;
}

export interface ReconcileReport {
  key: string;
  outcome: ReconcileOutcome;
  durationMs: number;
  /** Delay before the key runs again (requeue or retry); undefined when it is not scheduled again. */
  nextRunInMs?: number;
  /** Consecutive failures of this key so far (0 after a success). */
  failures: number;
  error?: unknown;
}

export interface WorkQueueHooks {
  /** Called whenever the number of keys waiting (not in flight, not delayed) changes. */
  onDepth?(depth: number): void;
  /** Called after every reconcile. */
  onReconcile?(report: ReconcileReport): void;
}

export interface WorkQueueOptions {
  /** Name for logs and metrics. */
  name: string;
  reconcile: Reconciler;
  /** Number of keys reconciled concurrently (distinct keys only). Default 2. */
  concurrency?: number;
  /** First retry delay after a failure. Default 1s. */
  baseDelayMs?: number;
  /** Backoff cap. Default 5 minutes. */
  maxDelayMs?: number;
  clock?: Clock;
  hooks?: WorkQueueHooks;
}

interface DelayedAdd {
  due: number;
  handle: TimerHandle;
}

export class WorkQueue {
  readonly name: string;
  private readonly reconcile: Reconciler;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly clock: Clock;
  private readonly hooks: WorkQueueHooks;

  /** Keys waiting to run, FIFO. Invariant: every key here is in `dirty` and not in `processing`. */
  private readonly pending: string[] = [];
  /** Keys that need a reconcile (waiting, or re-added while in flight). */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, DelayedAdd>();
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private started = false;
  private stopping = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.reconcile = options.reconcile;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60 * 1000;
    this.clock = options.clock ?? systemClock;
    this.hooks = options.hooks ?? {};
  }

  /** Start the workers (keys added before start wait until then). */
  start(): void {
    if (this.stopping) throw new Error(`work queue ${this.name} is shut down`);
    this.started = true;
    this.pump();
  }

  /** Ask for a reconcile of key as soon as possible. Deduped; a key in flight runs once more after it finishes. */
  add(key: string): void {
    if (this.stopping) return;
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.pending.push(key);
    this.depthChanged();
    this.pump();
  }

  /** Ask for a reconcile of key after ms. If the key is already scheduled earlier, the earlier time wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) return this.add(key);
    const due = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.due <= due) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      const current = this.delayed.get(key);
      if (current?.handle === handle) this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { due, handle });
  }

  /** Forget the failure history of key (its next failure starts again at the base delay). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Consecutive failures recorded for key. */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Backoff delay the next failure of key will get. */
  nextBackoffMs(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** failures);
  }

  /** Keys waiting to run (not in flight, not delayed). */
  get depth(): number {
    return this.pending.length;
  }

  /** Keys currently being reconciled. */
  get active(): number {
    return this.processing.size;
  }

  /** Keys scheduled for later (requeueAfter or retry backoff). */
  get scheduled(): number {
    return this.delayed.size;
  }

  get isShuttingDown(): boolean {
    return this.stopping;
  }

  /**
   * Stop taking work: drop waiting and scheduled keys, then wait for the reconciles in flight to finish.
   * Keys added meanwhile are ignored.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    this.pending.length = 0;
    this.dirty.clear();
    this.depthChanged();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    while (this.started && !this.stopping && this.processing.size < this.concurrency && this.pending.length > 0) {
      const key = this.pending.shift() as string;
      this.dirty.delete(key);
      this.processing.add(key);
      this.depthChanged();
      const run = this.runOne(key).finally(() => {
        this.inFlight.delete(run);
      });
      this.inFlight.add(run);
    }
  }

  private async runOne(key: string): Promise<void> {
    const startedAt = this.clock.now();
    let report: ReconcileReport;
    try {
      const result = (await this.reconcile(key)) ?? {};
      this.failures.delete(key);
      const requeueAfter = result.requeueAfter;
      if (requeueAfter !== undefined && requeueAfter >= 0) {
        this.addAfter(key, requeueAfter);
        report = { key, outcome: 'requeue', durationMs: 0, nextRunInMs: requeueAfter, failures: 0 };
      } else {
        report = { key, outcome: 'success', durationMs: 0, failures: 0 };
      }
    } catch (error) {
      if (error instanceof PermanentError) {
        this.failures.delete(key);
        report = { key, outcome: 'permanent_error', durationMs: 0, failures: 0, error };
      } else {
        const failures = (this.failures.get(key) ?? 0) + 1;
        const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (failures - 1));
        this.failures.set(key, failures);
        const delay =
          error instanceof TemporaryError && error.retryAfterMs !== undefined ? error.retryAfterMs : backoff;
        this.addAfter(key, delay);
        const outcome = error instanceof TemporaryError ? 'temporary_error' : 'error';
        report = { key, outcome, durationMs: 0, nextRunInMs: delay, failures, error };
      }
    }
    report.durationMs = this.clock.now() - startedAt;
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.stopping) {
      this.pending.push(key);
      this.depthChanged();
    }
    try {
      this.hooks.onReconcile?.(report);
    } finally {
      this.pump();
    }
  }

  private depthChanged(): void {
    this.hooks.onDepth?.(this.pending.length);
  }
}
