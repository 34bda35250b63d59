// Unit tests of the controller work queue: dedupe, one in flight per key, backoff, typed errors, shutdown.
import { describe, expect, test } from '@jest/globals';
import { FakeClock, flushMicrotasks } from '../../../operator/src/runtime/clock.js';
import {
  PermanentError,
  TemporaryError,
  WorkQueue,
  type ReconcileReport,
  type ReconcileResult,
} from '../../../operator/src/runtime/workqueue.js';

/** A reconcile function whose calls stay pending until the test resolves or rejects them. */
function controllableReconciler() {
  const calls: { key: string; resolve: (r?: ReconcileResult) => void; reject: (e: unknown) => void }[] = [];
  const reconcile = (key: string) =>
    new Promise<ReconcileResult | void>((resolve, reject) => {
      calls.push({ key, resolve, reject });
    });
  return { calls, reconcile };
}

function makeQueue(reconcile: (key: string) => Promise<ReconcileResult | void>, extra: { concurrency?: number } = {}) {
  const clock = new FakeClock(1_000_000);
  const reports: ReconcileReport[] = [];
  const depths: number[] = [];
  const queue = new WorkQueue({
    name: 'test',
    reconcile,
    clock,
    baseDelayMs: 1000,
    maxDelayMs: 300_000,
    concurrency: extra.concurrency ?? 2,
    hooks: { onReconcile: (r) => reports.push(r), onDepth: (d) => depths.push(d) },
  });
  return { clock, queue, reports, depths };
}

describe('WorkQueue', () => {
  test('dedupes a key added several times before it runs', async () => {
    const seen: string[] = [];
    const { queue, reports } = makeQueue(async (key) => {
      seen.push(key);
    });
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.depth).toBe(2);
    queue.start();
    await flushMicrotasks();
    expect(seen.sort()).toEqual(['a', 'b']);
    expect(reports.map((r) => r.outcome)).toEqual(['success', 'success']);
  });

  test('keeps one reconcile in flight per key and runs a key re-added meanwhile once more afterwards', async () => {
    const { calls, reconcile } = controllableReconciler();
    const { queue } = makeQueue(reconcile, { concurrency: 4 });
    queue.start();
    queue.add('a');
    await flushMicrotasks();
    expect(calls.map((c) => c.key)).toEqual(['a']);
    queue.add('a');
    queue.add('a');
    await flushMicrotasks();
    expect(calls).toHaveLength(1); // not started twice although workers are free
    expect(queue.active).toBe(1);
    calls[0]!.resolve();
    await flushMicrotasks();
    expect(calls.map((c) => c.key)).toEqual(['a', 'a']); // ran exactly once more
    calls[1]!.resolve();
    await flushMicrotasks();
    expect(calls).toHaveLength(2);
    expect(queue.active).toBe(0);
  });

  test('runs at most `concurrency` distinct keys at once', async () => {
    const { calls, reconcile } = controllableReconciler();
    const { queue, depths } = makeQueue(reconcile, { concurrency: 2 });
    for (const k of ['a', 'b', 'c', 'd']) queue.add(k);
    queue.start();
    await flushMicrotasks();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b']);
    expect(queue.depth).toBe(2);
    calls[0]!.resolve();
    await flushMicrotasks();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b', 'c']);
    calls[1]!.resolve();
    calls[2]!.resolve();
    await flushMicrotasks();
    calls[3]!.resolve();
    await flushMicrotasks();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b', 'c', 'd']);
    expect(depths.at(-1)).toBe(0);
    expect(Math.max(...depths)).toBe(4);
  });

  test('backs off exponentially per key, caps the delay, and resets after a success', async () => {
    let failuresLeft = 12;
    const runs: number[] = [];
    const { clock, queue, reports } = makeQueue(async () => {
      runs.push(clock.now());
      if (failuresLeft-- > 0) throw new Error('boom');
    });
    queue.start();
    queue.add('a');
    await flushMicrotasks();
    for (let i = 0; i < 12; i++) {
      const next = reports.at(-1)!.nextRunInMs!;
      await clock.advance(next - 1);
      expect(runs).toHaveLength(i + 1); // not retried before its delay
      await clock.advance(1);
      expect(runs).toHaveLength(i + 2);
    }
    const delays = reports.filter((r) => r.outcome === 'error').map((r) => r.nextRunInMs);
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000, 300000]);
    expect(reports.at(-1)!.outcome).toBe('success');
    expect(queue.failureCount('a')).toBe(0);
    expect(queue.nextBackoffMs('a')).toBe(1000);
    // after the success, the next failure starts over at the base delay
    failuresLeft = 1;
    queue.add('a');
    await flushMicrotasks();
    expect(reports.at(-1)).toMatchObject({ outcome: 'error', nextRunInMs: 1000, failures: 1 });
  });

  test('backoff is tracked per key', async () => {
    const { clock, queue, reports } = makeQueue(async (key) => {
      if (key === 'bad') throw new TemporaryError('site unreachable');
    });
    queue.start();
    queue.add('bad');
    await flushMicrotasks();
    await clock.advance(1000);
    await clock.advance(2000);
    queue.add('good');
    await flushMicrotasks();
    expect(reports.filter((r) => r.key === 'bad').map((r) => r.nextRunInMs)).toEqual([1000, 2000, 4000]);
    expect(reports.filter((r) => r.key === 'good').map((r) => r.outcome)).toEqual(['success']);
    expect(queue.failureCount('good')).toBe(0);
  });

  test('TemporaryError with retryAfterMs retries after exactly that delay', async () => {
    const runs: number[] = [];
    const { clock, queue, reports } = makeQueue(async () => {
      runs.push(clock.now());
      if (runs.length === 1) throw new TemporaryError('not ready', 7000);
    });
    queue.start();
    queue.add('a');
    await flushMicrotasks();
    expect(reports[0]).toMatchObject({ outcome: 'temporary_error', nextRunInMs: 7000 });
    await clock.advance(6999);
    expect(runs).toHaveLength(1);
    await clock.advance(1);
    expect(runs).toHaveLength(2);
    expect(runs[1]! - runs[0]!).toBe(7000);
  });

  test('PermanentError is not retried until the key is added again', async () => {
    let calls = 0;
    const { clock, queue, reports } = makeQueue(async () => {
      calls++;
      throw new PermanentError('invalid spec');
    });
    queue.start();
    queue.add('a');
    await flushMicrotasks();
    await clock.advance(60 * 60 * 1000);
    expect(calls).toBe(1);
    expect(queue.scheduled).toBe(0);
    expect(reports[0]?.outcome).toBe('permanent_error');
    expect(reports[0]?.nextRunInMs).toBeUndefined();
    queue.add('a'); // an event (spec edit) re-adds the key
    await flushMicrotasks();
    expect(calls).toBe(2);
  });

  test('requeueAfter schedules the key again; the earliest scheduled time wins', async () => {
    const runs: number[] = [];
    const { clock, queue } = makeQueue(async () => {
      runs.push(clock.now());
      return runs.length === 1 ? { requeueAfter: 30_000 } : {};
    });
    queue.start();
    queue.add('a');
    await flushMicrotasks();
    queue.addAfter('a', 60_000); // later than the pending requeue: ignored
    queue.addAfter('a', 10_000); // earlier: replaces it
    expect(queue.scheduled).toBe(1);
    await clock.advance(10_000);
    expect(runs).toHaveLength(2);
    await clock.advance(100_000);
    expect(runs).toHaveLength(2);
  });

  test('shutdown waits for in-flight reconciles and drops waiting and scheduled keys', async () => {
    const { calls, reconcile } = controllableReconciler();
    const { clock, queue } = makeQueue(reconcile, { concurrency: 1 });
    queue.start();
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 5000);
    await flushMicrotasks();
    expect(calls.map((c) => c.key)).toEqual(['a']);
    let done = false;
    const stopping = queue.shutdown().then(() => {
      done = true;
    });
    await flushMicrotasks();
    expect(done).toBe(false); // 'a' still in flight
    queue.add('d'); // ignored after shutdown
    calls[0]!.resolve({ requeueAfter: 1000 });
    await stopping;
    expect(done).toBe(true);
    await clock.advance(60_000);
    expect(calls.map((c) => c.key)).toEqual(['a']);
    expect(clock.pendingTimers).toBe(0);
    expect(queue.depth).toBe(0);
  });

  test('keys added before start() wait for it', async () => {
    const seen: string[] = [];
    const { queue } = makeQueue(async (key) => {
      seen.push(key);
    });
    queue.add('a');
    await flushMicrotasks();
    expect(seen).toEqual([]);
    queue.start();
    await flushMicrotasks();
    expect(seen).toEqual(['a']);
  });
});
