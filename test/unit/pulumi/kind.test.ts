// The kind variant's cluster config: node roles and the openstack-helm / topology labels the operator relies on.
import { describe, expect, test } from '@jest/globals';
import { load } from 'js-yaml';
import { kindClusterConfig } from '../../../pulumi/kind.js';

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
        'node-role.kubernetes.io/compute': '',
        'topology.kubernetes.io/region': 'lyon',
        'topology.kubernetes.io/zone': 'lyon-a',
      });
    }
    expect((load(kindClusterConfig({ region: 'x' })) as { nodes: unknown[] }).nodes).toHaveLength(2);
  });
});
