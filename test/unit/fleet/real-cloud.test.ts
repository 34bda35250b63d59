// The main job's real cloud: the centralized sample, made real on the local fleet (core and edge-1), must pass the
// API server's validation and plan to a control plane at the core and nova-compute on edge-1, on the fleet's images.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { loadAll } from 'js-yaml';
import { realCloud } from '../../../hack/fleet/openstack-client.js';
import { validateDistributedCloud } from '../../../operator/src/api/validate.js';
import type { DistributedCloud, EdgeSite } from '../../../operator/src/api/types.js';
import { buildPlan } from '../../../operator/src/planner/index.js';
import {
  createRenderContext,
  generateMissingSecrets,
  renderPlan,
  requiredSecrets,
} from '../../../operator/src/render/index.js';
import { seededBytes } from '../render/fixtures.js';

const root = new URL('../../../', import.meta.url);
const load = (file: string) => loadAll(readFileSync(new URL(`crds/samples/${file}`, root), 'utf8'));

describe('the main job makes the centralized sample real', () => {
  const sample = load('dc-centralized.yaml')[0] as Record<string, unknown>;
  const dc = realCloud(sample, '2025.1-local-abc', ['core', 'edge-1']);

  test('it validates, and keeps what the sample says apart from what the fleet needs', () => {
    const v = validateDistributedCloud(structuredClone(dc));
    expect(v.ok).toBe(true);
    const spec = (dc as unknown as DistributedCloud).spec;
    expect(spec.sites).toEqual(['core', 'edge-1']);
    expect(spec.images).toEqual({ registry: 'localhost/discovery', tag: '2025.1-local-abc', pullPolicy: 'Never' });
    expect(spec.services.nova?.config).toEqual({
      DEFAULT: { cpu_allocation_ratio: '4.0' },
      libvirt: { virt_type: 'qemu', cpu_mode: 'none' },
    });
    expect(spec.topology).toBe('centralized');
    expect((sample.spec as { sites: string[] }).sites).toHaveLength(4); // the sample itself is untouched
  });

  test('control plane at the core, nova-compute on edge-1 with QEMU, every image from the fleet', () => {
    const sites = (load('sites.yaml') as EdgeSite[]).filter((s) => ['core', 'edge-1'].includes(s.metadata.name!));
    const valid = validateDistributedCloud(structuredClone(dc));
    if (!valid.ok) throw new Error('invalid');
    const spec = {
      ...(valid.value as DistributedCloud),
      metadata: { name: 'demo-centralized', namespace: 'openstack' },
    };
    const plan = buildPlan(spec, sites);
    expect(plan.units.filter((u) => u.site === 'edge-1').map((u) => u.id)).toEqual(['nova-compute@edge-1']);
    const files = renderPlan(
      createRenderContext({
        dc: spec,
        sites: new Map(sites.map((s) => [s.metadata.name!, s])),
        plan,
        secrets: generateMissingSecrets({}, requiredSecrets(plan), seededBytes('real')),
      }),
    );
    const images = files.flatMap((f) =>
      f.objects.flatMap((o) => {
        const pod = (o.spec as { template?: { spec?: { containers: { image: string }[] } } } | undefined)?.template
          ?.spec;
        return pod?.containers.map((c) => c.image) ?? [];
      }),
    );
    expect(images.length).toBeGreaterThan(10);
    expect(images.filter((i) => !i.startsWith('localhost/discovery/') || !i.endsWith(':2025.1-local-abc'))).toEqual([]);
    const compute = files.find((f) => f.unit === 'nova-compute@edge-1')!;
    const conf = compute.objects
      .filter((o) => o.kind === 'Secret')
      .map((o) => Buffer.from((o.data as Record<string, string>)['nova.conf'] ?? '', 'base64').toString())
      .join('');
    expect(conf).toMatch(/^virt_type = qemu$/m);
  });
});
