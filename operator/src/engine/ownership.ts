// Which DistributedCloud owns an object in a member cluster, read from the owner labels the renderers set
// (render/labels.ts): the dc label gives the name, the dc-namespace label (else the object's namespace) the namespace,
// and the dc-uid label which DistributedCloud of that name: an object is ours only when all three say so, so a
// DistributedCloud never takes over what another one — or an earlier one of the same name — left behind.
import { LABEL_DC, LABEL_DC_NAMESPACE, LABEL_DC_UID, labelValue } from '../render/labels.js';

/** What ownership is read from: any object's labels and namespace. */
interface Labelled {
  metadata?: { labels?: Record<string, string>; namespace?: string };
}

/** Label selector of every object some DistributedCloud owns (member informers watch only those). */
export const OWNED_SELECTOR = LABEL_DC;

/** Key ("namespace/name") of the DistributedCloud owning a member-cluster object; undefined when unowned. */
export function owningDistributedCloudKey(obj: Labelled): string | undefined {
  const labels = obj.metadata?.labels ?? {};
  const name = labels[LABEL_DC];
  if (!name) return undefined;
  const namespace = labels[LABEL_DC_NAMESPACE] ?? obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : undefined;
}

/**
 * Whether the DistributedCloud `namespace/name` (with that uid, when given) owns obj (label values as the renderers
 * write them). With a uid, an object without the dc-uid label or with another one is not ours.
 */
export function isOwnedBy(obj: Labelled, dc: { namespace?: string; name?: string; uid?: string }): boolean {
  const labels = obj.metadata?.labels ?? {};
  if (labels[LABEL_DC] !== labelValue(dc.name ?? '')) return false;
  if (dc.uid !== undefined && labels[LABEL_DC_UID] !== labelValue(dc.uid)) return false;
  const ns = labels[LABEL_DC_NAMESPACE] ?? obj.metadata?.namespace;
  return ns === labelValue(dc.namespace ?? '');
}

/** "Kind namespace/name, owned by …" for messages: who holds an object we did not create. */
export function describeOwner(obj: Labelled): string {
  const labels = obj.metadata?.labels ?? {};
  const key = owningDistributedCloudKey(obj);
  if (!key) return 'not created by Discovery';
  const uid = labels[LABEL_DC_UID];
  return `owned by DistributedCloud ${key}${uid ? ` (uid ${uid})` : ' (no uid label)'}`;
}

/** live carries the same owner labels (dc, dc-namespace, dc-uid) as the object we render for its place. */
export function sameOwner(live: Labelled, desired: Labelled): boolean {
  const a = live.metadata?.labels ?? {};
  const b = desired.metadata?.labels ?? {};
  return a[LABEL_DC] !== undefined && [LABEL_DC, LABEL_DC_NAMESPACE, LABEL_DC_UID].every((k) => a[k] === b[k]);
}
