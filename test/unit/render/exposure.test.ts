// Cross-site addresses: what each site exposes (exactly what other sites consume, and the public API endpoints), how
// consumers are wired from the addresses the operator reads back (site address + nodePort of the live `-wan`
// Service), and that a unit whose address is not known yet waits instead of rendering a guess.
import { describe, expect, test } from '@jest/globals';
import type { EdgeSite } from '../../../operator/src/api/types.js';
import { exposedNodePorts, renderDesired, renderInputsKey } from '../../../operator/src/controllers/dc-render.js';
import type { LiveObject } from '../../../operator/src/engine/readiness.js';
import { exposedKey } from '../../../operator/src/render/endpoints.js';
import {
  createRenderContext,
  renderPlan,
  renderUnit,
  type K8sObject,
  type RenderContext,
} from '../../../operator/src/render/index.js';
import { contextFor, liveContext, sampleContext, sampleDc, sampleSites } from './fixtures.js';

function objectsOf(ctx: RenderContext, id: string): K8sObject[] {
  return renderUnit(ctx.plan.byId.get(id)!, ctx);
}

function services(objects: K8sObject[]): Map<string, { type?: string; selector?: object; ports: { port: number }[] }> {
  return new Map(
    objects
      .filter((o) => o.kind === 'Service')
      .map((o) => [o.metadata.name, o.spec as { type?: string; selector?: object; ports: { port: number }[] }]),
  );
}

/** A copy of a live context with other inputs (sites, exposed nodePorts). */
function withInputs(ctx: RenderContext, change: { sites?: EdgeSite[]; exposed?: Map<string, number> }): RenderContext {
  return createRenderContext({
    dc: ctx.dc,
    plan: ctx.plan,
    secrets: ctx.secrets,
    sites: change.sites ? new Map(change.sites.map((s) => [s.metadata.name!, s])) : ctx.sites,
    exposed: change.exposed ?? ctx.exposed,
  });
}

describe('what a site exposes', () => {
  test('centralized: the core exposes its APIs, bus and cache to the edges, never its database; edges nothing', () => {
    const ctx = sampleContext('centralized');
    const core = services(objectsOf(ctx, 'exposure-nodeports@core'));
    expect([...core.keys()].sort()).toEqual([
      'glance-api-wan',
      'keystone-api-wan',
      'memcached-wan',
      'message-bus-wan',
      'nova-api-wan',
      'placement-api-wan',
    ]);
    // only the consumed port: the broker's management port stays in the cluster
    expect(core.get('message-bus-wan')!.ports.map((p) => p.port)).toEqual([5672]);
    expect(ctx.plan.byId.has('exposure-nodeports@edge-1')).toBe(false);
  });

  test("a -wan Service is a NodePort selecting exactly the exposed Service's pods", () => {
    const ctx = sampleContext('centralized');
    const wan = services(objectsOf(ctx, 'exposure-nodeports@core')).get('keystone-api-wan')!;
    const own = services(objectsOf(ctx, 'keystone-api@core')).get('keystone-api')!;
    expect(wan.type).toBe('NodePort');
    expect(wan.selector).toEqual(own.selector);
    expect(own.type).toBe('ClusterIP'); // the exposed Service itself is untouched
  });

  test('distributed: per-site bus and database stay local; the Keystone database at the core is exposed', () => {
    const ctx = sampleContext('distributed');
    expect([...services(objectsOf(ctx, 'exposure-nodeports@core')).keys()]).toContain('database-wan');
    const edge = [...services(objectsOf(ctx, 'exposure-nodeports@edge-1')).keys()];
    expect(edge).not.toContain('database-wan');
    expect(edge).not.toContain('message-bus-wan');
  });

  test('an exposure unit rendered on its own still sees every consumer (same Services as a whole-plan render)', () => {
    const whole = renderPlan(sampleContext('cells')).find((f) => f.unit === 'exposure-nodeports@edge-2')!.objects;
    const alone = objectsOf(sampleContext('cells'), 'exposure-nodeports@edge-2');
    expect(alone).toEqual(whole);
    expect(alone.map((o) => o.metadata.name)).toEqual(['database-wan', 'message-bus-wan']);
  });
});

describe('consumers wait for addresses, never guess', () => {
  test('without a nodePort read back the consumer waits, naming the Service, port and site', () => {
    const ctx = sampleContext('centralized');
    const exposed = new Map(ctx.exposed);
    exposed.delete(exposedKey('core', 'message-bus', 5672));
    const desired = renderDesired(ctx.plan, withInputs(ctx, { exposed }));
    expect(desired.get('nova-compute@edge-1')).toEqual({
      waiting: 'waiting for the nodePort of Service message-bus-wan port 5672 at site core',
    });
    // same-site consumers do not wait
    expect(desired.get('nova-conductor@core')).toHaveProperty('objects');
  });

  test('a site without an address (none declared, no Ready node read back) makes its consumers wait', () => {
    const ctx = sampleContext('centralized');
    const sites = [...ctx.sites.values()].map((s) =>
      s.metadata.name === 'core'
        ? { ...s, spec: { ...s.spec, network: { ...s.spec.network, address: undefined } } }
        : s,
    );
    const desired = renderDesired(ctx.plan, withInputs(ctx, { sites }));
    expect(desired.get('nova-compute@edge-1')).toEqual({
      waiting: expect.stringMatching(/waiting for the address of site core \(EdgeSite spec\.network\.address/),
    });
    // the address read back into status serves as well
    const readBack = sites.map((s) => (s.metadata.name === 'core' ? { ...s, status: { address: '10.214.0.10' } } : s));
    const conf = renderDesired(ctx.plan, withInputs(ctx, { sites: readBack })).get('nova-compute@edge-1');
    expect(JSON.stringify(conf)).not.toContain('waiting');
  });

  test('an IPv6 site address is bracketed in URLs', () => {
    const ctx = sampleContext('centralized');
    const sites = [...ctx.sites.values()].map((s) =>
      s.metadata.name === 'core'
        ? { ...s, spec: { ...s.spec, network: { ...s.spec.network, address: 'fd00::10' } } }
        : s,
    );
    const objects = objectsOf(withInputs(ctx, { sites }), 'nova-compute@edge-1');
    const conf = objects
      .filter((o) => o.kind === 'Secret')
      .map((o) => Object.values(o.data as Record<string, string>).map((v) => Buffer.from(v, 'base64').toString()))
      .join('\n');
    const port = ctx.exposed!.get(exposedKey('core', 'keystone-api', 5000));
    expect(conf).toContain(`auth_url = http://[fd00::10]:${port}`);
  });

  test('offline (no live state, the CLI): cross-site addresses are unresolvable placeholders, not guesses', () => {
    const ctx = contextFor(sampleDc('centralized'));
    const secrets = objectsOf(ctx, 'nova-compute@edge-1')
      .filter((o) => o.kind === 'Secret')
      .flatMap((o) => Object.values(o.data as Record<string, string>))
      .map((v) => Buffer.from(v, 'base64').toString());
    expect(secrets.join('\n')).toMatch(/auth_url = http:\/\/keystone-api\.[a-z0-9-]+\.core\.nodeport\.invalid:5000/);
  });
});

describe('reading nodePorts back (the operator side)', () => {
  const svc = (name: string, type: string, ports: Array<[number, number?]>, deleting = false): LiveObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ns', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { type, ports: ports.map(([port, nodePort]) => ({ port, nodePort })) },
  });
  test('only live -wan NodePort Services count, each port by site, Service and port', () => {
    const live = (objects: LiveObject[]) => ({ state: { live: new Map(objects.map((o, i) => [String(i), o])) } });
    const observed = new Map([
      [
        'core',
        live([
          svc('keystone-api-wan', 'NodePort', [[5000, 31001]]),
          svc('keystone-api', 'ClusterIP', [[5000]]),
          svc('message-bus-wan', 'NodePort', [[5672]]), // not allocated yet
          svc('glance-api-wan', 'NodePort', [[9292, 31002]], true),
        ]),
      ],
      ['edge-1', live([svc('database-wan', 'NodePort', [[3306, 31003]])])],
    ]);
    expect([...exposedNodePorts(observed)]).toEqual([
      ['core/keystone-api/5000', 31001],
      ['edge-1/database/3306', 31003],
    ]);
  });

  test('the render key changes with the nodePorts and the read-back site addresses', () => {
    const dc = { ...sampleDc('centralized'), metadata: { ...sampleDc('centralized').metadata, uid: 'u' } };
    const sites = sampleSites();
    const key = (exposed: Map<string, number>, s: EdgeSite[] = sites) => renderInputsKey(dc, s, {}, 'plan', exposed);
    const a = new Map([['core/keystone-api/5000', 31001]]);
    expect(key(a)).toBe(key(new Map(a)));
    expect(key(new Map([['core/keystone-api/5000', 31002]]))).not.toBe(key(a));
    const moved = sites.map((s, i) => (i === 0 ? { ...s, status: { address: '10.0.0.9' } } : s));
    expect(key(a, moved)).not.toBe(key(a));
  });

  test('a live context wires every cross-site consumer (nothing waits once every nodePort is read back)', () => {
    for (const topology of ['centralized', 'cells', 'distributed'] as const) {
      const ctx = liveContext(sampleDc(topology));
      const waiting = [...renderDesired(ctx.plan, ctx)].filter(([, d]) => 'waiting' in d || 'error' in d);
      expect(waiting).toEqual([]);
    }
  });
});
