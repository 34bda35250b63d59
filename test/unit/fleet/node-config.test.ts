// Real-node layout and configuration files of the local fleet: names fit the kernel's limits, nothing two nodes or
// two fleets use collides, and each daemon's config says what the real-node pitfalls require.
import { describe, expect, test } from '@jest/globals';
import { load } from 'js-yaml';
import {
  CLUSTER_DNS_IP,
  cniConfig,
  containerdConfig,
  kubeProxyConfig,
  kubeletConfig,
  nodeLayout,
  realNetwork,
} from '../../../hack/fleet/node-config.js';

const clusters = ['mgmt', 'edge-1', 'edge-2', 'edge-3', 'edge-10'];

describe('real network and node layout', () => {
  test('fleets with different port bases share no name, address or directory', () => {
    const a = realNetwork(26400);
    const b = realNetwork(27400);
    for (const k of ['tag', 'bridge', 'prefix16', 'hostIp', 'runDir', 'dataDir'] as const) expect(a[k]).not.toBe(b[k]);
  });

  test('nodes of one fleet have distinct addresses, pod ranges, namespaces and paths; links fit 15 characters', () => {
    const net = realNetwork(26400);
    const nodes = clusters.map((c, i) => nodeLayout(net, '/f', c, i));
    for (const key of ['ip', 'podCidr', 'netns', 'hostVeth', 'cgroupRoot', 'containerdSocket', 'kubeletRoot'] as const)
      expect(new Set(nodes.map((n) => n[key])).size).toBe(nodes.length);
    for (const n of nodes) {
      expect(n.hostVeth.length).toBeLessThanOrEqual(15);
      expect(n.ip.startsWith(`${net.prefix16}.0.`)).toBe(true);
      expect(n.podCidr.startsWith(`${net.prefix16}.0.`)).toBe(false);
      expect(n.containerdSocket.length).toBeLessThan(100);
    }
    expect(() => nodeLayout(net, '/f', 'a-very-long-cluster-name', 1)).toThrow(/longer than 15/);
  });
});

describe('daemon configuration', () => {
  const net = realNetwork(26400);
  const edge1 = nodeLayout(net, '/fleet', 'edge-1', 1);
  const edge2 = nodeLayout(net, '/fleet', 'edge-2', 2);

  test('containerd: own root, state, sockets, runc root and CNI dir; OOM adjust restricted; pinned sandbox', () => {
    const one = containerdConfig(edge1, 'localhost/discovery/pause:1');
    const two = containerdConfig(edge2, 'localhost/discovery/pause:1');
    expect(one).toContain("sandbox = 'localhost/discovery/pause:1'");
    expect(one).toContain('restrict_oom_score_adj = true');
    expect(one).toContain('netns_mounts_under_state_dir = true');
    expect(one).toContain(`Root = '${edge1.runcRoot}'`);
    expect(one).toMatch(/disabled_plugins = \[[^\]]*io\.containerd\.nri\.v1\.nri/);
    const paths = (cfg: string) => [...cfg.matchAll(/'(\/[^']+)'/g)].map((m) => m[1]!);
    const shared = paths(one).filter((p) => paths(two).includes(p));
    expect(shared).toEqual(['/usr/lib/cni']);
  });

  test('CNI: a bridge with the node pod range, masquerade, its own IPAM directory', () => {
    const cni = JSON.parse(cniConfig(edge1)) as { plugins: Record<string, unknown>[] };
    const bridge = cni.plugins.find((p) => p.type === 'bridge') as {
      ipMasq: boolean;
      ipam: { ranges: { subnet: string }[][]; dataDir: string };
    };
    expect(bridge.ipMasq).toBe(true);
    expect(bridge.ipam.ranges[0]![0]!.subnet).toBe(edge1.podCidr);
    expect(bridge.ipam.dataDir).toBe(edge1.cniIpamDir);
    expect(cni.plugins.some((p) => p.type === 'portmap')).toBe(true);
  });

  test('kubelet: cgroup v1 allowed, cgroupfs under its own root, no read-only port, x509 + webhook auth', () => {
    const cfg = load(
      kubeletConfig(edge1, { caFile: '/ca.crt', tlsCertFile: '/s.crt', tlsPrivateKeyFile: '/s.key' }),
    ) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: edge1.cgroupRoot,
      readOnlyPort: 0,
      failSwapOn: false,
      address: edge1.ip,
      clusterDNS: [CLUSTER_DNS_IP],
      containerRuntimeEndpoint: `unix://${edge1.containerdSocket}`,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: '/ca.crt' } },
      authorization: { mode: 'Webhook' },
      tlsCertFile: '/s.crt',
      imageGCHighThresholdPercent: 100,
    });
  });

  test('kube-proxy: iptables mode for the node pod range, conntrack sysctls untouched', () => {
    const cfg = load(kubeProxyConfig(edge1, '/kp.kubeconfig')) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      mode: 'iptables',
      clusterCIDR: edge1.podCidr,
      hostnameOverride: edge1.nodeName,
      conntrack: { maxPerCore: 0, min: 0 },
      clientConnection: { kubeconfig: '/kp.kubeconfig' },
    });
  });
});
