// Pure decisions about one unit from what its member cluster holds: is it started for its current inputs, which
// objects drifted (missing, outdated or edited by someone else), and its state (pending/applying/ready/failed).
import type { UnitStatus } from '../api/types.js';
import type { UnitState } from '../planner/types.js';
import { hashOf } from '../render/hash.js';
import { ANNOTATION_SPEC_HASH } from '../render/labels.js';
import type { K8sObject } from '../render/types.js';
import { unitReadiness, type LiveObject } from './readiness.js';

/** Identity of an object in a cluster: kind/namespace/name (kinds we render are unambiguous across groups). */
export function objectId(obj: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${obj.kind ?? ''}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** Hash of a unit's rendered inputs: the spec-hash annotations of its objects, in order. */
export function unitInputHash(objects: readonly K8sObject[]): string {
  return hashOf(objects.map((o) => [objectId(o), o.metadata.annotations?.[ANNOTATION_SPEC_HASH] ?? hashOf(o)]));
}

/**
 * Whether `live` holds every value `desired` sets: objects key by key, arrays element by element with the same
 * length, scalars equal. Fields the API server defaults (absent from desired) are ignored.
 */
export function subsetEqual(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => subsetEqual(d, live[i]));
  }
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(
      ([k, v]) => v === undefined || subsetEqual(v, l[k]),
    );
  }
  if (desired === live) return true;
  // the API server returns numbers we send as strings in a few places (e.g. intstr ports) and vice versa
  return desired !== undefined && live !== undefined && live !== null && String(desired) === String(live);
}

const DATA_FIELDS = ['data', 'binaryData', 'stringData'] as const;

/**
 * Why a live object differs from what we apply, or undefined when it matches: missing, outdated (another version
 * of our inputs), or changed by someone else (a field we set has another value; for ConfigMaps/Secrets the data
 * must match exactly, extra keys included).
 */
export function driftOf(desired: K8sObject, live: LiveObject | undefined): string | undefined {
  if (!live) return 'missing';
  if (live.metadata?.deletionTimestamp) return 'being deleted';
  const want = desired.metadata.annotations?.[ANNOTATION_SPEC_HASH];
  if (want !== undefined && live.metadata?.annotations?.[ANNOTATION_SPEC_HASH] !== want) return 'outdated';
  if (desired.kind === 'ConfigMap' || desired.kind === 'Secret') {
    for (const field of DATA_FIELDS) {
      const d = (desired[field] ?? {}) as Record<string, unknown>;
      const l = (live[field] ?? {}) as Record<string, unknown>;
      const keys = new Set([...Object.keys(d), ...Object.keys(l)]);
      if (field === 'stringData') continue; // never returned by the server; folded into data
      for (const k of keys) if (d[k] !== l[k]) return `${field}.${k} changed`;
    }
  }
  for (const [field, value] of Object.entries(desired)) {
    if (field === 'apiVersion' || field === 'kind' || field === 'metadata' || field === 'status') continue;
    if (
      (desired.kind === 'ConfigMap' || desired.kind === 'Secret') &&
      (DATA_FIELDS as readonly string[]).includes(field)
    )
      continue;
    if (!subsetEqual(value, live[field])) return `${field} changed`;
  }
  return undefined;
}

export interface UnitObservation {
  /** The unit's rendered objects. */
  desired: readonly K8sObject[];
  /** Live object by objectId (undefined = absent). */
  live: (id: string) => LiveObject | undefined;
  inputHash: string;
  /** The unit's entry in the previous status, if any. */
  previous?: Pick<UnitStatus, 'phase' | 'inputHash' | 'startedAt' | 'readyAt'>;
  /** Applying for longer than this (from previous.startedAt) is a failure. */
  timeoutSeconds?: number;
  now: Date;
}

export interface UnitAssessment {
  state: UnitState;
  /** The unit's objects were applied for its current inputs (by us, now or before a restart). */
  started: boolean;
  /** Objects to apply again, with why (only for started units). */
  drifted: Array<{ object: K8sObject; reason: string }>;
  message: string;
}

/**
 * Derives a unit's state from the live objects. A unit is started when the previous status recorded its current
 * inputHash as applied, or when any of its objects exists at the current version (applied before a crash). Not
 * started → pending (the scheduler decides when). Started → drifted objects are listed for repair and the state
 * comes from readiness: failed (a Job failed, or Applying beyond the unit timeout), ready, or applying.
 */
export function assessUnit(o: UnitObservation): UnitAssessment {
  const lives = o.desired.map((d) => ({ desired: d, live: o.live(objectId(d)) }));
  const recorded =
    o.previous !== undefined &&
    o.previous.inputHash === o.inputHash &&
    o.previous.phase !== 'Pending' &&
    o.previous.startedAt !== undefined;
  const anyCurrent = lives.some(
    ({ desired, live }) =>
      live !== undefined &&
      !live.metadata?.deletionTimestamp &&
      live.metadata?.annotations?.[ANNOTATION_SPEC_HASH] === desired.metadata.annotations?.[ANNOTATION_SPEC_HASH],
  );
  if (!recorded && !anyCurrent) return { state: 'pending', started: false, drifted: [], message: 'waiting to start' };

  const drifted: UnitAssessment['drifted'] = [];
  for (const { desired, live } of lives) {
    const reason = driftOf(desired, live);
    if (reason !== undefined) drifted.push({ object: desired, reason });
  }
  const readiness = unitReadiness(
    lives.map(({ desired, live }) => ({ live, kind: desired.kind, name: desired.metadata.name })),
  );
  if (readiness.failed) return { state: 'failed', started: true, drifted, message: readiness.message };
  if (readiness.ready && drifted.length === 0) return { state: 'ready', started: true, drifted, message: '' };
  const startedAt = o.previous?.inputHash === o.inputHash ? o.previous?.startedAt : undefined;
  const wasReady = o.previous?.inputHash === o.inputHash && o.previous?.readyAt !== undefined;
  if (o.timeoutSeconds && startedAt && !wasReady) {
    const elapsed = (o.now.getTime() - Date.parse(startedAt)) / 1000;
    if (elapsed > o.timeoutSeconds)
      return {
        state: 'failed',
        started: true,
        drifted,
        message: `not Ready after ${o.timeoutSeconds}s: ${readiness.message || 'objects drifted'}`,
      };
  }
  const message =
    drifted.length > 0
      ? `repairing ${drifted.map((d) => `${d.object.kind} ${d.object.metadata.name} (${d.reason})`).join(', ')}`
      : readiness.message;
  return { state: 'applying', started: true, drifted, message };
}
