// What a DistributedCloud reconcile sees of each member cluster, read from the informer caches: whether the site can
// be used (credentials, EdgeSite Reachable condition, member caches synced), this DC's live objects there (by owner
// uid), and the host-level DaemonSets of the cluster whoever owns them. Builds (or reuses) the site's clients and starts its member informers.
import type { DistributedCloud, EdgeSite } from '../api/types.js';
import { describeOwner, isOwnedBy } from '../engine/ownership.js';
import type { LiveObject } from '../engine/readiness.js';
import { OWNED_RESOURCES } from '../engine/resources.js';
import { objectId } from '../engine/state.js';
import { ANNOTATION_UNIT } from '../render/labels.js';
import { ClusterCredentialsError, type MemberClients } from '../runtime/clusters.js';
import { RESOURCES } from '../runtime/kube-http.js';
import { getCondition } from '../runtime/conditions.js';
import { describeError } from '../runtime/redact.js';
import { clientsOfSite, type ControllerContext } from './context.js';
import type { HostClaim, SiteState } from './dc-decide.js';

export interface ObservedSite {
  state: SiteState;
  /** Clients of the site's cluster, when its credentials are usable. */
  clients?: MemberClients;
}

type Dc = Pick<DistributedCloud, 'metadata' | 'status'>;

/** Observes every named site that is a known EdgeSite (others are left out), sorted by name. */
export async function observeSites(
  ctx: ControllerContext,
  dc: Dc,
  names: Iterable<string>,
): Promise<Map<string, ObservedSite>> {
  const known = new Map(ctx.edgeSites.list().map((s) => [s.metadata.name ?? '', s]));
  const wanted = [...new Set(names)].filter((s) => known.has(s)).sort();
  const observed = await Promise.all(wanted.map((s) => observeSite(ctx, dc, known.get(s)!)));
  return new Map(observed.map((o) => [o.state.name, o]));
}

async function observeSite(ctx: ControllerContext, dc: Dc, site: EdgeSite): Promise<ObservedSite> {
  const name = site.metadata.name ?? '';
  const state = { name, reachable: false, message: undefined as string | undefined };
  const empty = { live: new Map<string, LiveObject>(), byUnit: new Map<string, LiveObject[]>() };
  let clients: MemberClients;
  try {
    clients = await clientsOfSite(ctx, site);
  } catch (error) {
    const message =
      error instanceof ClusterCredentialsError ? `${error.reason}: ${error.message}` : describeError(error);
    return { state: { ...state, ...empty, message } };
  }
  ctx.members.ensure(name, clients.kubeConfig, clients.hash);
  const reachable = getCondition(site.status?.conditions, 'Reachable');
  if (reachable?.status === 'False') return { state: { ...state, ...empty, message: reachable.message }, clients };
  if (!ctx.members.hasSynced(name))
    return { state: { ...state, ...empty, message: 'member cluster caches not synced yet' }, clients };
  const live = new Map<string, LiveObject>();
  const byUnit = new Map<string, LiveObject[]>();
  // the caches hold every Discovery object of the cluster (any namespace, any DC): only this DC's (by uid) count
  for (const resource of OWNED_RESOURCES) {
    const informer = ctx.members.informer(name, resource);
    for (const obj of (informer?.list() ?? []) as LiveObject[]) {
      if (!isOwnedBy(obj, dc.metadata)) continue;
      live.set(objectId(obj), obj);
      const unit = obj.metadata?.annotations?.[ANNOTATION_UNIT];
      if (unit) {
        const list = byUnit.get(unit) ?? [];
        list.push(obj);
        byUnit.set(unit, list);
      }
    }
  }
  const daemonSets = (ctx.members.informer(name, RESOURCES.daemonSets)?.list() ?? []) as LiveObject[];
  return { state: { ...state, reachable: true, live, byUnit, hostClaims: hostClaims(daemonSets) }, clients };
}

/** The DaemonSets of a cluster whose pods use the host network or PID (what two of them on one node would share). */
function hostClaims(daemonSets: readonly LiveObject[]): HostClaim[] {
  const out: HostClaim[] = [];
  for (const ds of daemonSets) {
    const pod = (ds.spec?.template as { spec?: Record<string, unknown> } | undefined)?.spec;
    if (!pod || (pod.hostNetwork !== true && pod.hostPID !== true) || ds.metadata?.deletionTimestamp) continue;
    const created = ds.metadata?.creationTimestamp;
    out.push({
      namespace: ds.metadata?.namespace ?? '',
      name: ds.metadata?.name ?? '',
      owner: describeOwner(ds),
      nodeSelector: (pod.nodeSelector ?? {}) as Record<string, string>,
      ...(created == null ? {} : { creationTimestamp: String(created) }),
    });
  }
  return out;
}
