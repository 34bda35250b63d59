// Prometheus metrics of the operator (prom-client), on a registry of their own so that tests and several operator
// instances in one process do not collide. Exposed on /metrics by http.ts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { failureKind, type WorkQueueHooks } from './workqueue.js';

export const METRIC_PREFIX = 'discovery_';

/** Unit phases reported by the units-by-phase gauge (every phase is always exported, zero included). */
export const UNIT_PHASES = ['Pending', 'Applying', 'Ready', 'Failed', 'Deleting'] as const;

export interface MetricsOptions {
  /** Also export Node process metrics (CPU, memory, event loop lag). Default false. */
  processMetrics?: boolean;
}

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcilesTotal: Counter<'controller' | 'result'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly reconcileErrorsTotal: Counter<'controller' | 'kind'>;
  readonly workqueueDepth: Gauge<'queue'>;
  readonly workqueueRetriesTotal: Counter<'queue'>;
  readonly unitsByPhase: Gauge<'dc' | 'phase'>;
  readonly siteReachable: Gauge<'site'>;
  readonly informerRestartsTotal: Counter<'informer'>;
  readonly informerRelistsTotal: Counter<'informer'>;
  readonly isLeader: Gauge;
  readonly reconcileYields: Counter<'controller'>;
  private readonly phasesByDc = new Map<string, Set<string>>();

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    this.reconcilesTotal = new Counter({
      name: `${p}reconciles_total`,
      help: 'Reconciles run, by controller and result (success, requeue, temporary_error, permanent_error, error).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: `${p}reconcile_duration_seconds`,
      help: 'Duration of one reconcile.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.reconcileErrorsTotal = new Counter({
      name: `${p}reconcile_errors_total`,
      help: 'Failed reconciles, by controller and kind (temporary, permanent, unexpected).',
      labelNames: ['controller', 'kind'],
      registers,
    });
    this.workqueueDepth = new Gauge({
      name: `${p}workqueue_depth`,
      help: 'Keys waiting in a work queue (not in flight, not scheduled for later).',
      labelNames: ['queue'],
      registers,
    });
    this.workqueueRetriesTotal = new Counter({
      name: `${p}workqueue_retries_total`,
      help: 'Keys scheduled again after a failed reconcile.',
      labelNames: ['queue'],
      registers,
    });
    this.unitsByPhase = new Gauge({
      name: `${p}units`,
      help: 'Units of each DistributedCloud (namespace/name) by phase.',
      labelNames: ['dc', 'phase'],
      registers,
    });
    this.siteReachable = new Gauge({
      name: `${p}site_reachable`,
      help: '1 when the EdgeSite member cluster API server answered the last probe, else 0.',
      labelNames: ['site'],
      registers,
    });
    this.informerRestartsTotal = new Counter({
      name: `${p}informer_restarts_total`,
      help: 'Informers restarted after a list/watch error.',
      labelNames: ['informer'],
      registers,
    });
    this.informerRelistsTotal = new Counter({
      name: `${p}informer_relists_total`,
      help: 'Full lists done by informers (initial sync, 410 Gone, restart).',
      labelNames: ['informer'],
      registers,
    });
    this.isLeader = new Gauge({
      name: `${p}leader`,
      help: '1 while this replica holds the leader Lease.',
      registers,
    });
    this.reconcileYields = new Counter({
      name: `${p}reconcile_yields_total`,
      help:
        'Times a reconcile handed the event loop back in the middle of its work (time slicing of large ' +
        'DistributedClouds; see nodejs_eventloop_lag_* for how long the loop was held).',
      labelNames: ['controller'],
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  /** Work queue hooks feeding reconciles_total, reconcile_duration_seconds, errors, retries and queue depth. */
  queueHooks(controller: string): WorkQueueHooks {
    return {
      onDepth: (depth) => this.workqueueDepth.set({ queue: controller }, depth),
      onReconcile: (report) => {
        this.reconcilesTotal.inc({ controller, result: report.outcome });
        this.reconcileDuration.observe({ controller }, report.durationMs / 1000);
        const kind = failureKind(report.outcome);
        if (kind) this.reconcileErrorsTotal.inc({ controller, kind });
        if (kind && report.nextRunInMs !== undefined) this.workqueueRetriesTotal.inc({ queue: controller });
      },
    };
  }

  /** Set the unit counts of one DistributedCloud; phases not given are exported as 0. */
  setUnitsByPhase(dc: string, counts: Partial<Record<string, number>>): void {
    const phases = this.phasesByDc.get(dc) ?? new Set<string>(UNIT_PHASES);
    for (const phase of Object.keys(counts)) phases.add(phase);
    this.phasesByDc.set(dc, phases);
    for (const phase of phases) this.unitsByPhase.set({ dc, phase }, counts[phase] ?? 0);
  }

  /** Drop the series of a deleted DistributedCloud. */
  forgetDistributedCloud(dc: string): void {
    for (const phase of this.phasesByDc.get(dc) ?? []) this.unitsByPhase.remove({ dc, phase });
    this.phasesByDc.delete(dc);
  }

  setSiteReachable(site: string, reachable: boolean): void {
    this.siteReachable.set({ site }, reachable ? 1 : 0);
  }

  forgetSite(site: string): void {
    this.siteReachable.remove({ site });
  }

  /** Prometheus text exposition of every metric. */
  async exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
