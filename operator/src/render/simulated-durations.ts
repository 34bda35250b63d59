// Simulated durations for kwok fleets: a DistributedCloud annotated `discovery.beyondtheclouds.io/simulated-durations:
// "<factor>"` gets, on every pod template it renders, the kwok delay annotation of the local fleet's Stages
// (hack/fleet/stages.ts) set to the unit's expected seconds — the catalog's, i.e. the durations measured in a real
// rollout (catalog/measured.ts), estimates elsewhere — times the factor: a workload's pods turn Ready after it, a
// Job's pod completes after it. So a simulated fleet rolls out with the real one's shape (at factor 1, its
// durations; at 0.1, ten times faster). Without the annotation (the default) nothing is added: the fast tests stay
// fast and the rendered objects are byte-identical. On real nodes the annotations are inert (only kwok reads them).
//
// Pure: the factor is read from the DistributedCloud, the seconds from the unit.
import { GROUP } from '../api/types.js';
import type { Unit } from '../planner/types.js';
import { RenderError, type K8sObject } from './types.js';

/** The DistributedCloud annotation: a positive scale factor ("1" = the real durations, "0.1" = ten times faster). */
export const ANNOTATION_SIMULATED_DURATIONS = `${GROUP}/simulated-durations`;
/** kwok: how long a pod stays Pending before it turns Running and Ready (a Go duration). */
export const KWOK_POD_READY_DELAY = 'pod-ready.stage.kwok.x-k8s.io/delay';
/** kwok: how long a Job's pod stays Running before it Succeeds (a Go duration). */
export const KWOK_POD_COMPLETE_DELAY = 'pod-complete.stage.kwok.x-k8s.io/delay';
/** The largest factor accepted (a typo such as "100" would make a rollout take hours). */
export const MAX_SIMULATED_DURATIONS_FACTOR = 10;

const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/**
 * The factor the DistributedCloud asks for, or undefined when it asks for none (no annotation, or "0"). A value
 * that is not a number from 0 to MAX_SIMULATED_DURATIONS_FACTOR is a RenderError naming the annotation.
 */
export function simulatedDurationsFactor(dc: {
  metadata?: { annotations?: Record<string, string> };
}): number | undefined {
  const raw = dc.metadata?.annotations?.[ANNOTATION_SIMULATED_DURATIONS];
  if (raw === undefined) return undefined;
  const factor = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(factor) || factor < 0 || factor > MAX_SIMULATED_DURATIONS_FACTOR)
    throw new RenderError(
      `annotation ${ANNOTATION_SIMULATED_DURATIONS} must be a number from 0 (off) to ` +
        `${MAX_SIMULATED_DURATIONS_FACTOR}, got ${JSON.stringify(raw)}`,
    );
  return factor === 0 ? undefined : factor;
}

/** A Go duration of whole milliseconds: 16.7 s × 0.5 -> "8350ms". */
export function kwokDelay(seconds: number): string {
  return `${Math.max(0, Math.round(seconds * 1000))}ms`;
}

/**
 * The object with the unit's simulated duration on its pod template: a Job's pod completes after
 * `unit.expectedSeconds × factor`, any other workload's pods turn Ready after it. Objects without a pod template
 * (ConfigMaps, Secrets, Services…) come back unchanged.
 */
export function withSimulatedDuration(obj: K8sObject, unit: Pick<Unit, 'expectedSeconds'>, factor: number): K8sObject {
  if (!POD_TEMPLATE_KINDS.has(obj.kind)) return obj;
  const spec = obj.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined;
  if (!spec?.template) return obj;
  const key = obj.kind === 'Job' ? KWOK_POD_COMPLETE_DELAY : KWOK_POD_READY_DELAY;
  const metadata = spec.template.metadata ?? {};
  const template = {
    ...spec.template,
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, [key]: kwokDelay(unit.expectedSeconds * factor) },
    },
  };
  return { ...obj, spec: { ...spec, template } };
}
