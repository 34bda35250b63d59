// Which DistributedCloud owns an object in a member cluster, read from the owner labels the renderers set
// (render/labels.ts): the dc label gives the name, the dc-namespace label (else the object's namespace) the namespace.
import { LABEL_DC, LABEL_DC_NAMESPACE, labelValue } from '../render/labels.js';

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

/** Whether the DistributedCloud `namespace/name` owns obj (label values as the renderers write them). */
export function isOwnedBy(obj: Labelled, dc: { namespace?: string; name?: string }): boolean {
  const labels = obj.metadata?.labels ?? {};
  if (labels[LABEL_DC] !== labelValue(dc.name ?? '')) return false;
  const ns = labels[LABEL_DC_NAMESPACE] ?? obj.metadata?.namespace;
  return ns === labelValue(dc.namespace ?? '');
}
