// `discovery render`: the three samples render into per-site directories; a second render into the same DIR reuses
// DIR/secrets.yaml and is byte-identical; --secrets supplies existing credentials (file safety: test/unit/security).
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { runCli } from '../../../operator/src/cli/main.js';
import type { CliIO } from '../../../operator/src/cli/io.js';
import { processIO } from '../../../operator/src/cli/io.js';
import { TOPOLOGIES } from './fixtures.js';

/** `discovery render ARGS`, in-process. */
const runRender = (argv: string[], io: CliIO) => runCli(['render', ...argv], io);

const tmp = mkdtempSync(join(tmpdir(), 'discovery-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function quietIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { ...processIO(), stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), out, err };
}

function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const p = join(entry.parentPath, entry.name);
      out[p.slice(dir.length + 1)] = readFileSync(p, 'utf8');
    }
  }
  return out;
}

describe('discovery render', () => {
  test.each(TOPOLOGIES)('%s: per-site directories, byte-identical on re-render', async (topology) => {
    const dir = join(tmp, topology);
    const args = ['-f', 'crds/samples/sites.yaml', '-f', `crds/samples/dc-${topology}.yaml`, '-o', dir];
    const io = quietIO();
    expect(await runRender(args, io)).toBe(0);
    const first = snapshotDir(dir);
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining(['secrets.yaml', 'management/generated-secrets.yaml', 'core/00-namespace.yaml']),
    );
    expect(Object.keys(first).some((p) => p.startsWith('edge-1/'))).toBe(true);
    expect(await runRender(args, quietIO())).toBe(0);
    expect(snapshotDir(dir)).toEqual(first);
  });

  test('--secrets: given credentials are used and completed in that file; hand-written files are left alone', async () => {
    const dir = join(tmp, 'given');
    const secretsFile = join(tmp, 'given-secrets.yaml');
    writeFileSync(secretsFile, 'database-root:\n  password: supersecret\n');
    const args = [
      '-f',
      'crds/samples/sites.yaml',
      '-f',
      'crds/samples/dc-centralized.yaml',
      '-o',
      dir,
      '--secrets',
      secretsFile,
    ];
    expect(await runRender(args, quietIO())).toBe(0);
    const saved = load(readFileSync(secretsFile, 'utf8')) as Record<string, Record<string, string>>;
    expect(saved['database-root']!.password).toBe('supersecret');
    expect(readdirSync(dir)).not.toContain('secrets.yaml');
    writeFileSync(join(dir, 'edge-1', '42-stale-unit.yaml'), '---\n');
    expect(await runRender(args, quietIO())).toBe(0);
    expect(readdirSync(join(dir, 'edge-1'))).toContain('42-stale-unit.yaml'); // not written by render: kept
  });

  test('bad usage exits 2; several clouds need --name', async () => {
    const io = quietIO();
    expect(await runRender(['-f', 'crds/samples/sites.yaml', '-f', 'crds/samples/dc-cells.yaml'], io)).toBe(2);
    expect(io.err.join('')).toContain('-o/--output DIR is required');
    const io2 = quietIO();
    const all = [
      '-f',
      'crds/samples/sites.yaml',
      '-f',
      'crds/samples/dc-cells.yaml',
      '-f',
      'crds/samples/dc-distributed.yaml',
    ];
    expect(await runRender([...all, '-o', join(tmp, 'x')], io2)).toBe(2);
    expect(io2.err.join('')).toContain('pick one with --name');
    expect(await runRender([...all, '-o', join(tmp, 'x'), '--name', 'demo-cells'], quietIO())).toBe(0);
  });
});
