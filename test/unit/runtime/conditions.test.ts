// Unit tests of the metav1.Condition helpers and the Ready/Progressing/Degraded aggregate.
import { describe, expect, test } from '@jest/globals';
import {
  conditionsEqual,
  getCondition,
  isConditionTrue,
  kstatusOf,
  removeCondition,
  setCondition,
  setHealthConditions,
  type Condition,
} from '../../../operator/src/runtime/conditions.js';

const t0 = new Date('2025-01-01T10:00:00.123Z');
const t1 = new Date('2025-01-01T10:05:00Z');
const t2 = new Date('2025-01-01T10:10:00Z');

describe('setCondition', () => {
  test('adds a condition with lastTransitionTime = now (RFC 3339, whole seconds)', () => {
    const list = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Waiting', message: 'm' }, t0);
    expect(list).toEqual([
      { type: 'Ready', status: 'False', reason: 'Waiting', message: 'm', lastTransitionTime: '2025-01-01T10:00:00Z' },
    ]);
  });

  test('keeps lastTransitionTime when the status does not change, but updates reason, message, generation', () => {
    let list = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'A', message: 'a', observedGeneration: 1 },
      t0,
    );
    list = setCondition(list, { type: 'Ready', status: 'False', reason: 'B', message: 'b', observedGeneration: 2 }, t1);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ reason: 'B', message: 'b', observedGeneration: 2 });
    expect(list[0]!.lastTransitionTime).toBe('2025-01-01T10:00:00Z');
  });

  test('moves lastTransitionTime on a status flip', () => {
    let list = setCondition([], { type: 'Ready', status: 'False', reason: 'A', message: '' }, t0);
    list = setCondition(list, { type: 'Ready', status: 'True', reason: 'Done', message: '' }, t1);
    expect(list[0]!.lastTransitionTime).toBe('2025-01-01T10:05:00Z');
    list = setCondition(list, { type: 'Ready', status: 'True', reason: 'Done', message: '' }, t2);
    expect(list[0]!.lastTransitionTime).toBe('2025-01-01T10:05:00Z');
  });

  test('is keyed by type, keeps positions and does not mutate its input', () => {
    const original: Condition[] = [
      { type: 'A', status: 'True', reason: 'R', message: '', lastTransitionTime: 'x' },
      { type: 'B', status: 'True', reason: 'R', message: '', lastTransitionTime: 'y' },
    ];
    const frozen = JSON.stringify(original);
    const list = setCondition(original, { type: 'A', status: 'False', reason: 'S', message: '' }, t1);
    expect(list.map((c) => c.type)).toEqual(['A', 'B']);
    expect(JSON.stringify(original)).toBe(frozen);
    expect(getCondition(list, 'A')!.status).toBe('False');
    expect(removeCondition(list, 'A').map((c) => c.type)).toEqual(['B']);
  });
});

describe('isConditionTrue / conditionsEqual', () => {
  const list = setCondition([], { type: 'Ready', status: 'True', reason: 'R', message: '', observedGeneration: 3 }, t0);
  test('a True observed for an older generation does not count', () => {
    expect(isConditionTrue(list, 'Ready')).toBe(true);
    expect(isConditionTrue(list, 'Ready', 3)).toBe(true);
    expect(isConditionTrue(list, 'Ready', 4)).toBe(false);
    expect(isConditionTrue(list, 'Degraded')).toBe(false);
  });
  test('order-insensitive equality', () => {
    const a = setCondition(
      setCondition([], { type: 'X', status: 'True', reason: 'R', message: '' }, t0),
      {
        type: 'Y',
        status: 'False',
        reason: 'R',
        message: '',
      },
      t0,
    );
    const b = [a[1]!, a[0]!];
    expect(conditionsEqual(a, b)).toBe(true);
    expect(conditionsEqual(a, setCondition(a, { type: 'Y', status: 'False', reason: 'R', message: 'new' }, t1))).toBe(
      false,
    );
  });
});

describe('setHealthConditions', () => {
  test('Ready=True only when nothing progresses or is degraded', () => {
    const list = setHealthConditions(undefined, { generation: 2 }, t0);
    expect(list.map((c) => [c.type, c.status, c.observedGeneration])).toEqual([
      ['Progressing', 'False', 2],
      ['Degraded', 'False', 2],
      ['Ready', 'True', 2],
    ]);
  });

  test('Ready=False carries the degraded reason before the progressing one', () => {
    const list = setHealthConditions(
      [],
      {
        generation: 1,
        progressing: { reason: 'UnitsApplying', message: '3 units applying on edge-1' },
        degraded: { reason: 'SiteUnreachable', message: 'site edge-2 unreachable' },
      },
      t0,
    );
    expect(getCondition(list, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SiteUnreachable',
      message: 'site edge-2 unreachable',
    });
    expect(getCondition(list, 'Progressing')!.status).toBe('True');
    expect(getCondition(list, 'Degraded')!.status).toBe('True');
  });

  test('kstatus reading follows observedGeneration and the aggregate', () => {
    const ready = setHealthConditions([], { generation: 2 }, t0);
    expect(kstatusOf({ metadata: { generation: 2 }, status: { observedGeneration: 2, conditions: ready } })).toBe(
      'Current',
    );
    expect(kstatusOf({ metadata: { generation: 3 }, status: { observedGeneration: 2, conditions: ready } })).toBe(
      'InProgress',
    );
    const degraded = setHealthConditions([], { generation: 2, degraded: { reason: 'UnitFailed', message: 'x' } }, t0);
    expect(kstatusOf({ metadata: { generation: 2 }, status: { observedGeneration: 2, conditions: degraded } })).toBe(
      'Failed',
    );
    const progressing = setHealthConditions([], { generation: 2, progressing: { reason: 'P', message: '' } }, t0);
    expect(kstatusOf({ metadata: { generation: 2 }, status: { observedGeneration: 2, conditions: progressing } })).toBe(
      'InProgress',
    );
  });
});
