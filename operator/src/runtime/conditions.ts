// metav1.Condition helpers: one way to set conditions (keyed by type, lastTransitionTime moves only when the status
// flips, observedGeneration recorded) and to derive the kstatus-compatible Ready/Progressing/Degraded set.
import type { Condition } from '../api/types.js';

export type { Condition };
export type ConditionStatus = Condition['status'];

/** A condition to set: lastTransitionTime is managed by setCondition. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };

/** RFC 3339 without fractional seconds, as metav1.Time serializes. */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function getCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/**
 * True when condition `type` is True and, if generation is given, was observed for that generation (a stale True
 * from an older spec does not count).
 */
export function isConditionTrue(list: readonly Condition[] | undefined, type: string, generation?: number): boolean {
  const c = getCondition(list, type);
  if (!c || c.status !== 'True') return false;
  return generation === undefined || c.observedGeneration === undefined || c.observedGeneration >= generation;
}

/**
 * Returns a new list with `cond` set. An existing condition of the same type keeps its position and, unless its
 * status changes, its lastTransitionTime; reason, message and observedGeneration are updated.
 */
export function setCondition(list: readonly Condition[] | undefined, cond: ConditionInput, now: Date): Condition[] {
  const current = list ?? [];
  const index = current.findIndex((c) => c.type === cond.type);
  const existing = index >= 0 ? current[index] : undefined;
  const lastTransitionTime =
    existing && existing.status === cond.status
      ? existing.lastTransitionTime
      : (cond.lastTransitionTime ?? formatTime(now));
  const next: Condition = {
    type: cond.type,
    status: cond.status,
    reason: cond.reason,
    message: cond.message,
    lastTransitionTime,
    ...(cond.observedGeneration !== undefined ? { observedGeneration: cond.observedGeneration } : {}),
  };
  if (index < 0) return [...current, next];
  const copy = [...current];
  copy[index] = next;
  return copy;
}

/** Returns a new list without condition `type`. */
export function removeCondition(list: readonly Condition[] | undefined, type: string): Condition[] {
  return (list ?? []).filter((c) => c.type !== type);
}

/** Same conditions (order-insensitive), so a controller can skip a status patch that would change nothing. */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const key = (c: Condition): string =>
    JSON.stringify([c.type, c.status, c.reason, c.message, c.lastTransitionTime, c.observedGeneration ?? null]);
  const left = (a ?? []).map(key).sort();
  const right = (b ?? []).map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** A reason (CamelCase, per metav1.Condition) and a human message naming the sites and units concerned. */
export interface ReasonMessage {
  reason: string;
  message: string;
}

export interface HealthSummary {
  /** metadata.generation of the object being reconciled. */
  generation: number;
  /** Set while work remains (units applying or waiting for dependencies). */
  progressing?: ReasonMessage;
  /** Set when something is wrong (site unreachable, unit failed). */
  degraded?: ReasonMessage;
  /** Reason/message of Ready=True; defaults to Reconciled / "all units are Ready". */
  ready?: ReasonMessage;
}

export const READY = 'Ready';
export const PROGRESSING = 'Progressing';
export const DEGRADED = 'Degraded';

/**
 * Sets Ready, Progressing and Degraded from a health summary. Ready is True only when nothing is progressing or
 * degraded; when False it carries the degraded reason first (the more actionable one), else the progressing one.
 * Together with status.observedGeneration this is what kstatus (Flux, Argo CD, `kubectl wait --for=condition=Ready`)
 * reads.
 */
export function setHealthConditions(
  list: readonly Condition[] | undefined,
  summary: HealthSummary,
  now: Date,
): Condition[] {
  const g = summary.generation;
  const { progressing, degraded } = summary;
  let out = setCondition(
    list,
    progressing
      ? { type: PROGRESSING, status: 'True', ...progressing, observedGeneration: g }
      : { type: PROGRESSING, status: 'False', reason: 'Idle', message: 'no work in progress', observedGeneration: g },
    now,
  );
  out = setCondition(
    out,
    degraded
      ? { type: DEGRADED, status: 'True', ...degraded, observedGeneration: g }
      : { type: DEGRADED, status: 'False', reason: 'Healthy', message: 'no problem detected', observedGeneration: g },
    now,
  );
  const notReady = degraded ?? progressing;
  const ready = notReady
    ? { type: READY, status: 'False' as const, ...notReady, observedGeneration: g }
    : {
        type: READY,
        status: 'True' as const,
        ...(summary.ready ?? { reason: 'Reconciled', message: 'all units are Ready' }),
        observedGeneration: g,
      };
  return setCondition(out, ready, now);
}

export type KStatus = 'Current' | 'InProgress' | 'Failed';

/**
 * kstatus-style reading of an object's status: InProgress until the controller has observed the current generation
 * and while it is not Ready without being Degraded; Failed when Degraded; Current when Ready.
 */
export function kstatusOf(obj: {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}): KStatus {
  const generation = obj.metadata.generation;
  const observed = obj.status?.observedGeneration;
  if (generation !== undefined && (observed === undefined || observed < generation)) return 'InProgress';
  const conditions = obj.status?.conditions;
  if (isConditionTrue(conditions, READY, generation)) return 'Current';
  if (isConditionTrue(conditions, DEGRADED, generation)) return 'Failed';
  return 'InProgress';
}
