// Informer against the real mgmt API server: add/update/delete of ConfigMaps reach the cache and the handlers, and
// after the connection to the API server is cut (a TCP relay in between is closed), the informer restarts, relists
// and catches up with what changed meanwhile.
import { createServer, Socket, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { testFleet } from '../../harness/fleet.js';
import { Informer, waitFor } from '../../../operator/src/runtime/informer.js';
import { RESOURCES } from '../../../operator/src/runtime/kube-http.js';

const fleet = testFleet();
const namespace = `rt-informer-${process.pid}`;
const label = 'runtime-test';

/** A TCP relay to the API server that the test can cut (existing connections destroyed, new ones refused). */
class Relay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}
  async open(port = 0): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

function kubeConfigVia(base: KubeConfig, server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(base.exportConfig());
  const current = kc.getCurrentCluster()!;
  kc.clusters = kc.clusters.map((c) => (c.name === current.name ? { ...c, server } : c));
  return kc;
}

describe('Informer (mgmt API server)', () => {
  const kc = fleet.management.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const cm = (name: string, data: Record<string, string>): V1ConfigMap => ({
    metadata: { name, namespace, labels: { [label]: 'yes' } },
    data,
  });

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  test('sees add, update and delete of ConfigMaps, filtered by label selector', async () => {
    await core.createNamespacedConfigMap({ namespace, body: cm('pre-existing', { a: '1' }) });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'unlabelled', namespace }, data: {} },
    });
    const informer = new Informer<V1ConfigMap>(kc, RESOURCES.configMaps, { namespace, labelSelector: label });
    const events: string[] = [];
    informer.on({
      add: (o) => events.push(`add ${o.metadata!.name}`),
      update: (o, old) => events.push(`update ${o.metadata!.name} ${old.data?.a}->${o.data?.a}`),
      delete: (o) => events.push(`delete ${o.metadata!.name}`),
    });
    informer.start();
    try {
      await informer.waitForSync(20_000);
      expect(informer.keys()).toEqual([`${namespace}/pre-existing`]);
      expect(informer.get(`${namespace}/pre-existing`)).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });

      await core.createNamespacedConfigMap({ namespace, body: cm('created', { a: '1' }) });
      await waitFor(() => informer.get(`${namespace}/created`) !== undefined, 20_000);
      const current = await core.readNamespacedConfigMap({ name: 'created', namespace });
      await core.replaceNamespacedConfigMap({ name: 'created', namespace, body: { ...current, data: { a: '2' } } });
      await waitFor(() => informer.get(`${namespace}/created`)?.data?.a === '2', 20_000);
      await core.deleteNamespacedConfigMap({ name: 'created', namespace });
      await waitFor(() => informer.get(`${namespace}/created`) === undefined, 20_000);

      expect(events).toEqual(['add pre-existing', 'add created', 'update created 1->2', 'delete created']);
      expect(informer.stats.restarts).toBe(0);
    } finally {
      await informer.stop();
    }
  }, 90_000);

  test('restarts and relists after its connection to the API server is cut, catching up on missed changes', async () => {
    const server = new URL(fleet.management.server);
    const relay = new Relay(server.hostname, Number(server.port));
    await relay.open();
    const informer = new Informer<V1ConfigMap>(
      kubeConfigVia(kc, `https://127.0.0.1:${relay.port}`),
      RESOURCES.configMaps,
      {
        namespace,
        labelSelector: label,
        restartBackoff: { baseMs: 200, maxMs: 1000 },
      },
    );
    const deleted: string[] = [];
    const added: string[] = [];
    informer.on({ add: (o) => added.push(o.metadata!.name!), delete: (o) => deleted.push(o.metadata!.name!) });
    await core.createNamespacedConfigMap({ namespace, body: cm('before-cut', { a: '1' }) });
    informer.start();
    try {
      await informer.waitForSync(20_000);
      await waitFor(() => informer.get(`${namespace}/before-cut`) !== undefined, 20_000);
      const relistsBefore = informer.stats.relists;

      await relay.cut();
      // Changes the informer cannot see while disconnected.
      await core.deleteNamespacedConfigMap({ name: 'before-cut', namespace });
      await core.createNamespacedConfigMap({ namespace, body: cm('during-cut', { a: '1' }) });
      await waitFor(() => informer.stats.restarts >= 1, 20_000);
      expect(informer.get(`${namespace}/before-cut`)).toBeDefined(); // stale until reconnected

      await relay.open(relay.port);
      await waitFor(
        () =>
          informer.get(`${namespace}/during-cut`) !== undefined &&
          informer.get(`${namespace}/before-cut`) === undefined,
        30_000,
      );
      expect(informer.stats.relists).toBeGreaterThan(relistsBefore);
      expect(deleted).toContain('before-cut');
      expect(added).toContain('during-cut');
      expect(informer.stats.lastError).toBeDefined();
    } finally {
      await informer.stop();
      await relay.cut();
    }
  }, 90_000);
});
