// The kind variant's cluster config: node roles and the openstack-helm / topology labels the operator relies on.
import { describe, expect, test } from '@jest/globals';
import { load } from 'js-yaml';
import { computeRoleLabelArgs, kindClusterConfig } from '../../../pulumi/kind.js';

describe('kindClusterConfig', () => {
  test('one labelled control-plane node and N labelled compute workers in the site region', () => {
    const cfg = load(kindClusterConfig({ workers: 2, region: 'lyon' })) as {
      kind: string;
      apiVersion: string;
      nodes: { role: string; labels: Record<string, string> }[];
    };
    expect(cfg.kind).toBe('Cluster');
    expect(cfg.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(cfg.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
    expect(cfg.nodes[0]!.labels).toEqual({
      'openstack-control-plane': 'enabled',
      'topology.kubernetes.io/region': 'lyon',
      'topology.kubernetes.io/zone': 'lyon-a',
    });
    for (const w of cfg.nodes.slice(1)) {
      expect(w.labels).toEqual({
        'openstack-compute-node': 'enabled',
        'topology.kubernetes.io/region': 'lyon',
        'topology.kubernetes.io/zone': 'lyon-a',
      });
    }
    expect((load(kindClusterConfig({ region: 'x' })) as { nodes: unknown[] }).nodes).toHaveLength(2);
  });

  test('no label the kubelet refuses in --node-labels (kind passes node labels there)', () => {
    // The kubelet exits on kubernetes.io / k8s.io labels outside its allowed set, node-role.kubernetes.io/* included.
    const allowed =
      /^(kubernetes\.io\/(hostname|os|arch)|topology\.kubernetes\.io\/(region|zone)|(kubelet|node)\.kubernetes\.io\/.+)$/;
    const cfg = load(kindClusterConfig({ workers: 1, region: 'lyon' })) as {
      nodes: { labels: Record<string, string> }[];
    };
    for (const key of cfg.nodes.flatMap((n) => Object.keys(n.labels))) {
      if (/(^|[./])(kubernetes\.io|k8s\.io)\//.test(key)) expect(key).toMatch(allowed);
    }
  });

  test('the compute role label is set afterwards, through the control-plane node', () => {
    expect(computeRoleLabelArgs('discovery-lyon')).toEqual([
      'exec',
      'discovery-lyon-control-plane',
      'kubectl',
      '--kubeconfig=/etc/kubernetes/admin.conf',
      'label',
      'node',
      '-l',
      'openstack-compute-node=enabled',
      'node-role.kubernetes.io/compute=',
      '--overwrite',
    ]);
  });
});
