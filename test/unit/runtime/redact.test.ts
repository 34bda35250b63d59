// Unit tests of credential redaction: structured values, free text, errors and the winston log format.
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import winston from 'winston';
import { createLogger, withContext } from '../../../operator/src/runtime/logger.js';
import { describeError, isSensitiveKey, redact, redactString } from '../../../operator/src/runtime/redact.js';

const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretsecret\n-----END RSA PRIVATE KEY-----';
const KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters:',
  '- cluster:',
  '    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=',
  '    server: https://127.0.0.1:6443',
  'users:',
  '- user:',
  '    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF',
  '    token: abcdef.0123456789abcdef',
].join('\n');
const KUBECONFIG_B64 = Buffer.from(KUBECONFIG).toString('base64');

describe('redact', () => {
  test('field names: credentials are sensitive, references to them are not', () => {
    for (const k of ['kubeconfig', 'token', 'password', 'client-key-data', 'tls.key', 'caData', 'bearerToken'])
      expect([k, isSensitiveKey(k)]).toEqual([k, true]);
    for (const k of ['kubeconfigSecretRef', 'secretName', 'key', 'name', 'tokenFile', 'message', 'site'])
      expect([k, isSensitiveKey(k)]).toEqual([k, false]);
  });

  test('scrubs sensitive fields and Secret data, keeps references and ordinary fields', () => {
    const input = {
      site: 'edge-1',
      kubeconfigSecretRef: { namespace: 'discovery-system', name: 'kubeconfig-edge-1', key: 'kubeconfig' },
      kubeconfig: KUBECONFIG,
      nested: { password: 'hunter2', token: 'xyz', replicas: 3 },
      secret: { kind: 'Secret', metadata: { name: 's' }, data: { kubeconfig: KUBECONFIG_B64, other: 'b3RoZXI=' } },
    };
    const out = redact(input);
    const text = JSON.stringify(out);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abcdef.0123456789abcdef');
    expect(text).not.toContain(KUBECONFIG_B64.slice(0, 40));
    expect(text).not.toContain('b3RoZXI=');
    expect(out.site).toBe('edge-1');
    expect(out.kubeconfigSecretRef).toEqual(input.kubeconfigSecretRef);
    expect(out.nested.replicas).toBe(3);
    expect(out.secret.metadata).toEqual({ name: 's' });
    expect(Object.keys(out.secret.data)).toEqual(['kubeconfig', 'other']);
    expect(input.nested.password).toBe('hunter2'); // input untouched
  });

  test('scrubs credentials inside free text', () => {
    const text = redactString(
      `failed: Authorization: Bearer eyJhbGciOi.payload.sig\n${KUBECONFIG}\n${PEM}\nblob ${KUBECONFIG_B64}`,
    );
    expect(text).not.toMatch(/eyJhbGciOi|abcdef\.0123|MIIEowIBAAKCAQEA|LS0tLS1CRUdJTiBSU0E/);
    expect(text).not.toContain(KUBECONFIG_B64.slice(0, 40));
    expect(text).toContain('server: https://127.0.0.1:6443');
    expect(text).toContain('Bearer [REDACTED]');
  });

  test('errors become scrubbed objects; describeError gives one safe line', () => {
    const error = Object.assign(new Error(`cannot load kubeconfig: token: s3cr3t-value in ${PEM}`), { code: 401 });
    const out = redact({ error }) as { error: { message: string; code: number } };
    expect(out.error.message).not.toContain('s3cr3t-value');
    expect(out.error.code).toBe(401);
    const line = describeError(error);
    expect(line).not.toContain('s3cr3t-value');
    expect(line).toMatch(/\(HTTP 401\)$/);
    const apiError = Object.assign(new Error('HTTP-Code: 403\nBody: {...}'), {
      code: 403,
      body: JSON.stringify({ kind: 'Status', message: 'secrets is forbidden' }),
    });
    expect(describeError(apiError)).toBe('secrets is forbidden (HTTP 403)');
  });
});

describe('logger', () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        cb();
      },
    });
    return { lines, transport: new winston.transports.Stream({ stream }) };
  }

  test('JSON lines carrying dc/site/unit from child loggers, with credentials scrubbed', () => {
    const { lines, transport } = capture();
    const logger = createLogger({ level: 'debug', transports: [transport] });
    const log = withContext(logger, { dc: 'openstack/demo', site: 'edge-1', unit: undefined });
    withContext(log, { unit: 'keystone-api@edge-1' }).info('applied', {
      kubeconfig: KUBECONFIG,
      detail: `token: abcdef.0123456789abcdef`,
    });
    log.error('probe failed', { error: new Error(`bad cert ${PEM}`) });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'applied',
      dc: 'openstack/demo',
      site: 'edge-1',
      unit: 'keystone-api@edge-1',
      kubeconfig: '[REDACTED]',
    });
    expect(lines[0]).toHaveProperty('timestamp');
    expect(lines[1]).not.toHaveProperty('unit');
    const all = JSON.stringify(lines);
    expect(all).not.toMatch(/abcdef\.0123|MIIEowIBAAKCAQEA/);
  });

  test('level option filters lines', () => {
    const { lines, transport } = capture();
    const logger = createLogger({ level: 'warn', transports: [transport] });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((l) => l.message)).toEqual(['shown']);
  });
});
