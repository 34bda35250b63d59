// One log line per failed reconcile, so an operator (the person) sees why a key is retried: which controller and key,
// how it failed (temporary, permanent, unexpected), how many times in a row and when it runs again. Successes and
// requeues stay silent (metrics count them). The error is described (redacted) by describeError.
import type { Logger } from './logger.js';
import { describeError } from './redact.js';
import { failureKind, type ReconcileReport, type WorkQueueHooks } from './workqueue.js';

/** The log line of a reconcile report, or undefined when there is nothing to say. */
export function reconcileFailureEntry(
  controller: string,
  report: ReconcileReport,
): { level: 'warn' | 'error'; message: string; meta: Record<string, unknown> } | undefined {
  const kind = failureKind(report.outcome);
  if (!kind) return undefined;
  return {
    // an unexpected error is a bug or a missing permission; temporary and permanent ones are expected conditions
    level: kind === 'unexpected' ? 'error' : 'warn',
    message: 'reconcile failed',
    meta: {
      controller,
      key: report.key,
      kind,
      failures: report.failures,
      ...(report.nextRunInMs !== undefined ? { retryInMs: report.nextRunInMs } : {}),
      error: describeError(report.error),
    },
  };
}

/** Work queue hooks that log failed reconciles, then call `next` (e.g. the metrics hooks). */
export function loggingQueueHooks(logger: Logger, controller: string, next: WorkQueueHooks = {}): WorkQueueHooks {
  return {
    ...next,
    onReconcile: (report) => {
      const entry = reconcileFailureEntry(controller, report);
      if (entry) logger.log(entry.level, entry.message, entry.meta);
      next.onReconcile?.(report);
    },
  };
}
