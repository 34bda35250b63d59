// `discovery plan`: prints the unit plan of each DistributedCloud (units per site, dependency levels, critical path,
// estimated makespan eager vs waves) without touching any cluster.
import type { DistributedCloud, EdgeSite } from '../api/types.js';
import { buildPlan, edgeCount, rolloutLimits, simulateRollout, GLOBAL_SITE } from '../planner/index.js';
import type { Plan, RolloutLimits, Unit } from '../planner/index.js';
import { parseCommandArgs, strings, type CliCommand } from './command.js';
import { cloudName, loadInputs, selectClouds } from './input.js';
import { formatSeconds, table } from './table.js';

const HELP = `Usage: discovery plan -f FILE [-f FILE ...] [--name [NAMESPACE/]NAME] [--brief]

Build the unit plan of each DistributedCloud in the input over the EdgeSites in the input, and print it:
units per site, dependency levels, the critical path and the estimated makespan of eager vs wave scheduling
(unbounded, and within the cloud's spec.rollout limits). No cluster is contacted.

Options:
  -f, --filename FILE   YAML/JSON file with EdgeSites and DistributedClouds (repeatable; - reads stdin)
  -n, --name NAME       only the DistributedCloud NAME or NAMESPACE/NAME
      --brief           skip the per-site unit tables
  -h, --help            show this help

Exit status: 0 plan printed, 1 invalid input or plan (the message says why), 2 bad command line.`;

export const command: CliCommand = {
  name: 'plan',
  summary: 'print the unit plan of a DistributedCloud (levels, critical path, makespan)',
  help: HELP,
  async run(argv, io) {
    const values = parseCommandArgs(
      command,
      argv,
      {
        filename: { type: 'string', short: 'f', multiple: true },
        name: { type: 'string', short: 'n' },
        brief: { type: 'boolean' },
      },
      io,
    );
    if (!values) return 0;
    const input = await loadInputs(strings(values.filename), io);
    const clouds = selectClouds(input.clouds, values.name as string | undefined);
    const texts = clouds.map((dc) => formatPlan(dc, buildPlan(dc, input.sites), input.sites, values.brief === true));
    io.stdout(texts.join('\n\n') + '\n');
    return 0;
  },
};

/** Human-readable plan report. Deterministic. */
export function formatPlan(dc: DistributedCloud, plan: Plan, edgeSites: EdgeSite[], brief = false): string {
  const spec = dc.spec;
  const sitesByName = new Map(edgeSites.map((s) => [s.metadata.name ?? '', s]));
  const levelOf = new Map<string, number>();
  plan.levels.forEach((ids, l) => ids.forEach((id) => levelOf.set(id, l)));
  const groups = groupBySite(plan);
  const out: string[] = [];

  const backends = [
    `database ${spec.database.type}`,
    `message bus ${spec.messageBus.type}`,
    spec.kvStore ? `kv store ${spec.kvStore.type}` : 'no kv store',
    spec.memcached?.enabled === false ? 'no memcached' : 'memcached',
  ];
  out.push(`DistributedCloud ${cloudName(dc)}`);
  out.push(`  topology ${spec.topology}, release ${spec.release}; ${backends.join(', ')}`);
  out.push(`  core site ${plan.coreSite ?? '-'}; ${plan.sites.length} site(s) selected: ${plan.sites.join(', ')}`);
  if (plan.pausedSites?.length)
    out.push(`  paused sites (units kept, not started until resumed): ${plan.pausedSites.join(', ')}`);
  out.push(`  ${plan.units.length} units, ${edgeCount(plan)} dependencies, ${plan.levels.length} levels`);

  out.push('', 'Sites');
  out.push(
    table(
      ['SITE', 'ROLE', 'REGION', 'RTT', 'UNITS', 'WORKLOAD', 'JOB', 'CONFIG', 'NOTE'],
      [...groups].map(([site, units]) => {
        const es = sitesByName.get(site);
        const count = (k: Unit['kind']) => String(units.filter((u) => u.kind === k).length);
        const notes: string[] = [];
        if (site === plan.coreSite) notes.push('core');
        if (site === GLOBAL_SITE) notes.push(`applied on ${plan.coreSite}`);
        if (plan.pausedSites?.includes(site)) notes.push('paused');
        const elsewhere = units.filter((u) => u.targetSite !== site).length;
        if (site !== GLOBAL_SITE && elsewhere > 0) notes.push(`${elsewhere} applied on ${plan.coreSite}`);
        return [
          site,
          es?.spec.role ?? '-',
          es?.spec.region ?? '-',
          es ? `${es.spec.network?.rttMillis ?? 0}ms` : '-',
          String(units.length),
          count('workload'),
          count('job'),
          count('config'),
          notes.join(', '),
        ];
      }),
    ),
  );

  if (!brief) {
    out.push('', 'Units per site');
    for (const [site, units] of groups) {
      out.push(`  ${site} (${units.length} units)`);
      out.push(
        table(
          ['LEVEL', 'UNIT', 'KIND', 'EXPECTED', 'DEPENDS ON'],
          units.map((u) => [
            String(levelOf.get(u.id)),
            u.id.slice(0, u.id.lastIndexOf('@')) + (u.targetSite !== u.site ? ` (on ${u.targetSite})` : ''),
            u.kind,
            formatSeconds(u.expectedSeconds),
            u.dependsOn.map((d) => (d.endsWith(`@${site}`) ? d.slice(0, d.lastIndexOf('@')) : d)).join(', ') || '-',
          ]),
          '    ',
        ),
      );
    }
  }

  out.push('', 'Dependency levels (a unit is on level n when its longest dependency chain has n units)');
  out.push(
    table(
      ['LEVEL', 'UNITS', 'STEPS'],
      plan.levels.map((ids, l) => [String(l), String(ids.length), compressIds(ids)]),
    ),
  );

  out.push('', `Critical path (${formatSeconds(plan.criticalPathSeconds)})`);
  let t = 0;
  out.push(
    table(
      ['START', 'END', 'UNIT'],
      plan.criticalPath.map((id) => {
        const u = plan.byId.get(id)!;
        // start = when its latest dependency finishes along the path (durations are expected seconds)
        const row = [formatSeconds(t), formatSeconds(t + u.expectedSeconds), id];
        t += u.expectedSeconds;
        return row;
      }),
    ),
  );

  const limits = rolloutLimits(spec);
  out.push('', 'Estimated makespan (simulated with expected durations)');
  out.push(makespanTable(plan, limits));
  return out.join('\n');
}

/** Eager vs waves, unbounded and within the rollout limits. */
export function makespanTable(plan: Plan, limits: RolloutLimits): string {
  const bound = (n: number | undefined) => (n ? String(n) : 'unbounded');
  const limited = `LIMITS (units ${bound(limits.maxParallelUnits)}, sites ${bound(limits.maxParallelSites)})`;
  const run = (strategy: 'eager' | 'waves', l: RolloutLimits) =>
    simulateRollout(plan, { ...l, stopOnFailure: true }, { strategy }).makespanSeconds;
  const eager = [run('eager', {}), run('eager', limits)];
  const waves = [run('waves', {}), run('waves', limits)];
  const gain = (i: 0 | 1) => (waves[i]! > 0 ? `${Math.round((100 * (waves[i]! - eager[i]!)) / waves[i]!)}%` : '-');
  return table(
    ['SCHEDULE', 'UNBOUNDED', limited],
    [
      ['eager', formatSeconds(eager[0]!), formatSeconds(eager[1]!)],
      ['waves', formatSeconds(waves[0]!), formatSeconds(waves[1]!)],
      ['eager saves', gain(0), gain(1)],
    ],
  );
}

/** Units grouped by site: the core first, then the other sites in name order, `global` last. */
function groupBySite(plan: Plan): Map<string, Unit[]> {
  const order = [
    ...(plan.coreSite ? [plan.coreSite] : []),
    ...plan.sites.filter((s) => s !== plan.coreSite),
    GLOBAL_SITE,
  ];
  const groups = new Map<string, Unit[]>(order.map((s) => [s, []]));
  for (const u of plan.units) {
    const g = groups.get(u.site);
    if (g) g.push(u);
    else groups.set(u.site, [u]);
  }
  for (const [s, units] of groups) if (units.length === 0) groups.delete(s);
  return groups;
}

/** "a@x, a@y, b@x" -> "a@{x,y}, b@x" (first-appearance order). */
export function compressIds(ids: string[]): string {
  const bySite = new Map<string, string[]>();
  for (const id of ids) {
    const at = id.lastIndexOf('@');
    const key = id.slice(0, at);
    const site = id.slice(at + 1);
    const list = bySite.get(key);
    if (list) list.push(site);
    else bySite.set(key, [site]);
  }
  return [...bySite]
    .map(([key, sites]) => (sites.length === 1 ? `${key}@${sites[0]}` : `${key}@{${sites.join(',')}}`))
    .join(', ');
}
