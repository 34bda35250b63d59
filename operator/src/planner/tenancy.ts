// The tenancy model (docs/security.md, "Tenancy"), pure: which namespaces' DistributedClouds an EdgeSite admits
// (spec.tenancy.namespaces ∪ spec.tenancy.namespaceSelector over the namespace's labels; nothing when unset), and
// whether it allows privileged units (spec.tenancy.allowPrivileged, default false). The operator applies it before
// planning: an EdgeSite that does not admit the DC's namespace gets no unit; a unit needing privileged pods on a site
// that does not allow them is refused.
import type { EdgeSite } from '../api/types.js';
import { matchesSelector } from './selector.js';

/** The namespace a DistributedCloud lives in, as the management cluster has it (labels from its Namespace object). */
export interface TenantNamespace {
  name: string;
  /** undefined: the Namespace object is not known (not cached yet, or gone): only spec.tenancy.namespaces can admit. */
  labels?: Record<string, string>;
}

/** Reason of the DistributedCloud condition when a selected site does not admit its namespace. */
export const SITE_NOT_ALLOWED = 'SiteNotAllowed';
/** Reason (and unit message prefix) when a unit needs privileged pods on a site that does not allow them. */
export const PRIVILEGED_NOT_ALLOWED = 'PrivilegedNotAllowed';

/** Whether site admits DistributedClouds of namespace ns. */
export function admits(site: Pick<EdgeSite, 'spec'>, ns: TenantNamespace): boolean {
  const tenancy = site.spec.tenancy;
  if (!tenancy) return false;
  if ((tenancy.namespaces ?? []).includes(ns.name)) return true;
  if (tenancy.namespaceSelector === undefined || ns.labels === undefined) return false;
  return matchesSelector(ns.labels, tenancy.namespaceSelector);
}

/** Whether units needing privileged pods (host network, PID, paths) may run on site. */
export function allowsPrivileged(site: Pick<EdgeSite, 'spec'> | undefined): boolean {
  return site?.spec.tenancy?.allowPrivileged === true;
}

/** The message naming the sites that do not admit namespace ns, and how an admin grants access. */
export function siteNotAllowedMessage(sites: readonly string[], ns: TenantNamespace, planned: boolean): string {
  const list = sites.join(', ');
  const what = sites.length === 1 ? `EdgeSite ${list} does not` : `EdgeSites ${list} do not`;
  return (
    `${what} admit DistributedClouds of namespace ${ns.name}` +
    (planned ? ': no unit is placed there' : ': nothing is planned') +
    ` (an EdgeSite admin grants access with spec.tenancy.namespaces or spec.tenancy.namespaceSelector)`
  );
}

/** The message of a unit refused because its site does not allow privileged pods. */
export function privilegedNotAllowedMessage(unit: string, site: string): string {
  return (
    `${PRIVILEGED_NOT_ALLOWED}: unit ${unit} needs privileged pods with host network and PID, and EdgeSite ${site} ` +
    'does not allow them (spec.tenancy.allowPrivileged is not true): nothing of it is applied'
  );
}
