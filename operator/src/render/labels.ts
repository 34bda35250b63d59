// Labels and annotations put on every rendered object, and the helper that finalises an object's metadata
// (namespace, labels, spec-hash annotation) with deterministic key order.
import { GROUP } from '../api/types.js';
import type { Unit } from '../planner/types.js';
import { hashOf, shortHash, sortKeysDeep } from './hash.js';
import type { K8sObject, RenderContext } from './types.js';

export const LABEL_DC = `${GROUP}/dc`;
/** Namespace of the owning DistributedCloud (member-cluster objects map back to their DC with it). */
export const LABEL_DC_NAMESPACE = `${GROUP}/dc-namespace`;
export const LABEL_SITE = `${GROUP}/site`;
export const LABEL_COMPONENT = `${GROUP}/component`;
export const LABEL_STEP = `${GROUP}/step`;
export const LABEL_UNIT = `${GROUP}/unit`;
export const ANNOTATION_UNIT = `${GROUP}/unit`;
export const ANNOTATION_SPEC_HASH = `${GROUP}/spec-hash`;
export const ANNOTATION_INPUT_HASH = `${GROUP}/input-hash`;
export const ANNOTATION_CONFIG_HASH = `${GROUP}/config-hash`;
export const MANAGED_BY = 'discovery-operator';
export const PART_OF = 'discovery';

/** A label value (<= 63 chars, [A-Za-z0-9._-], alphanumeric at both ends) derived from any string. */
export function labelValue(raw: string): string {
  let v = raw.replace(/[^A-Za-z0-9._-]/g, '.');
  if (v.length > 63) v = `${v.slice(0, 54)}-${shortHash(raw)}`;
  return v.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

/** Labels that select a workload's pods: stable across releases and config changes. */
export function selectorLabels(
  ctx: RenderContext,
  component: string,
  step: string,
  site: string,
): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': labelValue(ctx.dc.metadata.name ?? 'discovery'),
    'app.kubernetes.io/component': step,
    [LABEL_SITE]: labelValue(site),
  };
}

/** Every label of a unit's objects. */
export function unitLabels(ctx: RenderContext, unit: Unit): Record<string, string> {
  return {
    ...selectorLabels(ctx, unit.component, unit.step, unit.site),
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/version': labelValue(ctx.dc.spec.release),
    [LABEL_DC]: labelValue(ctx.dc.metadata.name ?? 'discovery'),
    ...dcNamespaceLabel(ctx),
    [LABEL_COMPONENT]: unit.component,
    [LABEL_STEP]: unit.step,
    [LABEL_UNIT]: labelValue(unit.id.replace('@', '.')),
  };
}

/** The dc-namespace label, when the DistributedCloud has a namespace. */
export function dcNamespaceLabel(ctx: RenderContext): Record<string, string> {
  const ns = ctx.dc.metadata.namespace;
  return ns ? { [LABEL_DC_NAMESPACE]: labelValue(ns) } : {};
}

/** The namespace rendered objects live in, on every member cluster: the DistributedCloud's own namespace name. */
export function targetNamespace(ctx: RenderContext): string {
  return ctx.dc.metadata.namespace ?? 'default';
}

/**
 * Finalises an object: sets namespace (unless cluster-scoped), merges the unit's labels, adds the unit annotation,
 * and the spec-hash annotation (hash of the object without that annotation). Keys come out sorted.
 */
export function finalizeObject(
  obj: K8sObject,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  namespace?: string,
): K8sObject {
  const metadata = { ...obj.metadata };
  if (namespace !== undefined) metadata.namespace = namespace;
  metadata.labels = { ...labels, ...(metadata.labels ?? {}) };
  metadata.annotations = { ...annotations, ...(metadata.annotations ?? {}) };
  delete metadata.annotations[ANNOTATION_SPEC_HASH];
  const withoutHash = { ...obj, metadata };
  const specHash = hashOf(withoutHash);
  return sortKeysDeep({
    ...withoutHash,
    metadata: { ...metadata, annotations: { ...metadata.annotations, [ANNOTATION_SPEC_HASH]: specHash } },
  });
}
