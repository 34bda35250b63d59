// `discovery graph`: the unit DAG as Graphviz DOT, Mermaid, or SVG (rendered by Graphviz `dot` when on PATH).
import { spawnSync } from 'node:child_process';
import { buildPlan } from '../planner/index.js';
import type { Plan, Unit } from '../planner/index.js';
import { parseCommandArgs, strings, type CliCommand } from './command.js';
import { GraphvizError, InputError, UsageError } from './io.js';
import { cloudName, loadInputs, selectClouds } from './input.js';
import { formatSeconds } from './table.js';

const FORMATS = ['dot', 'mermaid', 'svg'] as const;
type Format = (typeof FORMATS)[number];

const HELP = `Usage: discovery graph -f FILE [-f FILE ...] [--name [NAMESPACE/]NAME] [--format dot|mermaid|svg] [-o FILE]

Emit the unit dependency graph of one DistributedCloud: one box per unit, grouped by site, an arrow from each
dependency to the unit waiting for it, the critical path in red.

Options:
  -f, --filename FILE   YAML/JSON file with EdgeSites and DistributedClouds (repeatable; - reads stdin)
  -n, --name NAME       the DistributedCloud NAME or NAMESPACE/NAME (needed when the input has several)
      --format FORMAT   dot (default), mermaid, or svg (runs Graphviz \`dot -Tsvg\`; needs graphviz on PATH)
  -o, --output FILE     write to FILE instead of stdout
  -h, --help            show this help`;

export const command: CliCommand = {
  name: 'graph',
  summary: 'emit the unit dependency graph (DOT, Mermaid or SVG)',
  help: HELP,
  async run(argv, io) {
    const values = parseCommandArgs(
      command,
      argv,
      {
        filename: { type: 'string', short: 'f', multiple: true },
        name: { type: 'string', short: 'n' },
        format: { type: 'string', default: 'dot' },
        output: { type: 'string', short: 'o' },
      },
      io,
    );
    if (!values) return 0;
    const format = values.format as string;
    if (!(FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got "${format}")`);
    const input = await loadInputs(strings(values.filename), io);
    const clouds = selectClouds(input.clouds, values.name as string | undefined);
    if (clouds.length > 1)
      throw new InputError(
        `the input has ${clouds.length} DistributedClouds (${clouds.map(cloudName).join(', ')}); pick one with --name`,
      );
    const dc = clouds[0]!;
    const plan = buildPlan(dc, input.sites);
    const title = cloudName(dc);
    const text = renderGraph(plan, title, format as Format);
    if (typeof values.output === 'string') await io.writeFile(values.output, text);
    else io.stdout(text);
    return 0;
  },
};

export function renderGraph(plan: Plan, title: string, format: Format): string {
  switch (format) {
    case 'dot':
      return toDot(plan, title);
    case 'mermaid':
      return toMermaid(plan);
    case 'svg':
      return dotToSvg(toDot(plan, title));
  }
}

function sitesInOrder(plan: Plan): Map<string, Unit[]> {
  const groups = new Map<string, Unit[]>();
  for (const u of plan.units) {
    const g = groups.get(u.site);
    if (g) g.push(u);
    else groups.set(u.site, [u]);
  }
  return new Map([...groups].sort(([a], [b]) => rank(plan, a) - rank(plan, b) || a.localeCompare(b)));
}
function rank(plan: Plan, site: string): number {
  return site === plan.coreSite ? 0 : plan.sites.includes(site) ? 1 : 2;
}

function criticalEdges(plan: Plan): Set<string> {
  const s = new Set<string>();
  for (let i = 1; i < plan.criticalPath.length; i++) s.add(`${plan.criticalPath[i - 1]}>${plan.criticalPath[i]}`);
  return s;
}

const q = (s: string) => `"${s.replace(/"/g, '\\"')}"`; // DOT escapes: \n in labels is kept
const stepOf = (u: Unit) => u.id.slice(0, u.id.lastIndexOf('@'));
const DOT_SHAPE: Record<Unit['kind'], string> = { workload: 'box', job: 'box, style=rounded', config: 'note' };

/** Graphviz DOT: one cluster per site, edges from dependency to dependent, critical path in red. */
export function toDot(plan: Plan, title: string): string {
  const critical = new Set(plan.criticalPath);
  const critEdges = criticalEdges(plan);
  const lines = [
    `digraph ${q(title)} {`,
    '  rankdir=LR;',
    `  label=${q(`${title}: ${plan.units.length} units, critical path ${formatSeconds(plan.criticalPathSeconds)}`)};`,
    '  labelloc=t;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [color="#888888"];',
  ];
  for (const [site, units] of sitesInOrder(plan)) {
    const label = site === plan.coreSite ? `${site} (core)` : site;
    lines.push(`  subgraph ${q(`cluster_${site}`)} {`, `    label=${q(label)};`);
    for (const u of units) {
      const attrs = [`label=${q(`${stepOf(u)}\\n${u.kind} ${formatSeconds(u.expectedSeconds)}`)}`];
      attrs.push(`shape=${DOT_SHAPE[u.kind]}`);
      if (critical.has(u.id)) attrs.push('color=red', 'penwidth=2');
      lines.push(`    ${q(u.id)} [${attrs.join(', ')}];`);
    }
    lines.push('  }');
  }
  for (const u of plan.units)
    for (const d of u.dependsOn)
      lines.push(`  ${q(d)} -> ${q(u.id)}${critEdges.has(`${d}>${u.id}`) ? ' [color=red, penwidth=2]' : ''};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

const mid = (id: string) => id.replace(/[^A-Za-z0-9]/g, '_');

/** Mermaid flowchart: one subgraph per site, critical path highlighted. */
export function toMermaid(plan: Plan): string {
  const critical = new Set(plan.criticalPath);
  const critEdges = criticalEdges(plan);
  const lines = ['flowchart LR'];
  for (const [site, units] of sitesInOrder(plan)) {
    lines.push(`  subgraph site_${mid(site)}["${site === plan.coreSite ? `${site} (core)` : site}"]`);
    for (const u of units) {
      const label = `${stepOf(u)}<br/>${u.kind} ${formatSeconds(u.expectedSeconds)}`;
      lines.push(u.kind === 'job' ? `    ${mid(u.id)}("${label}")` : `    ${mid(u.id)}["${label}"]`);
    }
    lines.push('  end');
  }
  let edge = 0;
  const redEdges: number[] = [];
  for (const u of plan.units)
    for (const d of u.dependsOn) {
      if (critEdges.has(`${d}>${u.id}`)) redEdges.push(edge);
      lines.push(`  ${mid(d)} --> ${mid(u.id)}`);
      edge++;
    }
  lines.push('  classDef critical stroke:#d22,stroke-width:2px;');
  if (critical.size > 0) lines.push(`  class ${[...critical].map(mid).join(',')} critical;`);
  if (redEdges.length > 0) lines.push(`  linkStyle ${redEdges.join(',')} stroke:#d22,stroke-width:2px;`);
  return lines.join('\n') + '\n';
}

/** Runs Graphviz; a clear GraphvizError when it is not installed or fails. */
export function dotToSvg(dot: string): string {
  const r = spawnSync('dot', ['-Tsvg'], {
    env: process.env,
    input: dot,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GraphvizError(
      missing
        ? 'Graphviz `dot` is not on PATH: install graphviz (e.g. apt-get install graphviz) or use --format dot|mermaid'
        : `running Graphviz dot failed: ${r.error.message}`,
    );
  }
  if (r.status !== 0) throw new GraphvizError(`Graphviz dot exited with status ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}
