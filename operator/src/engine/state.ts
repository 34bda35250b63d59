// Pure decisions about one unit from what its member cluster holds: is it started for its current inputs, which
// objects drifted (missing, outdated, or a value we set changed by someone else — engine/drift.ts), and its state (pending/applying/ready/failed).
import type { UnitStatus } from '../api/types.js';
import type { UnitState } from '../planner/types.js';
import { hashOf } from '../render/hash.js';
import { ANNOTATION_SPEC_HASH } from '../render/labels.js';
import type { K8sObject } from '../render/types.js';
import { FIELD_MANAGER } from './apply.js';
import { appliedFieldsOf, fieldsShapeOf, managedDrift } from './drift.js';
import { unitReadiness, type LiveObject } from './readiness.js';

export { subsetEqual } from './drift.js';

/** Identity of an object in a cluster: kind/namespace/name (kinds we render are unambiguous across groups). */
export function objectId(obj: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${obj.kind ?? ''}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** Hash of a unit's rendered inputs: the spec-hash annotations of its objects, in order. */
export function unitInputHash(objects: readonly K8sObject[]): string {
  return hashOf(objects.map((o) => [objectId(o), o.metadata.annotations?.[ANNOTATION_SPEC_HASH] ?? hashOf(o)]));
}

const DATA_FIELDS = ['data', 'binaryData', 'stringData'] as const;
const CONFIG_KINDS = new Set(['ConfigMap', 'Secret']);

/**
 * Why a live object differs from what we apply, or undefined when it matches: missing, being deleted, outdated
 * (another version of our inputs), or a value we set changed or removed by someone else. Only what we set counts,
 * read through managedFields (engine/drift.ts): what other managers add (sidecar containers, env entries, labels,
 * annotations, server defaults) is not drift, nor is a value we still own (the API server's normalisation of our
 * apply, or a mutating webhook's rewrite of it); a value we set that another manager took over or removed is.
 * Exception: a ConfigMap's or Secret's data is configuration as a whole, so it must match exactly, extra keys
 * included (they are replaced).
 */
export function driftOf(
  desired: K8sObject,
  live: LiveObject | undefined,
  fieldManager: string = FIELD_MANAGER,
): string | undefined {
  if (!live) return 'missing';
  if (live.metadata?.deletionTimestamp) return 'being deleted';
  const want = desired.metadata.annotations?.[ANNOTATION_SPEC_HASH];
  if (want !== undefined && live.metadata?.annotations?.[ANNOTATION_SPEC_HASH] !== want) return 'outdated';
  const config = CONFIG_KINDS.has(desired.kind);
  if (config) {
    for (const field of DATA_FIELDS) {
      if (field === 'stringData') continue; // never returned by the server; folded into data
      const d = (desired[field] ?? {}) as Record<string, unknown>;
      const l = (live[field] ?? {}) as Record<string, unknown>;
      const keys = new Set([...Object.keys(d), ...Object.keys(l)]);
      for (const k of keys) if (d[k] !== l[k]) return `${field}.${k} changed`;
    }
  }
  const ours = appliedFieldsOf(live, fieldManager);
  const shape = fieldsShapeOf(live);
  const paths: string[][] = [
    ['metadata', 'labels'],
    ['metadata', 'annotations'],
  ];
  for (const field of Object.keys(desired)) {
    if (field === 'apiVersion' || field === 'kind' || field === 'metadata' || field === 'status') continue;
    if (config && (DATA_FIELDS as readonly string[]).includes(field)) continue;
    paths.push([field]);
  }
  for (const path of paths) {
    const reason = managedDrift(desired, live, path, ours, shape);
    if (reason !== undefined) return reason;
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
