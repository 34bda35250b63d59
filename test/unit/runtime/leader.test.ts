// Unit tests of the leader elector on a FakeClock and an in-memory Lease: requests that hang are cut at the renew
// deadline, the leader steps down exactly then (even while its loop sleeps), a standby takes over only after that,
// and a graceful stop stops writes before it hands the lease over.
import { describe, expect, test } from '@jest/globals';
import { KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { FakeClock } from '../../../operator/src/runtime/clock.js';
import { LeaderElector, LeaseDeadlineError, bounded, type LeaseClient } from '../../../operator/src/runtime/leader.js';

type Mode = 'ok' | 'hang' | 'fail';

/** One Lease in memory with resourceVersion concurrency; each identity's requests can be made to hang or fail. */
class FakeLease {
  lease?: V1Lease;
  private rv = 0;
  readonly mode = new Map<string, Mode>();
  /** Requests left hanging, and how many of them were aborted (cancelled) by their signal. */
  hanging = 0;
  aborted = 0;
  readonly log: string[] = [];

  client(identity: string, onCall?: (op: string) => void): LeaseClient {
    const call = <T>(op: string, signal: AbortSignal, fn: () => T): Promise<T> => {
      this.log.push(`${identity} ${op}`);
      onCall?.(op);
      const mode = this.mode.get(identity) ?? 'ok';
      if (mode === 'fail') return Promise.reject(Object.assign(new Error('etcdserver: timeout'), { code: 500 }));
      if (mode === 'hang') {
        this.hanging++;
        return new Promise<T>((_, reject) =>
          signal.addEventListener(
            'abort',
            () => {
              this.aborted++;
              reject(signal.reason as Error);
            },
            { once: true },
          ),
        );
      }
      return Promise.resolve().then(fn);
    };
    const stored = (body: V1Lease): V1Lease => {
      this.lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
      return structuredClone(this.lease);
    };
    const conflict = (): never => {
      throw Object.assign(new Error('conflict'), { code: 409 });
    };
    return {
      read: (signal) =>
        call('read', signal, () => {
          if (!this.lease) throw Object.assign(new Error('not found'), { code: 404 });
          return structuredClone(this.lease);
        }),
      create: (body, signal) => call('create', signal, () => (this.lease ? conflict() : stored(body))),
      replace: (body, signal) =>
        call('replace', signal, () =>
          body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion ? conflict() : stored(body),
        ),
    };
  }
}

const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function elector(
  store: FakeLease,
  clock: FakeClock,
  identity: string,
  events: string[],
  overrides: Partial<typeof TIMING> = {},
) {
  const term: { signal?: AbortSignal } = {};
  const e = new LeaderElector({
    kubeConfig: new KubeConfig(),
    namespace: 'ns',
    name: 'lease',
    identity,
    clock,
    ...TIMING,
    ...overrides,
    leaseClient: store.client(identity, (op) => {
      if (op === 'read' && !e.isLeader() && term.signal)
        events.push(`${identity} read (signal aborted: ${term.signal.aborted})`);
    }),
    onStartedLeading: (signal) => {
      term.signal = signal;
      events.push(`${clock.now()} start ${identity}`);
    },
    onStoppedLeading: () => void events.push(`${clock.now()} stop ${identity}`),
  });
  return { e, term };
}

describe('bounded Lease requests', () => {
  test('a request that never answers is aborted and rejected at the deadline, not before', async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | undefined;
    let settled: unknown;
    void bounded(clock, 1000, new AbortController().signal, 'read lease', (s) => {
      signal = s;
      return new Promise<never>(() => undefined);
    }).catch((e: unknown) => (settled = e));
    await clock.advance(999);
    expect([signal!.aborted, settled]).toEqual([false, undefined]);
    await clock.advance(1);
    expect(signal!.aborted).toBe(true);
    expect(settled).toBeInstanceOf(LeaseDeadlineError);
    expect(clock.pendingTimers).toBe(0);
  });

  test('stopping (outer signal) cancels it at once', async () => {
    const clock = new FakeClock();
    const outer = new AbortController();
    const result = bounded(clock, 1000, outer.signal, 'read lease', () => new Promise<never>(() => undefined));
    outer.abort();
    await expect(result).rejects.toBeInstanceOf(LeaseDeadlineError);
  });
});

describe('LeaderElector', () => {
  test('a leader whose Lease requests hang steps down exactly at the renew deadline; the request is cancelled', async () => {
    const clock = new FakeClock();
    const store = new FakeLease();
    const events: string[] = [];
    const { e, term } = elector(store, clock, 'a', events);
    e.start();
    await clock.advance(0);
    expect(e.isLeader()).toBe(true);
    store.mode.set('a', 'hang'); // the connection to the API server stops answering
    await clock.advance(TIMING.renewDeadlineMs - 1);
    expect([e.isLeader(), term.signal!.aborted]).toEqual([true, false]);
    expect(store.hanging).toBe(1);
    await clock.advance(1);
    expect([e.isLeader(), term.signal!.aborted]).toEqual([false, true]);
    expect(store.aborted).toBe(1); // the hung request was cancelled, not left behind
    expect(events).toEqual(['0 start a', `${TIMING.renewDeadlineMs} stop a`]);
    await e.stop();
  });

  test('failing renewals: the watchdog steps down at the deadline although the loop is asleep', async () => {
    const clock = new FakeClock();
    const store = new FakeLease();
    const events: string[] = [];
    // attempts at 0, 3s, 6s, 9s, 12s: the 10s deadline falls while the loop sleeps
    const { e } = elector(store, clock, 'a', events, { retryPeriodMs: 3_000 });
    e.start();
    await clock.advance(0);
    store.mode.set('a', 'fail');
    await clock.advance(TIMING.renewDeadlineMs - 1);
    expect(e.isLeader()).toBe(true);
    await clock.advance(1);
    expect(e.isLeader()).toBe(false);
    expect(events).toEqual(['0 start a', `${TIMING.renewDeadlineMs} stop a`]);
    await e.stop();
  });

  test('with the leader cut off, the standby leads only after the leader has stepped down', async () => {
    const clock = new FakeClock();
    const store = new FakeLease();
    const events: string[] = [];
    const a = elector(store, clock, 'a', events).e;
    const b = elector(store, clock, 'b', events).e;
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(5_000);
    store.mode.set('a', 'hang');
    for (let t = 0; t < 40_000 && !b.isLeader(); t += 100) await clock.advance(100);
    expect(b.isLeader()).toBe(true);
    const starts = events
      .filter((line) => /^\d+ (start|stop) /.test(line))
      .map((line) => line.split(' '))
      .map(([t, what, who]) => ({ t: Number(t), what, who }));
    expect(starts.map((x) => `${x.what} ${x.who}`)).toEqual(['start a', 'stop a', 'start b']);
    const stopA = starts[1]!.t;
    const startB = starts[2]!.t;
    // A's last renewal was at 4s (retry period 2s); it stops at 4s + renewDeadline; B needs leaseDuration of silence.
    expect(stopA).toBe(4_000 + TIMING.renewDeadlineMs);
    expect(startB).toBeGreaterThanOrEqual(4_000 + TIMING.leaseDurationMs);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('graceful stop: writes stop (signal aborted) before the lease is released; a hung request does not block', async () => {
    const clock = new FakeClock();
    const store = new FakeLease();
    const events: string[] = [];
    const { e } = elector(store, clock, 'a', events);
    e.start();
    await clock.advance(0);
    await e.stop();
    expect(events).toEqual(['0 start a', '0 stop a', 'a read (signal aborted: true)']);
    expect(store.lease?.spec?.holderIdentity).toBeUndefined();

    const hung = elector(store, clock, 'h', events).e;
    hung.start();
    await clock.advance(0);
    store.mode.set('h', 'hang');
    await clock.advance(TIMING.retryPeriodMs); // a renewal is now in flight and hanging
    const stopping = hung.stop({ release: false });
    await clock.advance(0);
    await stopping;
    expect(hung.isLeader()).toBe(false);
    expect(store.aborted).toBe(1);
  });
});
