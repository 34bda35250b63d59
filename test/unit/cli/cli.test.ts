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
    const galera = readFileSync(dc('distributed'), 'utf8').replace(/type: mariadb/, 'type: galera');
    const r = await run(['plan', '-f', sites, '-f', '-'], galera);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/spec\.database\.type: Invalid value: galera in the distributed topology .* use mariadb/);
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

describe('every error class reaches the user as one clean line', () => {
  /** stderr of a failed run: one line `discovery <command>: …` (plus the usage hint for usage errors), no stack. */
  function expectCleanFailure(r: Run, command: string, code: number, message: RegExp): void {
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^discovery ${command}: `));
    expect(lines[0]).toMatch(message);
    expect(lines.slice(1)).toEqual(code === 2 ? [`Run \`discovery ${command} --help\` for usage.`] : []);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }
  const cloud = (t: string, edit: (text: string) => string) => edit(readFileSync(dc(t), 'utf8'));

  test('usage error (exit 2)', async () => {
    expectCleanFailure(await run(['render', '--bogus']), 'render', 2, /Unknown option '--bogus'/);
  });

  test('unreadable input file', async () => {
    expectCleanFailure(await run(['plan', '-f', '/nonexistent.yaml']), 'plan', 1, /\/nonexistent\.yaml: cannot read/);
  });

  test('a release the renderers do not support is refused by validation, naming the supported ones', async () => {
    const old = cloud('cells', (t) => t.replace(/release: ['"]?[0-9.]+['"]?/, 'release: "2022.1"'));
    expect(old).toContain('release: "2022.1"');
    const r = await run(['render', '-o', 'out', '-f', sites, '-f', '-'], old);
    expectCleanFailure(r, 'render', 1, /spec\.release: Unsupported value: "2022\.1": supported values: "2023\.1"/);
  });

  test('several schema violations stay on one line', async () => {
    const bad = cloud('cells', (t) =>
      t.replace(/topology: cells/, 'topology: mesh').replace(/type: rabbitmq/, 'type: x'),
    );
    const r = await run(['plan', '-f', sites, '-f', '-'], bad);
    expectCleanFailure(r, 'plan', 1, /invalid input: .*spec\.topology: .*; spec\.messageBus\.type: /);
  });

  test('plan error', async () => {
    const noPlacement = cloud('distributed', (t) => t.replace(/placement: \{\}/, 'placement: { enabled: false }'));
    expectCleanFailure(
      await run(['plan', '-f', sites, '-f', '-'], noPlacement),
      'plan',
      1,
      /nova requires placement, which is disabled \(spec\.services\.placement\)/,
    );
  });

  test('render error (nova without glance has no image service to point at)', async () => {
    const noGlance = cloud('centralized', (t) => `${t.trimEnd()}\n`);
    const doc = (await import('js-yaml')).load(noGlance) as { spec: { services?: Record<string, unknown> } };
    doc.spec.services = { ...doc.spec.services, glance: { enabled: false } };
    const r = await run(['render', '-o', 'out', '-f', sites, '-f', '-'], JSON.stringify(doc));
    expectCleanFailure(r, 'render', 1, /no site of the plan runs glance-api/);
  });

  test('Graphviz missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const r = await run(['graph', '--format', 'svg', '-f', sites, '-f', dc('cells')]);
      expectCleanFailure(r, 'graph', 1, /Graphviz `dot` is not on PATH/);
    } finally {
      process.env.PATH = path;
    }
  });

  test('a file system error names the operation and the path', async () => {
    const io = (await import('../../../operator/src/cli/io.js')).processIO();
    let stderr = '';
    const code = await runCli(['render', '-o', '/dev/null/out', '-f', sites, '-f', dc('cells')], {
      ...io,
      stdout: () => undefined,
      stderr: (t) => void (stderr += t),
    });
    expectCleanFailure(
      { code, stdout: '', stderr, files: new Map() },
      'render',
      1,
      /ENOTDIR: .*'\/dev\/null\/out[^']*'/,
    );
  });

  test('an unexpected error is an internal error, still one line', async () => {
    let stderr = '';
    const code = await runCli(['plan', '-f', sites, '-f', dc('cells')], {
      stdout: () => {
        throw new TypeError('stdout is gone\nsecond line of detail');
      },
      stderr: (t) => void (stderr += t),
      readStdin: async () => '',
      readFile: async (p) => readFileSync(p, 'utf8'),
      writeFile: async () => undefined,
    });
    expectCleanFailure(
      { code, stdout: '', stderr, files: new Map() },
      'plan',
      1,
      /^discovery plan: internal error: stdout is gone$/,
    );
  });
});
