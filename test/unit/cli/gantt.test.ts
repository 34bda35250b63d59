// `discovery gantt`: the chart (pure), the ledger ConfigMaps as the operator writes them (ledgerObject) read back
// from kubectl JSON, open bars of units not Ready yet, the per-step table, and the command's errors.
import { describe, expect, test } from '@jest/globals';
import type { UnitStatus } from '../../../operator/src/api/types.js';
import { formatGantt, ledgerBars, ledgersOf, stepDurations, type GanttBar } from '../../../operator/src/cli/gantt.js';
import type { CliIO } from '../../../operator/src/cli/io.js';
import { runCli } from '../../../operator/src/cli/main.js';
import { ledgerObject } from '../../../operator/src/controllers/unit-ledger.js';

const T0 = Date.parse('2026-11-29T19:10:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const unit = (name: string, site: string, start?: number, ready?: number, phase?: UnitStatus['phase']): UnitStatus => {
  const [cs] = name.split('@') as [string];
  const component = cs.startsWith('message-bus') ? 'message-bus' : cs.split('-')[0]!;
  return {
    name,
    site,
    component,
    step: cs.slice(component.length + 1),
    phase: phase ?? (ready !== undefined ? 'Ready' : start !== undefined ? 'Applying' : 'Pending'),
    ...(start !== undefined ? { startedAt: at(start) } : {}),
    ...(ready !== undefined ? { readyAt: at(ready), lastTransitionTime: at(ready) } : {}),
  };
};

const dc = (name: string) => ({ metadata: { name, namespace: 'openstack', uid: `uid-${name}` } });
const CORE = [
  unit('database-server@core', 'core', 0, 16.7),
  unit('keystone-db-create@core', 'core', 16.7, 22.2),
  unit('keystone-db-sync@core', 'core', 22.2, 34.5),
  unit('nova-conductor@core', 'core', 34.5, undefined),
];
const EDGE = [unit('nova-compute@edge-1', 'edge-1'), unit('nova-db-create@edge-1', 'edge-1', 16.7, 22.7)];
/** What `kubectl get configmaps -l …unit-ledger=demo -o json` prints for the ledger the operator wrote. */
const kubectlList = (name = 'demo', core = CORE, edge = EDGE) => ({
  apiVersion: 'v1',
  kind: 'List',
  items: [ledgerObject(dc(name), 'core', core), ledgerObject(dc(name), 'edge-1', edge)],
});

async function run(argv: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: async () => stdin,
    readFile: async () => {
      throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT', syscall: 'open' });
    },
    writeFile: async () => undefined,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe('formatGantt', () => {
  test('rows by start, bars on a shared axis, an open bar for a unit not Ready', () => {
    const bars: GanttBar[] = [
      { id: 'b', start: 10, end: 20 },
      { id: 'a', start: 0, end: 10 },
      { id: 'c', start: 10, note: 'Applying' },
      { id: 'd', start: 20, end: 40 },
    ];
    expect(formatGantt(bars, { width: 20 })).toBe(
      [
        '  UNIT  START  READY  TOOK   |0s  |10s |20s |30s',
        '  a     0s     10s    10.0s  |#####               |',
        '  b     10s    20s    10.0s  |     #####          |',
        '  c     10s    -      -      |     ##############>| Applying',
        '  d     20s    40s    20.0s  |          ##########|',
      ].join('\n'),
    );
  });

  test('a unit shorter than one column still gets one mark; an empty chart has only the header', () => {
    const out = formatGantt(
      [
        { id: 'long', start: 0, end: 1000 },
        { id: 'blip', start: 500, end: 500.1 },
      ],
      { width: 10 },
    );
    expect(out.split('\n')[2]).toMatch(/blip .*\| {5}# {4}\|$/);
    expect(formatGantt([]).split('\n')).toHaveLength(1);
  });
});

describe('the ledger read back', () => {
  test('kubectl JSON of the ConfigMaps the operator writes gives every unit, per DistributedCloud', () => {
    const ledgers = ledgersOf(JSON.parse(JSON.stringify(kubectlList())), '<stdin>');
    expect([...ledgers.keys()]).toEqual(['openstack/demo']);
    const units = ledgers.get('openstack/demo')!;
    expect(units.map((u) => u.name).sort()).toEqual([...CORE, ...EDGE].map((u) => u.name).sort());
    expect(units.find((u) => u.name === 'nova-compute@edge-1')).toMatchObject({ site: 'edge-1', phase: 'Pending' });
    // two clouds' ledgers in one list stay apart; other ConfigMaps are ignored
    const two = {
      kind: 'List',
      items: [
        ...kubectlList().items,
        ...kubectlList('other').items,
        { kind: 'ConfigMap', metadata: { name: 'x' }, data: {} },
      ],
    };
    expect([...ledgersOf(two, '-').keys()].sort()).toEqual(['openstack/demo', 'openstack/other']);
  });

  test('a results file ({units: [...]}) is one ledger named after the file', () => {
    const ledgers = ledgersOf({ timings: {}, units: CORE }, 'centralized.json');
    expect(ledgers.get('centralized.json')).toHaveLength(4);
  });

  test('bars are relative to the first start; units never started are left out; the axis ends at the last event', () => {
    const { bars, origin, until } = ledgerBars([...CORE, ...EDGE]);
    expect(origin).toBe(at(0));
    expect(bars.map((b) => b.id)).not.toContain('nova-compute@edge-1');
    expect(bars.find((b) => b.id === 'keystone-db-sync@core')).toEqual({
      id: 'keystone-db-sync@core',
      start: 22.2,
      end: 34.5,
    });
    expect(bars.find((b) => b.id === 'nova-conductor@core')).toEqual({
      id: 'nova-conductor@core',
      start: 34.5,
      note: 'Applying',
    });
    expect(until).toBe(34.5);
  });

  test('seconds per step, over every Ready unit of the step', () => {
    const units = [...CORE, unit('keystone-db-create@edge-1', 'edge-1', 20, 26)];
    const byStep = Object.fromEntries(stepDurations(units).map((s) => [`${s.component}/${s.step}`, s.seconds]));
    expect(byStep['keystone/db-create']!.map((s) => s.toFixed(1))).toEqual(['5.5', '6.0']);
    expect(byStep['database/server']!.map((s) => s.toFixed(1))).toEqual(['16.7']);
    expect(byStep['nova/conductor']).toBeUndefined();
  });
});

describe('discovery gantt', () => {
  test('draws the ledger from stdin, with the per-step table', async () => {
    const r = await run(['gantt', '-f', '-', '--steps', '--width', '40'], JSON.stringify(kubectlList()));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Rollout of openstack/demo: 6 units, 4 Ready, 1 not started');
    expect(r.stdout).toMatch(/keystone-db-sync@core +22s +35s +12\.3s +\| +#+\|\n/);
    expect(r.stdout).toMatch(/nova-conductor@core +35s +- +- +\| +>\| Applying\n/);
    expect(r.stdout).toMatch(/database\/server +1 +16\.7 +16\.7 +16\.7/);
  });

  test('several clouds need --name; --name picks one; no ledger and a bad width are refused', async () => {
    const both = JSON.stringify({ kind: 'List', items: [...kubectlList().items, ...kubectlList('other').items] });
    const ambiguous = await run(['gantt', '-f', '-'], both);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/openstack\/demo, openstack\/other: pick one with --name/);
    const picked = await run(['gantt', '-f', '-', '--name', 'other'], both);
    expect(picked.code).toBe(0);
    expect(picked.stdout).toContain('Rollout of openstack/other');
    const none = await run(['gantt', '-f', '-'], '{"kind": "List", "items": []}');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no unit ledger in the input/);
    const width = await run(['gantt', '-f', '-', '--width', 'wide'], both);
    expect(width.code).toBe(2);
    const missing = await run(['gantt', '-f', 'nope.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.json: cannot read/);
  });
});
