// Readiness verdicts of live objects shaped like what the API server returns.
import { describe, expect, test } from '@jest/globals';
import { objectReadiness, unitReadiness, type LiveObject } from '../../../operator/src/engine/readiness.js';

function deployment(status: Record<string, unknown>, generation = 2, replicas = 2): LiveObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'keystone-api', namespace: 'openstack', generation },
    spec: { replicas },
    status,
  };
}

const availableTrue = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' };

describe('objectReadiness', () => {
  test('Deployment ready when observed, updated, available', () => {
    const d = deployment({
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [availableTrue],
    });
    expect(objectReadiness(d)).toEqual({ ready: true, failed: false, message: '' });
  });

  test('Deployment not ready while its controller has not observed the new generation', () => {
    const d = deployment({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      conditions: [availableTrue],
    });
    expect(objectReadiness(d)).toMatchObject({ ready: false, failed: false });
    expect(objectReadiness(d).message).toContain('not observed');
  });

  test('Deployment not ready while old replicas remain or too few are available', () => {
    expect(
      objectReadiness(
        deployment({
          observedGeneration: 2,
          replicas: 3,
          updatedReplicas: 2,
          availableReplicas: 3,
          conditions: [availableTrue],
        }),
      ).ready,
    ).toBe(false);
    const d = objectReadiness(
      deployment({
        observedGeneration: 2,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 1,
        conditions: [availableTrue],
      }),
    );
    expect(d.ready).toBe(false);
    expect(d.message).toContain('1/2 replicas available');
  });

  test('Deployment past its progress deadline is failed', () => {
    const d = deployment({
      observedGeneration: 2,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' }],
    });
    expect(objectReadiness(d)).toMatchObject({ ready: false, failed: true });
  });

  test('StatefulSet ready only with every replica ready and updated', () => {
    const sts = (status: Record<string, unknown>): LiveObject => ({
      kind: 'StatefulSet',
      metadata: { name: 'database', generation: 1 },
      spec: { replicas: 3 },
      status: { observedGeneration: 1, ...status },
    });
    expect(objectReadiness(sts({ readyReplicas: 3, updatedReplicas: 3 })).ready).toBe(true);
    expect(objectReadiness(sts({ readyReplicas: 2, updatedReplicas: 3 })).message).toContain('2/3 replicas ready');
    expect(objectReadiness(sts({ readyReplicas: 3, updatedReplicas: 1 })).ready).toBe(false);
  });

  test('DaemonSet ready when every scheduled pod is updated and ready (zero scheduled is ready)', () => {
    const ds = (status: Record<string, unknown>): LiveObject => ({
      kind: 'DaemonSet',
      metadata: { name: 'nova-compute', generation: 1 },
      status: { observedGeneration: 1, ...status },
    });
    expect(objectReadiness(ds({ desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 })).ready).toBe(
      true,
    );
    expect(objectReadiness(ds({ desiredNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2 })).ready).toBe(
      false,
    );
    expect(objectReadiness(ds({ desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0 })).ready).toBe(
      true,
    );
  });

  test('Job: Complete is ready, Failed is failed with its message, otherwise waiting', () => {
    const job = (conditions: unknown[]): LiveObject => ({
      kind: 'Job',
      metadata: { name: 'keystone-db-sync-1a2b3c4d' },
      status: { conditions, active: 1 },
    });
    expect(objectReadiness(job([{ type: 'Complete', status: 'True' }])).ready).toBe(true);
    const failed = objectReadiness(
      job([
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
      ]),
    );
    expect(failed).toMatchObject({ ready: false, failed: true });
    expect(failed.message).toContain('backoff limit');
    expect(objectReadiness(job([])).ready).toBe(false);
  });

  test('config objects are ready once they exist; absent or deleting objects are not', () => {
    expect(objectReadiness({ kind: 'Secret', metadata: { name: 'keystone-etc' } }).ready).toBe(true);
    expect(objectReadiness({ kind: 'Service', metadata: { name: 'keystone-api' } }).ready).toBe(true);
    expect(objectReadiness(undefined, { kind: 'Secret', name: 'x' }).message).toBe('Secret x does not exist');
    expect(
      objectReadiness({ kind: 'Secret', metadata: { name: 'x', deletionTimestamp: '2025-01-01T00:00:00Z' } }).ready,
    ).toBe(false);
  });
});

describe('unitReadiness', () => {
  test('all objects ready → ready; a failure wins over waiting ones', () => {
    const secret = { live: { kind: 'Secret', metadata: { name: 's' } }, kind: 'Secret', name: 's' };
    const missing = { live: undefined, kind: 'Deployment', name: 'd' };
    const failedJob = {
      live: {
        kind: 'Job',
        metadata: { name: 'j' },
        status: { conditions: [{ type: 'Failed', status: 'True', message: 'boom' }] },
      },
      kind: 'Job',
      name: 'j',
    };
    expect(unitReadiness([secret]).ready).toBe(true);
    expect(unitReadiness([secret, missing])).toMatchObject({
      ready: false,
      failed: false,
      message: 'Deployment d does not exist',
    });
    expect(unitReadiness([missing, failedJob])).toMatchObject({ failed: true, message: 'Job j failed: boom' });
  });
});
