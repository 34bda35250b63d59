// `fleet down` with real nodes leaves the host as it found it: a one-cluster real fleet of its own (own port base,
// so its own tag, bridge and subnet) is brought up, runs a pod, and is torn down; the host's processes, mounts,
// network namespaces, links, routes, iptables rules and cgroups are snapshotted before and compared after.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { clusterNode, fleetDown, fleetNetwork, fleetUp, loadKubeConfig } from '../../hack/fleet/fleet.js';
import { KUBELET_HOST_PATHS, cgroupHierarchies, realNodeLeftovers } from '../../hack/fleet/nodes.js';
import { realFleetOptions } from '../harness/fleet.js';
import { REPO_ROOT } from '../harness/operator.js';
import { eventually, toolboxImage } from '../harness/real.js';

const run = promisify(execFile);
const opts = realFleetOptions({
  dir: path.join(REPO_ROOT, '.fleet-real-teardown'),
  portBase: Number(process.env.DISCOVERY_TEARDOWN_FLEET_PORT_BASE ?? 26900),
  nodes: 'real',
  edges: 0,
  log: (m) => process.stderr.write(`${m}\n`),
});

async function out(cmd: string, args: string[]): Promise<string> {
  return (await run(cmd, args)).stdout;
}

/** The host state a fleet could change, as sorted lines (volatile counters stripped). */
async function hostSnapshot() {
  const lines = (s: string) =>
    s
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
  const iptables: string[] = [];
  for (const t of ['filter', 'nat', 'mangle', 'raw'])
    iptables.push(
      ...lines(await out('iptables-save', ['-t', t]))
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.replace(/\[\d+:\d+\]/g, '')),
    );
  const mounts = lines(readFileSync('/proc/self/mountinfo', 'utf8')).map((l) => l.split(' ')[4]!);
  const cgroups: string[] = [];
  for (const h of cgroupHierarchies())
    if (existsSync(h))
      cgroups.push(
        ...readdirSync(h, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => `${h}/${e.name}`),
      );
  const procs: string[] = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (/kubelet|containerd|kube-proxy|kube-apiserver|etcd|kwok|coredns|local-path/.test(cmd))
        // (the whole command line: a runc, shim or daemon of another fleet is recognised by its fleet's paths)
        procs.push(cmd.split('\0').join(' ').trim().slice(0, 500));
    } catch {
      // gone
    }
  }
  const paths = [
    '/var/lib/kubelet',
    '/var/log/containers',
    '/var/log/pods',
    '/run/discovery-fleet',
    '/var/lib/discovery-fleet',
  ];
  const sysctls = ['fs/inotify/max_user_instances', 'fs/inotify/max_user_watches'].map(
    (k) => `${k}=${readFileSync(`/proc/sys/${k}`, 'utf8').trim()}`,
  );
  return {
    sysctls,
    paths: paths.filter((p) => existsSync(p)),
    netns: existsSync('/run/netns') ? readdirSync('/run/netns').sort() : [],
    links: lines(await out('ip', ['-o', 'link', 'show'])).map((l) => l.split(': ')[1]!.split('@')[0]!),
    routes: lines(await out('ip', ['route', 'show'])),
    iptables,
    mounts: [...new Set(mounts)].sort(),
    cgroups: cgroups.sort(),
    procs: procs.sort(),
  };
}

describe('real-node teardown', () => {
  test('down removes every process, mount, namespace, link, route, iptables rule and cgroup it created', async () => {
    const before = await hostSnapshot();
    try {
      await fleetUp(opts);
      const node = clusterNode(opts, 'mgmt');
      const core = loadKubeConfig(opts.dir, 'mgmt').makeApiClient(CoreV1Api);
      // Something real on the node: a pod (its network namespace, mounts, cgroups, iptables via kube-proxy).
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: 'sleeper' },
          spec: {
            containers: [{ name: 'main', image: toolboxImage(), imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
          },
        },
      });
      await eventually('the pod running on the real node', async () => {
        const p = await core.readNamespacedPod({ name: 'sleeper', namespace: 'default' });
        return p.status?.phase === 'Running' && p.spec?.nodeName === node.nodeName ? true : undefined;
      });
      const during = await hostSnapshot();
      // The fleet did create things (otherwise the comparison below would prove nothing).
      expect(during.netns).toContain(node.netns);
      expect(during.links).toContain(fleetNetwork(opts).bridge);
      expect(during.mounts.some((m) => m.startsWith(node.runDir) || m.startsWith(node.dataDir))).toBe(true);
      expect(during.iptables.some((l) => l.includes(fleetNetwork(opts).tag))).toBe(true);
    } finally {
      const left = await fleetDown(opts);
      expect(left).toEqual([]);
    }
    expect(await realNodeLeftovers(fleetNetwork(opts))).toEqual([]);
    const after = await hostSnapshot();
    // Whatever is on the host now and was not before must belong to somebody else running meanwhile (another
    // fleet — identified by its own tag — or an image build); in CI nothing else runs, so nothing is excused.
    const others = /\bdf\d+-|\/discovery-fleet\/df\d+|\/dimg-|discovery-images|\bdkind|\/\.fleet(-real)?\//;
    const ours = fleetNetwork(opts);
    // The kubelet host paths stay while another fleet's kubelets run (they use them too), as do raised limits.
    const otherFleets =
      existsSync('/run/discovery-fleet') &&
      readdirSync('/run/discovery-fleet', { withFileTypes: true }).some((e) => e.isDirectory());
    if (otherFleets) {
      for (const p of KUBELET_HOST_PATHS) after.paths = after.paths.filter((x) => x !== p);
      // Raised kernel limits stay raised while another fleet runs; restored when the last one leaves.
      after.sysctls = before.sysctls;
    }
    for (const key of Object.keys(before) as (keyof typeof before)[]) {
      const added = after[key].filter((l) => !before[key].includes(l));
      const unexplained = added.filter((l) => !others.test(l) || l.includes(ours.tag));
      expect({ [key]: unexplained }).toEqual({ [key]: [] });
    }
  }, 300_000);
});
