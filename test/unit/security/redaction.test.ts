// Redaction corpus (issue 12, Deliver 5): every case through the path it takes in the operator (free text, a
// structured log field, an error described for an Event/condition, and a real log line) loses its secrets and keeps
// its context. Also: Event and status messages are redacted where they are written.
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import winston from 'winston';
import { patchStatus, recordEvent, type ControllerContext } from '../../../operator/src/controllers/context.js';
import { createLogger } from '../../../operator/src/runtime/logger.js';
import { describeError, redact, redactString } from '../../../operator/src/runtime/redact.js';
import { REDACTION_CORPUS, type RedactionCase } from './redaction-corpus.js';

function apply(c: RedactionCase): string {
  if (c.via === 'text') return redactString(c.input as string);
  if (c.via === 'error') return describeError(c.input);
  return JSON.stringify(redact(c.input));
}

function logLine(c: RedactionCase): string {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ transports: [new winston.transports.Stream({ stream })] });
  if (c.via === 'structured') logger.warn('event', c.input as Record<string, unknown>);
  else logger.warn(typeof c.input === 'string' ? c.input : 'failed', { error: c.input });
  return lines.join('');
}

describe('redaction corpus', () => {
  test('has at least 30 cases, each with context to keep', () => {
    expect(REDACTION_CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(REDACTION_CORPUS.map((c) => c.name)).size).toBe(REDACTION_CORPUS.length);
    for (const c of REDACTION_CORPUS) expect([c.name, c.keep.length > 0]).toEqual([c.name, true]);
  });

  test.each(REDACTION_CORPUS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const out = apply(c);
    for (const secret of c.secrets) expect(out).not.toContain(secret);
    for (const context of c.keep) expect(out).toContain(context);
    if (c.secrets.length > 0) expect(out).toContain('[REDACTED');
    // Idempotent: redacting twice changes nothing (Events and conditions may carry already-redacted text).
    if (c.via === 'text') expect(redactString(out)).toBe(out);
  });

  test.each(REDACTION_CORPUS.map((c) => [c.name, c] as const))('log line: %s', (_name, c) => {
    const line = logLine(c);
    for (const secret of c.secrets) expect(line).not.toContain(secret);
  });
});

describe('where messages leave the process', () => {
  const textCases = REDACTION_CORPUS.filter((c) => c.via === 'text' && c.secrets.length > 0);
  const secretsOf = textCases.flatMap((c) => c.secrets);

  function fakeContext(sent: unknown[]): ControllerContext {
    const capture = async (request: { body: unknown }): Promise<void> => void sent.push(request.body);
    return {
      core: { createNamespacedEvent: capture },
      custom: { patchClusterCustomObjectStatus: capture, patchNamespacedCustomObjectStatus: capture },
      identity: 'test',
      logger: createLogger({
        transports: [new winston.transports.Stream({ stream: new Writable({ write: (_c, _e, cb) => cb() }) })],
      }),
    } as unknown as ControllerContext;
  }

  test('Event messages are redacted before they are created', async () => {
    const sent: unknown[] = [];
    const ctx = fakeContext(sent);
    for (const c of textCases)
      await recordEvent(
        ctx,
        { metadata: { name: 'demo', namespace: 'openstack' } },
        'Warning',
        'UnitFailed',
        c.input as string,
      );
    expect(sent).toHaveLength(textCases.length);
    const text = JSON.stringify(sent);
    for (const secret of secretsOf) expect(text).not.toContain(secret);
    expect(text).toContain('rabbitmq.openstack.svc:5672');
  });

  test('every status message (conditions, units, sites) is redacted before the patch', async () => {
    const sent: unknown[] = [];
    const ctx = fakeContext(sent);
    const messages = textCases.map((c) => c.input as string);
    await patchStatus(
      ctx,
      { plural: 'distributedclouds', name: 'demo', namespace: 'openstack' },
      {
        conditions: messages.map((message, i) => ({ type: `T${i}`, status: 'False', reason: 'UnitFailed', message })),
        units: [{ name: 'nova-db-sync@core', phase: 'Failed', message: messages[0] }],
        sites: [{ name: 'edge-1', message: messages[1] }],
        observedGeneration: 3,
      },
    );
    await patchStatus(
      ctx,
      { plural: 'edgesites', name: 'edge-1' },
      {
        conditions: [{ type: 'Reachable', status: 'False', reason: 'Unreachable', message: messages[2] }],
      },
    );
    const text = JSON.stringify(sent);
    for (const secret of secretsOf) expect(text).not.toContain(secret);
    expect(sent[0]).toMatchObject({ status: { observedGeneration: 3, units: [{ name: 'nova-db-sync@core' }] } });
    expect(text).toContain('@database.openstack.svc:3306/nova');
  });
});
