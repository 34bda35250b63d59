// The module graph of operator/src, read from the sources: no import cycle anywhere, and the pure layers (api schema
// and validators, catalog, planner, renderers, service modules) never import the I/O layers or a Kubernetes client.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from '@jest/globals';

const ROOT = resolve(new URL('../../../operator/src', import.meta.url).pathname);
const PURE = ['api', 'catalog', 'planner', 'render', 'services'];
const IO_LAYERS = ['runtime', 'engine', 'controllers', 'cli', 'manager.ts', 'main.ts'];
/** Packages a pure layer may use: YAML, the JSON Schema validator, and hashing. */
const PURE_PACKAGES = ['js-yaml', 'ajv', 'ajv-formats', 'node:crypto'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * Every module specifier a file imports at run time (static imports, re-exports, side-effect and literal dynamic
 * imports); `import type` / `export type` statements are erased by the compiler and do not count.
 */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (/^\s*(?:import|export)\s+type\b/.test(m[0])) continue;
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

const files = sources(ROOT);
const graph = new Map<string, { local: string[]; packages: string[] }>();
for (const f of files) {
  const rel = relative(ROOT, f);
  const local: string[] = [];
  const packages: string[] = [];
  for (const s of specifiers(readFileSync(f, 'utf8'))) {
    if (s.startsWith('.')) local.push(relative(ROOT, resolve(dirname(f), s.replace(/\.js$/, '.ts'))));
    else packages.push(s);
  }
  graph.set(rel, { local, packages });
}

describe('operator/src module graph', () => {
  test('is read from the sources (sanity: known edges are found)', () => {
    expect(graph.get('render/index.ts')?.local).toContain('services/registry.ts');
    expect(graph.get('controllers/distributedcloud.ts')?.local.length).toBeGreaterThan(5);
  });

  test('has no import cycle', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'visiting');
      for (const next of graph.get(node)?.local ?? []) visit(next, [...path, node]);
      state.set(node, 'done');
    };
    for (const f of [...graph.keys()].sort()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  test('pure layers import neither the I/O layers nor I/O packages', () => {
    const violations: string[] = [];
    for (const [file, { local, packages }] of graph) {
      if (!PURE.includes(file.split('/')[0]!)) continue;
      for (const l of local) if (IO_LAYERS.includes(l.split('/')[0]!)) violations.push(`${file} -> ${l}`);
      for (const p of packages) if (!PURE_PACKAGES.includes(p)) violations.push(`${file} -> ${p}`);
    }
    expect(violations).toEqual([]);
  });
});
