// Leader election against the real mgmt API server with short durations: of two candidates only one leads; a leader
// that stops renewing (crash) is replaced once the lease expires; a leader stopping gracefully hands over at once.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { testFleet } from '../../harness/fleet.js';
import { waitFor } from '../../../operator/src/runtime/informer.js';
import { LeaderElector } from '../../../operator/src/runtime/leader.js';

const fleet = testFleet();
const namespace = `rt-leader-${process.pid}`;

describe('LeaderElector (mgmt API server)', () => {
  const kc = fleet.management.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const leaders = new Set<string>();
  let maxConcurrentLeaders = 0;
  const history: string[] = [];

  function candidate(identity: string): LeaderElector {
    return new LeaderElector({
      kubeConfig: kc,
      namespace,
      name: 'runtime-test',
      identity,
      leaseDurationMs: 2000,
      renewDeadlineMs: 1500,
      retryPeriodMs: 250,
      onStartedLeading: () => {
        leaders.add(identity);
        history.push(`start ${identity}`);
        maxConcurrentLeaders = Math.max(maxConcurrentLeaders, leaders.size);
      },
      onStoppedLeading: () => {
        leaders.delete(identity);
        history.push(`stop ${identity}`);
      },
    });
  }

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  test('one leader at a time; takeover after a crash and after a graceful stop', async () => {
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    const c = candidate('replica-c');
    a.start();
    b.start();
    try {
      await waitFor(() => leaders.size === 1, 15_000);
      // Let several renew/retry rounds pass: the standby must not take over a lease that is being renewed.
      const first = [...leaders][0]!;
      const [leader, standby] = first === a.identity ? [a, b] : [b, a];
      const renewedBefore = (await coordination.readNamespacedLease({ name: 'runtime-test', namespace })).metadata!
        .resourceVersion;
      await new Promise((r) => setTimeout(r, 3000)); // > lease duration: renewals must keep the lease
      const lease1 = await coordination.readNamespacedLease({ name: 'runtime-test', namespace });
      expect(lease1.spec!.holderIdentity).toBe(leader.identity);
      expect(lease1.metadata!.resourceVersion).not.toBe(renewedBefore); // renewed
      expect(standby.isLeader()).toBe(false);
      expect(standby.leader()).toBe(leader.identity);

      // Crash: the leader stops renewing without releasing; the standby takes over once the lease expires.
      await leader.stop({ release: false });
      await waitFor(() => standby.isLeader(), 15_000);
      const lease2 = await coordination.readNamespacedLease({ name: 'runtime-test', namespace });
      expect(lease2.spec!.holderIdentity).toBe(standby.identity);
      expect(lease2.spec!.leaseTransitions).toBe((lease1.spec!.leaseTransitions ?? 0) + 1);

      // Graceful stop: the lease is released and the new candidate acquires it.
      c.start();
      await new Promise((r) => setTimeout(r, 1000));
      expect(c.isLeader()).toBe(false);
      await standby.stop();
      const released = await coordination.readNamespacedLease({ name: 'runtime-test', namespace });
      expect([undefined, c.identity]).toContain(released.spec!.holderIdentity);
      await waitFor(() => c.isLeader(), 5_000);

      expect(maxConcurrentLeaders).toBe(1);
      expect(history).toEqual([
        `start ${leader.identity}`,
        `stop ${leader.identity}`,
        `start ${standby.identity}`,
        `stop ${standby.identity}`,
        `start ${c.identity}`,
      ]);
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  }, 90_000);
});
