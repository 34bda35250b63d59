// Labels and annotations put on every rendered object, and the helper that finalises an object's metadata
// (namespace, labels, spec-hash annotation) with deterministic key order.
import { GROUP } from '../api/types.js';
import type { Unit } from '../planner/types.js';
import { hashOf, shortHash, sortKeysDeep } from './hash.js';
import type { K8sObject, RenderContext } from './types.js';

export const LABEL_DC = `${GROUP}/dc`;
/** Namespace of the owning DistributedCloud (member-cluster objects map back to their DC with it). */
export const LABEL_DC_NAMESPACE = `${GROUP}/dc-namespace`;
/** uid of the owning DistributedCloud: what ownership is decided on (a same-named DC recreated later is another). */
export const LABEL_DC_UID = `${GROUP}/dc-uid`;
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
    ...ownerLabels(ctx.dc),
    [LABEL_COMPONENT]: unit.component,
    [LABEL_STEP]: unit.step,
    [LABEL_UNIT]: labelValue(unit.id.replace('@', '.')),
  };
}

type Owner = { metadata: { name?: string; namespace?: string; uid?: string } };

/**
 * The labels that say which DistributedCloud owns a member-cluster object: dc (name), dc-namespace and, when the DC
 * has one (it was read from the API server), dc-uid.
 */
export function ownerLabels(dc: Owner): Record<string, string> {
  const { name, namespace, uid } = dc.metadata;
  return {
    [LABEL_DC]: labelValue(name ?? 'discovery'),
    ...(namespace ? { [LABEL_DC_NAMESPACE]: labelValue(namespace) } : {}),
    ...(uid ? { [LABEL_DC_UID]: labelValue(uid) } : {}),
  };
}

/** Longest Kubernetes namespace name (a DNS-1123 label). */
const MAX_NAMESPACE = 63;

/**
 * The member-cluster namespace of a DistributedCloud's objects on one site: `<dc namespace>-<dc name>-<site>-<hash>`,
 * hash = 8 hex of "<dc namespace>/<dc name>/<site>" (so `a-b`/`c` and `a`/`b-c` never meet), shortened to 63
 * characters by cutting the readable part (dots become dashes). One namespace per DC and per site: any number of DCs share a site, and
 * several EdgeSites share one member cluster, without two of them ever writing the same object. Deterministic (no uid):
 * `discovery render` gives the same names.
 */
export function memberNamespace(dc: Owner, site: string): string {
  const ns = dc.metadata.namespace ?? 'default';
  const name = dc.metadata.name ?? 'discovery';
  const hash = shortHash(`${ns}/${name}/${site}`);
  const readable = `${ns}-${name}-${site}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-') // a DC name may hold dots; a namespace name may not
    .slice(0, MAX_NAMESPACE - hash.length - 1)
    .replace(/^-+|-+$/g, '');
  return `${readable}-${hash}`;
}

/** The namespace a unit's objects live in on its target site's cluster. */
export function targetNamespace(ctx: RenderContext, site: string): string {
  return memberNamespace(ctx.dc, site);
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
