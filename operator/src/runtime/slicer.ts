// Cooperative time slicing: long pure computations (rendering every unit, deciding, building the status) are written
// as generators that yield between units; a TimeSlicer runs them and gives the event loop back (setImmediate) once a
// slice has run for its budget, so Lease renewal, /healthz and informer events are never starved by one reconcile of
// a large DistributedCloud. `runSync` runs the same generator to the end without yielding (tests, the CLI).
import { performance } from 'node:perf_hooks';

/** Default slice budget: well under the 50 ms a reconcile may hold the event loop. */
export const SLICE_BUDGET_MS = 15;

export class TimeSlicer {
  private sliceStart: number;
  /** Slices handed back to the event loop so far. */
  yields = 0;
  /** Longest run between two yields observed by this slicer (ms). */
  longestMs = 0;

  constructor(
    private readonly budgetMs = SLICE_BUDGET_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sliceStart = now();
  }

  /** Yields to the event loop when the current slice has used its budget. */
  async tick(): Promise<void> {
    const elapsed = this.now() - this.sliceStart;
    if (elapsed < this.budgetMs) return;
    if (elapsed > this.longestMs) this.longestMs = elapsed;
    this.yields++;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = this.now();
  }

  /** A new slice starts (after an await on I/O, the loop already ran). */
  restart(): void {
    this.sliceStart = this.now();
  }
}

/** Runs a sliced computation to its end, synchronously. */
export function runSync<T>(steps: Generator<unknown, T, undefined>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs a sliced computation, handing the event loop back whenever the slicer's budget is used. */
export async function runSliced<T>(steps: Generator<unknown, T, undefined>, slicer: TimeSlicer): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await slicer.tick();
  }
}
