// Leader election that cannot split, on the real mgmt API server: elector A reaches the Lease through a TCP proxy that
// then stops forwarding (connections stay open, nothing answers — a hung API connection), while A's writes still
// reach the API server directly; B reaches everything directly. Both keep appending their name to a ledger
// ConfigMap through their write gate (read-modify-replace with resourceVersion preconditions). In the API server's
// order of writes (etcd revisions), every ledger write must come from the replica holding the lease at that point.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { testFleet } from '../../harness/fleet.js';
import { waitFor } from '../../../operator/src/runtime/informer.js';
import { LeaderElector, leaseClient, type LeaseClient } from '../../../operator/src/runtime/leader.js';
import {
  NotLeaderError,
  WriteGate,
  WritesStoppedError,
  gatedApiClient,
} from '../../../operator/src/runtime/writegate.js';

const fleet = testFleet();
const namespace = `rt-split-${process.pid}`;
const LEASE = 'split-test';
const LEDGER = 'ledger';

/** A TCP proxy to the API server that can stop forwarding in both directions while keeping every connection open. */
class HangingProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  hung = false;

  constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.hung) return; // accepted, never answered
      const upstream = connect(target.port, target.host);
      this.sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.on('data', (d: Buffer) => void (this.hung || upstream.write(d)));
      upstream.on('data', (d: Buffer) => void (this.hung || client.write(d)));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => this.hung || client.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The same credentials, with the API server reached through the proxy. */
function throughProxy(kc: KubeConfig, port: number): KubeConfig {
  const cluster = kc.getCurrentCluster()!;
  const proxied = new KubeConfig();
  proxied.loadFromOptions({
    // The fleet's serving certificates cover 127.0.0.1 whatever the port, so TLS verification still applies.
    clusters: [{ ...cluster, server: `https://127.0.0.1:${port}` }],
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return proxied;
}

interface Replica {
  name: string;
  elector: LeaderElector;
  /** resourceVersions of this replica's ledger writes, and of the Lease writes that made it the holder. */
  writes: bigint[];
  acquisitions: bigint[];
  refused: number;
  refusedWhenStopped?: number;
  cancelled: number;
  unexpected: string[];
  running: boolean;
  loop?: Promise<void>;
}

describe('leader election with a hung API connection', () => {
  const kc = fleet.management.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const host = new URL(kc.getCurrentCluster()!.server);
  const proxy = new HangingProxy({ host: host.hostname, port: Number(host.port || 443) });
  const history: string[] = [];

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: LEDGER }, data: { log: '' } } });
  });
  afterAll(async () => {
    await proxy.close();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  function replica(name: string, leaseKc: KubeConfig): Replica {
    const gate = new WriteGate();
    const writer = gatedApiClient(kc, CoreV1Api, gate); // writes always go straight to the API server
    const inner = leaseClient(leaseKc, namespace, LEASE);
    const r: Replica = {
      name,
      writes: [],
      acquisitions: [],
      refused: 0,
      cancelled: 0,
      unexpected: [],
      running: true,
    } as Omit<Replica, 'elector'> as Replica;
    const recordHolder = (lease: V1Lease): V1Lease => {
      if (lease.spec?.holderIdentity === name) r.acquisitions.push(BigInt(lease.metadata!.resourceVersion!));
      return lease;
    };
    const leases: LeaseClient = {
      read: (s) => inner.read(s),
      create: async (b, s) => recordHolder(await inner.create(b, s)),
      replace: async (b, s) => recordHolder(await inner.replace(b, s)),
    };
    r.elector = new LeaderElector({
      kubeConfig: leaseKc,
      namespace,
      name: LEASE,
      identity: name,
      leaseDurationMs: 8000,
      renewDeadlineMs: 5000,
      retryPeriodMs: 500,
      leaseClient: leases,
      onStartedLeading: (signal) => {
        history.push(`start ${name}`);
        gate.open(signal);
      },
      onStoppedLeading: () => {
        history.push(`stop ${name}`);
        r.refusedWhenStopped = r.refused;
      },
    });
    r.loop = (async () => {
      while (r.running) {
        try {
          const current = await writer.readNamespacedConfigMap({ name: LEDGER, namespace });
          const body = { ...current, data: { log: `${current.data?.log ?? ''}${name} ` } };
          const updated = await writer.replaceNamespacedConfigMap({ name: LEDGER, namespace, body });
          r.writes.push(BigInt(updated.metadata!.resourceVersion!));
        } catch (error) {
          if (error instanceof NotLeaderError) r.refused++;
          else if (error instanceof WritesStoppedError) r.cancelled++;
          else if ((error as { code?: number }).code !== 409) r.unexpected.push(String(error));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    return r;
  }

  test('the cut-off leader stops writing before the standby takes over: at most one writer at any time', async () => {
    const a = replica('A', throughProxy(kc, await proxy.listen()));
    const b = replica('B', kc);
    try {
      a.elector.start();
      await waitFor(() => a.elector.isLeader() && a.writes.length >= 3, 30_000);
      b.elector.start();
      await waitFor(() => b.refused >= 3 && a.writes.length >= 6, 30_000); // B stands by, A writes on

      proxy.hung = true; // A's Lease connection now hangs; its direct writes would still work
      await waitFor(() => b.elector.isLeader() && b.writes.length >= 5, 60_000);
      await waitFor(() => a.refused > (a.refusedWhenStopped ?? Infinity), 10_000); // A kept trying, and was refused

      // In the API server's own order (etcd revisions), every ledger write must come from the replica that made the
      // latest Lease write before it (acquisition or renewal): whoever writes holds the lease, never the other one.
      const timeline = [a, b]
        .flatMap((r) => [
          ...r.writes.map((rv) => ({ rv, who: r.name, kind: 'ledger' })),
          ...r.acquisitions.map((rv) => ({ rv, who: r.name, kind: 'lease' })),
        ])
        .sort((x, y) => (x.rv < y.rv ? -1 : x.rv > y.rv ? 1 : 0));
      let holder = '';
      const violations: string[] = [];
      for (const e of timeline) {
        if (e.kind === 'lease') holder = e.who;
        else if (e.who !== holder)
          violations.push(`${e.who} wrote at ${e.rv} while ${holder || 'nobody'} held the lease`);
      }
      expect(violations).toEqual([]);
      // The scenario really happened: A wrote, was cut off, stepped down, kept trying and was refused; B took over.
      const ledger = (await core.readNamespacedConfigMap({ name: LEDGER, namespace })).data!.log!.trim().split(' ');
      expect(ledger.indexOf('A')).toBe(0);
      expect(ledger.lastIndexOf('A')).toBeLessThan(ledger.lastIndexOf('B'));
      expect(history.lastIndexOf('stop A')).toBeLessThan(history.lastIndexOf('start B'));
      expect(history.lastIndexOf('start A')).toBeLessThan(history.lastIndexOf('stop A'));
      expect([...a.unexpected, ...b.unexpected]).toEqual([]);
      expect(a.elector.isLeader()).toBe(false);
    } finally {
      a.running = false;
      b.running = false;
      await Promise.all([a.loop, b.loop]);
      await Promise.all([a.elector.stop({ release: false }), b.elector.stop()]);
    }
  }, 150_000);
});
