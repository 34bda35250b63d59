// Pure status building of the DistributedCloud controller: stable unit timestamps, conditions naming sites and
// units, Events on transitions; and the EdgeSite status from a probe; and the operator's flag parsing.
import { describe, expect, test } from '@jest/globals';
import type { EdgeSite, UnitStatus } from '../../../operator/src/api/types.js';
import { edgeSiteStatus, nodeAddress } from '../../../operator/src/controllers/edgesite.js';
import { distributedCloudStatus, transitions, unitStatusEntry } from '../../../operator/src/controllers/status.js';
import { managerOptions, parseDuration, parseFlags } from '../../../operator/src/main.js';
import { planFromUnits, type Unit } from '../../../operator/src/planner/index.js';

const t0 = new Date('2025-01-01T00:00:00.000Z');
const t1 = new Date('2025-01-01T00:00:05.123Z');
const t2 = new Date('2025-01-01T00:00:09.456Z');
const unit = { id: 'keystone-api@core', site: 'core', component: 'keystone', step: 'api' };

describe('unitStatusEntry', () => {
  test('startedAt/readyAt are set once per inputHash and kept; lastTransitionTime moves on phase flips only', () => {
    const pending = unitStatusEntry(
      { unit, phase: 'Pending', message: 'waiting', started: false, inputHash: 'h1' },
      undefined,
      t0,
    );
    expect(pending.startedAt).toBeUndefined();
    const applying = unitStatusEntry(
      { unit, phase: 'Applying', message: '', started: true, inputHash: 'h1' },
      pending,
      t1,
    );
    expect(applying).toMatchObject({
      startedAt: t1.toISOString(),
      inputHash: 'h1',
      lastTransitionTime: t1.toISOString(),
    });
    const ready = unitStatusEntry({ unit, phase: 'Ready', message: '', started: true, inputHash: 'h1' }, applying, t2);
    expect(ready).toMatchObject({ startedAt: t1.toISOString(), readyAt: t2.toISOString() });
    const later = unitStatusEntry(
      { unit, phase: 'Ready', message: '', started: true, inputHash: 'h1' },
      ready,
      new Date(),
    );
    expect(later).toEqual(ready);
    // new inputs: timestamps start over
    const edited = unitStatusEntry({ unit, phase: 'Pending', message: '', started: false, inputHash: 'h2' }, ready, t2);
    expect(edited).toMatchObject({ phase: 'Pending', inputHash: 'h1' });
    expect(edited.startedAt).toBeUndefined();
  });
});

describe('distributedCloudStatus', () => {
  const units: Unit[] = [
    {
      id: 'a@core',
      component: 'a',
      step: 's',
      site: 'core',
      targetSite: 'core',
      kind: 'workload',
      dependsOn: [],
      expectedSeconds: 1,
    },
    {
      id: 'b@edge-1',
      component: 'b',
      step: 's',
      site: 'edge-1',
      targetSite: 'edge-1',
      kind: 'workload',
      dependsOn: ['a@core'],
      expectedSeconds: 1,
    },
  ];
  const plan = planFromUnits(units, { sites: ['core', 'edge-1'], coreSite: 'core' });
  const targetSite = new Map(units.map((u) => [u.id, u.targetSite]));
  const entry = (id: string, phase: UnitStatus['phase'], message = ''): UnitStatus => ({
    name: id,
    site: id.split('@')[1]!,
    component: 'x',
    step: 's',
    phase,
    message,
  });
  const dc = { metadata: { name: 'demo', namespace: 'openstack', generation: 3 } };

  test('all Ready → Ready=True for the current generation, progress and ready sites full', () => {
    const s = distributedCloudStatus({
      dc,
      plan,
      units: [entry('a@core', 'Ready'), entry('b@edge-1', 'Ready')],
      targetSite,
      sites: [
        { name: 'core', reachable: true },
        { name: 'edge-1', reachable: true },
      ],
      paused: false,
      now: t0,
    });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', observedGeneration: 3 });
    expect(s).toMatchObject({ observedGeneration: 3, progress: '2/2', readySites: '2/2' });
  });

  test('an unreachable site and a failed unit make it Degraded, naming both', () => {
    const s = distributedCloudStatus({
      dc,
      plan,
      units: [entry('a@core', 'Failed', 'Job x failed: boom'), entry('b@edge-1', 'Pending')],
      targetSite,
      sites: [
        { name: 'core', reachable: true },
        { name: 'edge-1', reachable: false, message: 'connection refused' },
      ],
      paused: false,
      now: t0,
    });
    const degraded = s.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'SiteUnreachable' });
    expect(degraded?.message).toContain('site edge-1 unreachable: connection refused');
    expect(degraded?.message).toContain('unit a@core failed: Job x failed: boom');
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    const events = transitions(undefined, s).map((e) => e.reason);
    expect(events).toEqual(['UnitFailed', 'SiteUnreachable']);
    expect(transitions(s, s)).toEqual([]);
  });
});

describe('site address (status.address: where other sites reach its NodePorts)', () => {
  const node = (name: string, ready: boolean, addresses: Array<[string, string]>) => ({
    metadata: { name },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      addresses: addresses.map(([type, address]) => ({ type, address })),
    },
  });
  test('the first Ready node by name: its ExternalIP, else its InternalIP; none without a Ready node', () => {
    const nodes = [
      node('b', true, [['InternalIP', '10.0.0.2']]),
      node('a', false, [['ExternalIP', '203.0.113.1']]),
      node('c', true, [
        ['InternalIP', '10.0.0.3'],
        ['ExternalIP', '203.0.113.3'],
      ]),
    ];
    expect(nodeAddress(nodes)).toBe('203.0.113.3');
    expect(nodeAddress(nodes.slice(0, 2))).toBe('10.0.0.2');
    expect(nodeAddress([nodes[1]!])).toBeUndefined();
  });
  const probe = { reachable: true, nodeCount: 1, nodesReady: 1, reason: 'Probed', message: '' };
  const base = { metadata: { name: 'edge-1' }, spec: { network: {} } } as unknown as EdgeSite;
  test('spec.network.address wins; else the probed node; an unreachable site keeps the last one known', () => {
    expect(edgeSiteStatus(base, { ...probe, nodeAddress: '10.214.0.11' }, t0).address).toBe('10.214.0.11');
    const declared = { ...base, spec: { network: { address: 'edge-1.example.net' } } } as unknown as EdgeSite;
    expect(edgeSiteStatus(declared, { ...probe, nodeAddress: '10.214.0.11' }, t0).address).toBe('edge-1.example.net');
    const known = { ...base, status: { address: '10.214.0.11' } } as EdgeSite;
    expect(edgeSiteStatus(known, { reachable: false, reason: 'Unreachable', message: 'x' }, t1).address).toBe(
      '10.214.0.11',
    );
  });
});

describe('edgeSiteStatus', () => {
  const site = { metadata: { name: 'edge-1', generation: 2 }, spec: {} } as unknown as EdgeSite;
  test('reachable with Ready nodes → Reachable and Ready True; unreachable → both False with the error', () => {
    const ok = edgeSiteStatus(
      site,
      { reachable: true, version: 'v1.37.2', nodeCount: 4, nodesReady: 4, reason: 'Probed', message: '' },
      t0,
    );
    expect(ok).toMatchObject({
      kubernetesVersion: 'v1.37.2',
      nodeCount: 4,
      observedGeneration: 2,
      lastProbeTime: '2025-01-01T00:00:00Z',
    });
    expect(ok.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Reachable', 'True'],
      ['Ready', 'True'],
    ]);
    const down = edgeSiteStatus(
      { ...site, status: ok },
      { reachable: false, reason: 'Unreachable', message: 'connect ECONNREFUSED' },
      t1,
    );
    expect(down.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Reachable', 'False', 'Unreachable'],
      ['Ready', 'False', 'Unreachable'],
    ]);
    expect(down.kubernetesVersion).toBe('v1.37.2');
  });
});

describe('flags', () => {
  test('--flag value, --flag=value, bare and =false booleans, durations', () => {
    const o = managerOptions(
      parseFlags([
        '--namespaces=a,b',
        '--concurrency',
        '2',
        '--leader-elect=false',
        '--probe-interval',
        '2s',
        '--site-delete-timeout=1m30s',
      ]),
      {},
    );
    expect(o).toMatchObject({
      namespaces: ['a', 'b'],
      concurrency: 2,
      leaderElect: false,
      probeIntervalMs: 2000,
      siteDeleteTimeoutMs: 90_000,
    });
    expect(managerOptions(parseFlags(['--leader-elect']), { POD_NAMESPACE: 'ops' })).toMatchObject({
      leaderElect: true,
      leaderElectionNamespace: 'ops',
    });
    expect(parseDuration('500ms')).toBe(500);
    expect(() => parseDuration('5 minutes')).toThrow('invalid duration');
    expect(() => managerOptions(parseFlags(['--bogus', 'x']), {})).toThrow('unknown flag --bogus');
  });

  test('kubeconfig Secrets: the operator namespace, plus --kubeconfig-secret-namespaces', () => {
    expect(managerOptions(parseFlags([]), {}).secretNamespaces).toEqual(['discovery-system']);
    expect(managerOptions(parseFlags(['--leader-election-namespace', 'le']), {}).secretNamespaces).toEqual(['le']);
    const both = managerOptions(parseFlags(['--kubeconfig-secret-namespaces=sites,ops']), { POD_NAMESPACE: 'ops' });
    expect(both.secretNamespaces).toEqual(['ops', 'sites']);
    expect(() => managerOptions(parseFlags(['--kubeconfig-secret-namespaces', 'a,../b']), {})).toThrow(
      '--kubeconfig-secret-namespaces: "../b" is not a namespace name',
    );
  });
});
