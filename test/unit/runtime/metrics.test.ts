// Unit tests of the Prometheus exposition (metric names, labels, values) and of the health/metrics HTTP server.
import { describe, expect, test } from '@jest/globals';
import { startHealthServer } from '../../../operator/src/runtime/http.js';
import { OperatorMetrics } from '../../../operator/src/runtime/metrics.js';

describe('OperatorMetrics', () => {
  test('queue hooks feed reconciles, durations, errors, retries and depth', async () => {
    const metrics = new OperatorMetrics();
    const hooks = metrics.queueHooks('distributedcloud');
    hooks.onDepth!(4);
    hooks.onReconcile!({ key: 'ns/a', outcome: 'success', durationMs: 30, failures: 0 });
    hooks.onReconcile!({ key: 'ns/a', outcome: 'temporary_error', durationMs: 2000, failures: 1, nextRunInMs: 1000 });
    hooks.onReconcile!({ key: 'ns/b', outcome: 'permanent_error', durationMs: 1, failures: 0 });
    const text = await metrics.exposition();
    expect(text).toContain('discovery_workqueue_depth{queue="distributedcloud"} 4');
    expect(text).toContain('discovery_reconciles_total{controller="distributedcloud",result="success"} 1');
    expect(text).toContain('discovery_reconciles_total{controller="distributedcloud",result="temporary_error"} 1');
    expect(text).toContain('discovery_reconcile_errors_total{controller="distributedcloud",kind="temporary"} 1');
    expect(text).toContain('discovery_reconcile_errors_total{controller="distributedcloud",kind="permanent"} 1');
    expect(text).toContain('discovery_workqueue_retries_total{queue="distributedcloud"} 1');
    expect(text).toContain('discovery_reconcile_duration_seconds_count{controller="distributedcloud"} 3');
    expect(text).toContain('discovery_reconcile_duration_seconds_bucket{le="0.05",controller="distributedcloud"} 2');
    expect(text).toMatch(/# TYPE discovery_reconcile_duration_seconds histogram/);
  });

  test('units by phase (all phases exported) and site reachability', async () => {
    const metrics = new OperatorMetrics();
    metrics.setUnitsByPhase('openstack/demo', { Ready: 40, Applying: 2 });
    metrics.setSiteReachable('edge-1', true);
    metrics.setSiteReachable('edge-2', false);
    let text = await metrics.exposition();
    expect(text).toContain('discovery_units{dc="openstack/demo",phase="Ready"} 40');
    expect(text).toContain('discovery_units{dc="openstack/demo",phase="Applying"} 2');
    expect(text).toContain('discovery_units{dc="openstack/demo",phase="Failed"} 0');
    expect(text).toContain('discovery_site_reachable{site="edge-1"} 1');
    expect(text).toContain('discovery_site_reachable{site="edge-2"} 0');
    metrics.forgetDistributedCloud('openstack/demo');
    metrics.forgetSite('edge-2');
    text = await metrics.exposition();
    expect(text).not.toContain('dc="openstack/demo"');
    expect(text).not.toContain('site="edge-2"');
  });

  test('two instances do not share series', async () => {
    const a = new OperatorMetrics();
    const b = new OperatorMetrics();
    a.setSiteReachable('core', true);
    expect(await b.exposition()).not.toContain('site="core"');
  });
});

describe('health server', () => {
  test('/healthz, /readyz follow the checks; /metrics serves the exposition', async () => {
    const metrics = new OperatorMetrics();
    metrics.setSiteReachable('core', true);
    let synced = false;
    const server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      metrics,
      readiness: () => (synced ? { ready: true } : { ready: false, reasons: ['informer edgesites not synced'] }),
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.text()).toContain('informer edgesites not synced');
      synced = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const scrape = await fetch(`${base}/metrics`);
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get('content-type')).toContain('text/plain');
      expect(await scrape.text()).toContain('discovery_site_reachable{site="core"} 1');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('event-loop lag', () => {
  test('process metrics export the event loop lag (p99 and max since the last scrape) and the reconcile yields', async () => {
    const m = new OperatorMetrics({ processMetrics: true });
    m.reconcileYields.inc({ controller: 'distributedcloud' }, 3);
    const text = await m.exposition();
    for (const name of [
      'discovery_nodejs_eventloop_lag_p99_seconds',
      'discovery_nodejs_eventloop_lag_max_seconds',
      'discovery_nodejs_eventloop_lag_seconds',
    ])
      expect(text).toMatch(new RegExp(`^# TYPE ${name} gauge$`, 'm'));
    expect(text).toContain('discovery_reconcile_yields_total{controller="distributedcloud"} 3');
  });
});
