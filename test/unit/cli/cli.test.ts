// The discovery CLI run in-process: plan/graph output on the samples (snapshots), help, and errors.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { runCli } from '../../../operator/src/cli/main.js';
import type { CliIO } from '../../../operator/src/cli/io.js';
import { samplePath } from '../planner/samples.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  files: Map<string, string>;
}
async function run(argv: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const files = new Map<string, string>();
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: async () => stdin,
    readFile: async (p) => readFileSync(p, 'utf8'),
    writeFile: async (p, c) => void files.set(p, c),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, files };
}
const sites = samplePath('sites.yaml');
const dc = (t: string) => samplePath(`dc-${t}.yaml`);

describe('discovery plan', () => {
  test.each(['centralized', 'cells', 'distributed'])('%s sample', async (t) => {
    const r = await run(['plan', '-f', sites, '-f', dc(t)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Critical path \(/);
    expect(r.stdout).toMatch(/eager saves/);
    expect(r.stdout).toMatchSnapshot();
  });

  test('reads stdin with -f -, several DistributedClouds, --name picks one', async () => {
    const both = readFileSync(dc('cells'), 'utf8') + '\n---\n' + readFileSync(dc('centralized'), 'utf8');
    const all = await run(['plan', '--brief', '-f', sites, '-f', '-'], both);
    expect(all.code).toBe(0);
    expect(all.stdout.match(/^DistributedCloud /gm)).toHaveLength(2);
    const name = /name: (\S+)/.exec(readFileSync(dc('cells'), 'utf8'))![1]!;
    const one = await run(['plan', '--brief', '-n', name, '-f', sites, '-f', '-'], both);
    expect(one.stdout.match(/^DistributedCloud /gm)).toHaveLength(1);
    expect(one.stdout).toContain('topology cells');
  });

  test('invalid plan: exit 1 with the validation message', async () => {
    const galera = readFileSync(dc('distributed'), 'utf8').replace(/type: cockroachdb/, 'type: galera');
    const r = await run(['plan', '-f', sites, '-f', '-'], galera);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/galera cannot span sites .*rttMillis/);
    expect(r.stdout).toBe('');
  });

  test('schema violation and missing sites: exit 1 naming the field', async () => {
    const bad = readFileSync(dc('cells'), 'utf8').replace(/topology: cells/, 'topology: mesh');
    const r = await run(['plan', '-f', sites, '-f', '-'], bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec.topology');
    const noSites = await run(['plan', '-f', dc('cells')]);
    expect(noSites.code).toBe(1);
    expect(noSites.stderr).toMatch(/EdgeSite|not an existing/);
    const missing = await run(['plan', '-f', '/nonexistent.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('/nonexistent.yaml: cannot read');
  });

  test('usage errors exit 2', async () => {
    expect((await run(['plan', '--bogus'])).code).toBe(2);
    expect((await run(['nope'])).code).toBe(2);
    expect((await run(['plan'])).code).toBe(1); // no input
  });
});

describe('discovery graph', () => {
  test('DOT: clusters per site, dependency -> dependent edges', async () => {
    const r = await run(['graph', '-f', sites, '-f', dc('centralized')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^digraph "/);
    expect(r.stdout).toContain('subgraph "cluster_edge-1"');
    expect(r.stdout).toContain('"nova-conductor@core" -> "nova-compute@edge-1"');
    expect(r.stdout).toMatchSnapshot();
  });

  test('Mermaid to a file', async () => {
    const r = await run(['graph', '--format', 'mermaid', '-o', 'out.mmd', '-f', sites, '-f', dc('cells')]);
    expect(r.code).toBe(0);
    const text = r.files.get('out.mmd')!;
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    expect(text).toContain('nova_create_cell_edge_1 --> nova_db_sync_edge_1');
    expect(text).toContain('class database_server_core');
  });

  test('bad format is a usage error', async () => {
    const r = await run(['graph', '--format', 'png', '-f', sites, '-f', dc('cells')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format must be one of dot, mermaid, svg');
  });
});

test('--help on every command', async () => {
  const top = await run(['--help']);
  expect(top.code).toBe(0);
  for (const name of ['plan', 'graph']) {
    expect(top.stdout).toContain(`  ${name} `);
    const r = await run([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: discovery ${name} `));
  }
});
