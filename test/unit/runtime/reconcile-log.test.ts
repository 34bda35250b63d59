// Failed reconciles are logged (one line each, level by kind, error redacted); successes and requeues are not. Before
// this, a reconcile failing on a missing permission only moved a metric: the operator's log said nothing.
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import winston from 'winston';
import { createLogger } from '../../../operator/src/runtime/logger.js';
import { loggingQueueHooks } from '../../../operator/src/runtime/reconcile-log.js';
import { TemporaryError, WorkQueue, type ReconcileReport } from '../../../operator/src/runtime/workqueue.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] }) };
}

const forbidden = Object.assign(new Error('HTTP-Code: 403 Message: Unknown API Status Code!'), {
  code: 403,
  body: JSON.stringify({ kind: 'Status', message: 'secrets "x" is forbidden: User "sa" cannot delete resource' }),
});

describe('loggingQueueHooks', () => {
  test('each failure kind is one line with controller, key, kind, count and retry; others are silent', () => {
    const { lines, logger } = capture();
    const seen: ReconcileReport[] = [];
    const hooks = loggingQueueHooks(logger, 'distributedcloud', { onReconcile: (r) => seen.push(r) });
    const reports: ReconcileReport[] = [
      { key: 'ns/a', outcome: 'success', durationMs: 3, failures: 0 },
      { key: 'ns/a', outcome: 'requeue', durationMs: 3, failures: 0, nextRunInMs: 5000 },
      { key: 'ns/a', outcome: 'error', durationMs: 3, failures: 2, nextRunInMs: 400, error: forbidden },
      { key: 'ns/b', outcome: 'temporary_error', durationMs: 3, failures: 1, nextRunInMs: 200, error: new Error('x') },
      { key: 'ns/c', outcome: 'permanent_error', durationMs: 3, failures: 0, error: new Error('bad spec') },
    ];
    for (const r of reports) hooks.onReconcile!(r);
    expect(seen).toEqual(reports); // the next hooks (metrics) still see every report
    expect(lines.map((l) => [l.level, l.message, l.key, l.kind, l.failures, l.retryInMs])).toEqual([
      ['error', 'reconcile failed', 'ns/a', 'unexpected', 2, 400],
      ['warn', 'reconcile failed', 'ns/b', 'temporary', 1, 200],
      ['warn', 'reconcile failed', 'ns/c', 'permanent', 0, undefined],
    ]);
    expect(lines[0]!.controller).toBe('distributedcloud');
    expect(lines[0]!.error).toMatch(/forbidden/);
  });

  test('wired into a real work queue: a failing reconcile shows in the log with its retry', async () => {
    const { lines, logger } = capture();
    let calls = 0;
    const queue = new WorkQueue({
      name: 'test',
      reconcile: async () => {
        calls++;
        if (calls === 1) throw new TemporaryError('member cluster edge-1 unreachable');
        return {};
      },
      baseDelayMs: 5,
      hooks: loggingQueueHooks(logger, 'edgesite'),
    });
    queue.start();
    queue.add('edge-1');
    for (let i = 0; i < 200 && calls < 2; i++) await new Promise((r) => setTimeout(r, 5));
    await queue.shutdown();
    expect(calls).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', controller: 'edgesite', key: 'edge-1', kind: 'temporary' });
    expect(lines[0]!.error).toMatch(/unreachable/);
  });
});
