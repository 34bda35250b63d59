// `discovery render` file safety (issue 12, Deliver 5): hostile names and output trees are refused before anything
// is written (DIR and the outside stay as they were), credentials are written 0600 and only where asked, and
// stale-file removal touches only files a previous render recorded as its own.
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { runCli } from '../../../operator/src/cli/main.js';
import { processIO, type CliIO } from '../../../operator/src/cli/io.js';

const runRender = (argv: string[], io: CliIO): Promise<number> => runCli(['render', ...argv], io);
import { HOSTILE_RENDER_NAMES, HOSTILE_RENDER_TREES, type Obj } from './corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'discovery-render-safety-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
const fresh = (name: string): string => join(tmp, `${++counter}-${name}`);

function quietIO(): CliIO & { err: string[] } {
  const err: string[] = [];
  return { ...processIO(), stdout: () => undefined, stderr: (t) => void err.push(t), err };
}

const SITES = loadAll(readFileSync('crds/samples/sites.yaml', 'utf8')).filter(Boolean) as Obj[];
const DC = load(readFileSync('crds/samples/dc-centralized.yaml', 'utf8')) as Obj;
const meta = (o: Obj) => o.metadata as Obj;
const spec = (o: Obj) => o.spec as Obj;

/** Writes the inputs (sample sites + centralized DC, optionally changed) and returns the -f arguments. */
function inputs(at: string, change: (sites: Obj[], dc: Obj) => void = () => undefined): string[] {
  const sites = JSON.parse(JSON.stringify(SITES)) as Obj[]; // (structuredClone crosses jest's realm: dump refuses it)
  const dc = JSON.parse(JSON.stringify(DC)) as Obj;
  change(sites, dc);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'sites.yaml'), sites.map((s) => dump(s)).join('---\n'));
  writeFileSync(join(at, 'dc.yaml'), dump(dc));
  return ['-f', join(at, 'sites.yaml'), '-f', join(at, 'dc.yaml')];
}

/** Every file under dir with its content (symlinks reported as such). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    out[p.slice(dir.length + 1)] = e.isSymbolicLink() ? '<symlink>' : e.isFile() ? readFileSync(p, 'utf8') : '<dir>';
  }
  return out;
}

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe('hostile names are refused before anything is written', () => {
  test.each(HOSTILE_RENDER_NAMES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const root = fresh('names');
    const args = inputs(join(root, 'in'), (sites, dc) => {
      if (c.target === 'site') {
        // The DC selects sites by label (spec.sites would be refused by the schema): any EdgeSite with the label,
        // whatever its name, is selected.
        const copy = JSON.parse(JSON.stringify(sites.find((s) => meta(s).name === 'edge-1'))) as Obj;
        meta(copy).name = c.value;
        sites.push(copy);
        delete spec(dc).sites;
        spec(dc).siteSelector = { matchLabels: { 'discovery.beyondtheclouds.io/fleet': 'demo' } };
      } else if (c.target === 'cloud') meta(dc).name = c.value;
      else meta(dc).namespace = c.value;
    });
    const out = join(root, 'deep', 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'keep.txt'), 'mine\n');
    const before = tree(root);
    const io = quietIO();
    expect(await runRender([...args, '-o', out], io)).toBe(1);
    const stderr = io.err.join('');
    expect(stderr).toContain(JSON.stringify(c.value).slice(0, 40));
    expect(stderr).toMatch(/not a valid Kubernetes name|is reserved by discovery render/);
    expect(tree(root)).toEqual(before); // nothing written anywhere, nothing lost
  });
});

describe('hostile output trees are refused before anything is written', () => {
  test.each(HOSTILE_RENDER_TREES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const root = fresh('trees');
    const args = inputs(join(root, 'in'));
    const out = join(root, 'out');
    const outside = join(root, 'outside');
    mkdirSync(outside, { recursive: true });
    c.setup(out, outside);
    const before = tree(root);
    const io = quietIO();
    expect(await runRender([...args, '-o', out], io)).toBe(1);
    expect(io.err.join('')).toContain(c.message);
    expect(tree(root)).toEqual(before);
  });
});

describe('credentials are written 0600, and only where asked', () => {
  test('secrets.yaml and every file holding a Secret are 0600, the others 0644, also over existing files', async () => {
    const root = fresh('modes');
    const args = [...inputs(join(root, 'in')), '-o', join(root, 'out')];
    expect(await runRender(args, quietIO())).toBe(0);
    const out = join(root, 'out');
    chmodSync(join(out, 'secrets.yaml'), 0o644); // e.g. written by an older version
    expect(await runRender(args, quietIO())).toBe(0);
    const files = Object.entries(tree(out)).filter(([, content]) => content !== '<dir>');
    const modes = Object.fromEntries(
      files.map(([p, content]) => [p, [mode(join(out, p)), /^kind: Secret$/m.test(content)]]),
    );
    expect(modes['secrets.yaml']![0]).toBe('600');
    expect(modes['management/generated-secrets.yaml']).toEqual(['600', true]);
    expect(modes['core/00-namespace.yaml']).toEqual(['644', false]);
    for (const [p, [m, holdsSecret]] of Object.entries(modes))
      if (p !== 'secrets.yaml' && p !== '.discovery-render') expect([p, m]).toEqual([p, holdsSecret ? '600' : '644']);
    expect(mode(out)).toBe('700');
  });

  test('--secrets FILE: credentials go back to FILE (0600), never into DIR', async () => {
    const root = fresh('given');
    const secretsFile = join(root, 'vault', 'secrets.yaml');
    mkdirSync(join(root, 'vault'), { recursive: true });
    writeFileSync(secretsFile, 'database-root:\n  password: supersecret\n', { mode: 0o644 });
    const args = [...inputs(join(root, 'in')), '-o', join(root, 'out'), '--secrets', secretsFile];
    expect(await runRender(args, quietIO())).toBe(0);
    expect(existsSync(join(root, 'out', 'secrets.yaml'))).toBe(false);
    const saved = load(readFileSync(secretsFile, 'utf8')) as Record<string, Record<string, string>>;
    expect(saved['database-root']!.password).toBe('supersecret');
    expect(Object.keys(saved).length).toBeGreaterThan(1); // generated ones were added
    expect(mode(secretsFile)).toBe('600');
    const text = readFileSync(secretsFile, 'utf8');
    expect(await runRender(args, quietIO())).toBe(0);
    expect(readFileSync(secretsFile, 'utf8')).toBe(text);
  });
});

describe('stale-file removal touches only files render wrote itself', () => {
  test('files of a dropped site go; hand-written files, other directories and tampered entries stay', async () => {
    const root = fresh('stale');
    const out = join(root, 'out');
    const all = [...inputs(join(root, 'in4')), '-o', out];
    expect(await runRender(all, quietIO())).toBe(0);
    expect(Object.keys(tree(out)).some((p) => p.startsWith('edge-3/'))).toBe(true);

    // Files that are not render's own: a note in a site directory, an unrelated directory, an edited file.
    writeFileSync(join(out, 'edge-1', '42-notes.yaml'), '# my notes\n');
    mkdirSync(join(out, 'docs'));
    writeFileSync(join(out, 'docs', '01-readme.yaml'), 'x: 1\n');
    const edited = Object.keys(tree(out)).find((p) => p.startsWith('edge-3/') && !p.endsWith('00-namespace.yaml'))!;
    writeFileSync(join(out, edited), 'kind: ConfigMap # hand-edited, no longer generated\n');
    // A tampered manifest naming files outside DIR and not written by render.
    writeFileSync(join(root, 'outside.yaml'), '# Generated by `discovery render` (a look-alike outside -o)\n');
    const manifest = JSON.parse(readFileSync(join(out, '.discovery-render'), 'utf8')) as { files: string[] };
    manifest.files.push('../outside.yaml', '/etc/hostname', 'docs/01-readme.yaml', 'edge-1/42-notes.yaml');
    writeFileSync(join(out, '.discovery-render'), JSON.stringify(manifest));

    const three = [
      ...inputs(join(root, 'in3'), (_s, dc) => {
        spec(dc).sites = ['core', 'edge-1', 'edge-2'];
      }),
      '-o',
      out,
    ];
    expect(await runRender(three, quietIO())).toBe(0);
    const after = tree(out);
    expect(Object.keys(after).filter((p) => p.startsWith('edge-3'))).toEqual(['edge-3', edited]);
    expect(after['edge-1/42-notes.yaml']).toBe('# my notes\n');
    expect(after['docs/01-readme.yaml']).toBe('x: 1\n');
    expect(existsSync(join(root, 'outside.yaml'))).toBe(true);
    const recorded = JSON.parse(after['.discovery-render']!) as { files: string[] };
    expect(recorded.files).toContain('edge-2/00-namespace.yaml');
    expect(recorded.files.some((f) => f.startsWith('edge-3/') || f.includes('..'))).toBe(false);
  });
});
