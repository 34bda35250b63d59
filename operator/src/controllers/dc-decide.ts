// The DistributedCloud controller's decisions, pure (no I/O, no clock, no randomness): from the plan, the rendered
// objects, what each member cluster holds and the previous status, `decide` says what to repair, start and prune;
// `conclude` turns that decision and what acting on it returned into the one status to write and the requeue delay.
// `decideTeardown` / `concludeTeardown` do the same for deletion (docs/operator.md, "Deletion policy").
import type {
  DistributedCloud,
  DistributedCloudSpec,
  DistributedCloudStatus,
  EdgeSite,
  UnitStatus,
} from '../api/types.js';
import { validateDistributedCloud } from '../api/validate.js';
import type { LiveObject } from '../engine/readiness.js';
import { assessUnit, objectId, unitInputHash } from '../engine/state.js';
import { unitsToTearDown } from '../engine/teardown.js';
import {
  admits,
  allowsPrivileged,
  privilegedNotAllowedMessage,
  SITE_NOT_ALLOWED,
  siteNotAllowedMessage,
  type TenantNamespace,
} from '../planner/tenancy.js';
import {
  buildPlan,
  buildPlanFromSpec,
  PlanError,
  selectSites,
  unitsToStart,
  type Plan,
  type RolloutLimits,
  type Unit,
  type UnitState,
} from '../planner/index.js';
import { LABEL_COMPONENT, LABEL_STEP } from '../render/labels.js';
import type { K8sObject } from '../render/types.js';
import { STATUS_MAX_UNITS } from '../api/schema/distributedcloud.js';
import { getCondition } from '../runtime/conditions.js';
import { runSync } from '../runtime/slicer.js';
import {
  distributedCloudStatusSteps,
  failedStatus,
  isoMillis,
  PHASE_OF,
  STATE_OF,
  unitStatusEntry,
  type SiteObserved,
  type UnitObserved,
} from './status.js';

type Dc = Pick<DistributedCloud, 'metadata' | 'status'>;

// ---- planning ----------------------------------------------------------------------------------------------------

export type Planned =
  | {
      ok: true;
      spec: DistributedCloudSpec;
      plan: Plan;
      /** Selected sites left out because they do not admit the DC's namespace. */
      notAllowed?: { sites: string[]; message: string };
    }
  /** reason/message for the Degraded condition; `permanent`: the work-queue error (not retried until an edit). */
  | { ok: false; reason: string; message: string; permanent: string };

/**
 * Validates (with defaults) and plans a DistributedCloud: the plan, or the reason it has none. With `tenant` (the
 * operator always passes the DC's namespace), the tenancy model applies first: selected EdgeSites that do not admit
 * that namespace are left out of the plan and listed in `notAllowed`; when that leaves nothing to plan — every
 * selected site, or the named coreSite, is not allowed — there is no plan (reason SiteNotAllowed).
 */
export function planDistributedCloud(
  dc: DistributedCloud,
  edgeSites: readonly EdgeSite[],
  tenant?: TenantNamespace,
): Planned {
  const validation = validateDistributedCloud(JSON.parse(JSON.stringify(dc)) as unknown);
  if (!validation.ok) {
    const message = validation.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    return { ok: false, reason: 'InvalidSpec', message, permanent: `invalid spec: ${message}` };
  }
  const spec = validation.value.spec;
  try {
    let planSpec = spec;
    let planSites = edgeSites;
    let notAllowed: { sites: string[]; message: string } | undefined;
    if (tenant) {
      const selection = selectSites(spec, edgeSites);
      const denied = selection.sites.filter((s) => !admits(selection.byName.get(s)!, tenant));
      if (denied.length > 0) {
        if (denied.length === selection.sites.length || (spec.coreSite && denied.includes(spec.coreSite))) {
          const message = siteNotAllowedMessage(denied, tenant, false);
          return { ok: false, reason: SITE_NOT_ALLOWED, message, permanent: message };
        }
        const out = new Set(denied);
        planSites = edgeSites.filter((s) => !out.has(s.metadata.name ?? ''));
        const sites = spec.sites?.filter((s) => !out.has(s));
        planSpec = { ...spec, sites: sites?.length ? sites : undefined };
        notAllowed = { sites: denied, message: siteNotAllowedMessage(denied, tenant, true) };
      }
    }
    return { ok: true, spec, plan: buildPlan({ ...dc, spec: planSpec }, planSites), notAllowed };
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    return { ok: false, reason: `Plan${error.code}`, message: error.message, permanent: error.message };
  }
}

/**
 * Units the tenancy model refuses on the plan's sites: those whose module declares them privileged (nova-compute's
 * hypervisor pods) on an EdgeSite without spec.tenancy.allowPrivileged. What they have live there is removed.
 */
export function privilegedRefusals(
  plan: Plan,
  sites: ReadonlyMap<string, EdgeSite>,
  privileged: (unit: Unit) => boolean,
): Map<string, Refusal> {
  const out = new Map<string, Refusal>();
  for (const unit of plan.units)
    if (privileged(unit) && !allowsPrivileged(sites.get(unit.targetSite)))
      out.set(unit.id, { message: privilegedNotAllowedMessage(unit.id, unit.targetSite), prune: true });
  return out;
}

/**
 * Dependencies between the units previously planned, from a plan over the sites they were on (`sites`: the unit
 * ledger's and the previous status'; best effort: empty when that plan cannot be built, e.g. a site was deleted;
 * teardown then goes without ordering).
 */
export function previousDependencies(
  dc: Dc & Pick<DistributedCloud, 'spec'>,
  edgeSites: readonly EdgeSite[],
  knownSites: Iterable<string> = [],
): Map<string, string[]> {
  const sites = [...new Set([...(dc.status?.sites ?? []).map((s) => s.name), ...knownSites])].filter(
    (s) => s !== 'global',
  );
  const deps = new Map<string, string[]>();
  if (sites.length === 0) return deps;
  try {
    const validation = validateDistributedCloud(JSON.parse(JSON.stringify(dc)) as unknown);
    if (!validation.ok) return deps;
    const old = buildPlanFromSpec({ ...validation.value.spec, sites, siteSelector: undefined }, edgeSites);
    for (const u of old.units) deps.set(u.id, u.dependsOn);
  } catch {
    // no plan for the old selection: no ordering
  }
  return deps;
}

// ---- what the controller sees ------------------------------------------------------------------------------------

/** One member cluster as observed by one reconcile (from the informer caches). */
export interface SiteState {
  name: string;
  /** Credentials usable, EdgeSite not Reachable=False, member caches synced. */
  reachable: boolean;
  message?: string;
  /** Live objects of this DistributedCloud, by objectId. */
  live: ReadonlyMap<string, LiveObject>;
  /** Live objects of this DistributedCloud grouped by exact unit id (annotation). */
  byUnit: ReadonlyMap<string, readonly LiveObject[]>;
  /**
   * DaemonSets with host network or host PID in the site's cluster, whoever owns them (any DistributedCloud, any
   * site sharing the cluster): two of them on the same nodes would share host ports and paths.
   */
  hostClaims?: readonly HostClaim[];
}

/** A host-level DaemonSet (host network / PID) found in a member cluster. */
export interface HostClaim {
  namespace: string;
  name: string;
  /** Who owns it, for messages (ownership.ts describeOwner). */
  owner: string;
  nodeSelector: Readonly<Record<string, string>>;
  creationTimestamp?: string;
}

/** Reason (and unit message prefix) of a unit refused because another host-level DaemonSet holds its nodes. */
export const HOST_CONFLICT = 'HostConflict';

/** A unit refused before anything is applied (tenancy), and whether what it has live goes. */
export interface Refusal {
  message: string;
  /** Remove the unit's live objects (privileged units on a site that no longer allows them). */
  prune: boolean;
}

/**
 * What each planned unit renders to, or why it cannot be rendered: an error (the unit fails), or what it waits for
 * (a cross-site address not read back yet: the unit is not started, and a started one is left as it is).
 */
export type DesiredObjects = ReadonlyMap<
  string,
  { objects: K8sObject[]; inputHash?: string } | { error: string } | { waiting: string }
>;

export interface ReconcileInput {
  dc: Dc;
  /** Every unit's entry of the previous pass (the unit ledger, unit-ledger.ts), by unit id. */
  previous: ReadonlyMap<string, UnitStatus>;
  plan: Plan;
  desired: DesiredObjects;
  /** Every site we may hold objects on (the plan's and those of the previous status), by name. */
  sites: ReadonlyMap<string, SiteState>;
  paused: boolean;
  limits: RolloutLimits;
  unitTimeoutSeconds: number;
  /** Dependencies between previously planned units: orders the pruning of units no longer planned (on demand). */
  previousDependencies: () => ReadonlyMap<string, readonly string[]>;
  now: Date;
  /** Units refused by the tenancy model (privileged pods where the EdgeSite does not allow them): never applied. */
  refused?: ReadonlyMap<string, Refusal>;
  /** Selected sites that do not admit the DC's namespace (left out of the plan), and the message saying so. */
  notAllowed?: { sites: readonly string[]; message: string };
}

// ---- decide ------------------------------------------------------------------------------------------------------

/** A unit's phase as observed before acting (UnitObserved without the unit). */
export type Verdict = Omit<UnitObserved, 'unit'>;

export interface RepairObject {
  object: K8sObject;
  /** A live config object with keys we do not render: delete it first (server-side apply would keep the keys). */
  deleteFirst?: LiveObject;
  /** Not among our live objects: checked for a foreign object of the same name before it is re-created. */
  missing?: boolean;
}

export interface Repair {
  unit: Unit;
  site: string;
  objects: RepairObject[];
}

export interface Start {
  unit: Unit;
  site: string;
  objects: K8sObject[];
  /** Live objects of the unit no longer rendered (e.g. the Job of a previous inputHash): deleted after applying. */
  stale: LiveObject[];
  /** objectIds of the rendered objects already live and ours; the others are checked for foreign ones first. */
  known: ReadonlySet<string>;
}

export interface Prune {
  unit: string;
  site: string;
  objects: readonly LiveObject[];
}

/** A unit no longer planned whose objects are still in a member cluster. */
export interface Leftover {
  unit: string;
  site: string;
  objects: readonly LiveObject[];
}

export interface Decision {
  /** Every planned unit's phase before acting. */
  verdicts: ReadonlyMap<string, Verdict>;
  /** Drifted objects of started units (no scheduler gate: they were started once their dependencies were Ready). */
  repairs: Repair[];
  /** Units the scheduler starts now. */
  starts: Start[];
  /** stopOnFailure: a repair the API server refuses (a unit fails in this pass) holds the starts back. */
  holdStartsOnFailure: boolean;
  /** Units no longer planned that may go now (dependents first). */
  prunes: Prune[];
  /** Dropped sites left empty whose owned namespace goes. */
  namespaceDeletes: string[];
  leftovers: Leftover[];
}

const CONFIG_KINDS = new Set(['Secret', 'ConfigMap']);

function hasExtraKeys(desired: K8sObject, live: LiveObject | undefined): live is LiveObject {
  if (!live || !CONFIG_KINDS.has(desired.kind)) return false;
  const wanted = (desired.data ?? {}) as object;
  return Object.keys((live.data ?? {}) as object).some((k) => !(k in wanted));
}

/** decideSteps run to its end. */
export function decide(input: ReconcileInput): Decision {
  return runSync(decideSteps(input));
}

/** What to repair, start and prune; a generator yielding between units (runtime/slicer.ts). */
export function* decideSteps(input: ReconcileInput): Generator<void, Decision, undefined> {
  const { plan, sites, paused } = input;
  const previousUnits = input.previous;
  const states = new Map<string, UnitState>();
  const verdicts = new Map<string, Verdict>();
  const repairs: Repair[] = [];

  const refusedPrunes: Prune[] = [];
  for (const unit of plan.units) {
    yield;
    const previous = previousUnits.get(unit.id);
    const refusal = input.refused?.get(unit.id);
    if (refusal) {
      states.set(unit.id, 'failed');
      verdicts.set(unit.id, { phase: 'Failed', message: refusal.message, started: false });
      const site = sites.get(unit.targetSite);
      const live = site?.reachable ? (site.byUnit.get(unit.id) ?? []) : [];
      if (refusal.prune && live.length > 0) refusedPrunes.push({ unit: unit.id, site: unit.targetSite, objects: live });
      continue;
    }
    const rendered = input.desired.get(unit.id);
    if (rendered && 'waiting' in rendered) {
      // not renderable yet: a started unit keeps its objects and phase, another one waits
      const site = sites.get(unit.targetSite);
      const live = site?.reachable ? (site.byUnit.get(unit.id) ?? []) : [];
      const kept = previous?.startedAt !== undefined && live.length > 0;
      const phase = kept ? previous.phase : 'Pending';
      states.set(unit.id, STATE_OF[phase]);
      verdicts.set(unit.id, {
        phase,
        message: rendered.waiting,
        started: kept,
        ...(kept && previous.inputHash !== undefined ? { inputHash: previous.inputHash } : {}),
      });
      continue;
    }
    if (!rendered || 'error' in rendered) {
      states.set(unit.id, 'failed');
      verdicts.set(unit.id, { phase: 'Failed', message: rendered?.error ?? 'not rendered', started: false });
      continue;
    }
    const hash = rendered.inputHash ?? unitInputHash(rendered.objects);
    const site = sites.get(unit.targetSite);
    if (!site?.reachable) {
      // unreachable: the unit stays as it was
      const phase = previous?.phase ?? 'Pending';
      states.set(unit.id, STATE_OF[phase]);
      verdicts.set(unit.id, {
        phase,
        message: `site ${unit.targetSite} unreachable`,
        started: previous?.inputHash === hash && previous.startedAt !== undefined,
        inputHash: hash,
      });
      continue;
    }
    const conflict = hostConflict(rendered.objects, site);
    if (conflict) {
      states.set(unit.id, 'failed');
      verdicts.set(unit.id, { phase: 'Failed', message: conflict, started: false, inputHash: hash });
      continue;
    }
    const a = assessUnit({
      desired: rendered.objects,
      live: (id) => site.live.get(id),
      inputHash: hash,
      previous,
      timeoutSeconds: input.unitTimeoutSeconds,
      now: input.now,
    });
    states.set(unit.id, a.state);
    verdicts.set(unit.id, { phase: PHASE_OF[a.state], message: a.message, started: a.started, inputHash: hash });
    if (a.drifted.length > 0 && a.state !== 'failed' && !paused) {
      const objects = a.drifted.map(({ object }) => {
        const live = site.live.get(objectId(object));
        if (!live) return { object, missing: true };
        return hasExtraKeys(object, live) ? { object, deleteFirst: live } : { object };
      });
      repairs.push({ unit, site: site.name, objects });
    }
  }

  const leftovers = unplannedUnits(plan, sites);
  const decision: Decision = {
    verdicts,
    repairs,
    starts: [],
    holdStartsOnFailure: input.limits.stopOnFailure !== false,
    prunes: [],
    namespaceDeletes: [],
    leftovers,
  };
  if (paused) return decision;
  decision.prunes.push(...refusedPrunes);

  // start what the scheduler allows on reachable, synced sites
  const ids = unitsToStart(plan, states, input.limits, {
    eligible: (u) => sites.get(u.targetSite)?.reachable === true && 'objects' in (input.desired.get(u.id) ?? {}),
  });
  for (const id of ids) {
    const unit = plan.byId.get(id)!;
    const objects = (input.desired.get(id) as { objects: K8sObject[] }).objects;
    const wanted = new Set(objects.map(objectId));
    const site = sites.get(unit.targetSite)!;
    const stale = (site.byUnit.get(id) ?? []).filter((o) => !wanted.has(objectId(o)));
    const known = new Set([...wanted].filter((oid) => site.live.has(oid)));
    decision.starts.push({ unit, site: unit.targetSite, objects, stale, known });
  }

  // tear down what is no longer planned (dropped sites, disabled components), dependents first
  if (leftovers.length > 0) {
    const byId = new Map(leftovers.map((l) => [l.unit, l]));
    for (const id of unitsToTearDown(new Set(byId.keys()), input.previousDependencies())) {
      const l = byId.get(id)!;
      if (sites.get(l.site)?.reachable) decision.prunes.push({ unit: id, site: l.site, objects: l.objects });
    }
  }
  // dropped sites with nothing of ours left: their owned namespace goes (unless the namespace must stay)
  const planned = new Set(plan.sites);
  for (const site of sites.values())
    if (!planned.has(site.name) && site.reachable && site.byUnit.size === 0) decision.namespaceDeletes.push(site.name);
  return decision;
}

/** Pod spec of a workload object, if it has one. */
function podSpecOf(obj: K8sObject): Record<string, unknown> | undefined {
  const spec = obj.spec as { template?: { spec?: Record<string, unknown> } } | undefined;
  return spec?.template?.spec;
}

/** Two node selectors may pick the same node unless some label key is required with different values. */
function mayOverlap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return !Object.keys(a).some((k) => k in b && a[k] !== b[k]);
}

/**
 * The HostConflict message when one of a unit's DaemonSets uses host network or PID on nodes another host-level
 * DaemonSet of the cluster (another DistributedCloud, or another site sharing the cluster) may run on; the older one
 * keeps them (a claim created after our own live DaemonSet does not count), so the outcome does not depend on who
 * reconciles first.
 */
export function hostConflict(objects: readonly K8sObject[], site: SiteState): string | undefined {
  for (const obj of objects) {
    if (obj.kind !== 'DaemonSet') continue;
    const pod = podSpecOf(obj);
    if (!pod || (pod.hostNetwork !== true && pod.hostPID !== true)) continue;
    const selector = (pod.nodeSelector ?? {}) as Record<string, string>;
    const created = site.live.get(objectId(obj))?.metadata?.creationTimestamp;
    const ours = created == null ? undefined : String(created);
    const other = (site.hostClaims ?? []).find(
      (c) =>
        c.namespace !== obj.metadata.namespace &&
        mayOverlap(c.nodeSelector, selector) &&
        (ours === undefined ||
          (c.creationTimestamp !== undefined &&
            (c.creationTimestamp < ours || (c.creationTimestamp === ours && c.namespace < obj.metadata.namespace!)))),
    );
    if (other)
      return (
        `${HOST_CONFLICT}: DaemonSet ${obj.metadata.name} uses the host network and PID of the nodes it runs on, and ` +
        `DaemonSet ${other.namespace}/${other.name} (${other.owner}) already does on nodes its node selector may ` +
        `share on site ${site.name}'s cluster: give one of them other nodes (spec.siteOverrides[].nodeSelector)`
      );
  }
  return undefined;
}

/** Units of this DC with objects in a member cluster that the plan does not have. */
function unplannedUnits(plan: Plan, sites: ReadonlyMap<string, SiteState>): Leftover[] {
  const out = new Map<string, Leftover>();
  for (const site of sites.values())
    for (const [id, objects] of site.byUnit)
      if (!plan.byId.has(id) && objects.length > 0) out.set(id, { unit: id, site: site.name, objects });
  return [...out.values()];
}

// ---- conclude ----------------------------------------------------------------------------------------------------

/** What applying one unit (a repair or a start) gave. */
export type UnitOutcome =
  | { unit: string; result: 'applied' }
  /** The API server refused an object: the unit is Failed with the message. */
  | { unit: string; result: 'refused'; message: string }
  /** Anything else (site unreachable, conflict...): the unit keeps its phase, the message says what happened. */
  | { unit: string; result: 'error'; message: string };

export interface ActResults {
  repairs: UnitOutcome[];
  starts: UnitOutcome[];
  /** Sites that turned out unreachable while acting, with the error. */
  unreachable: ReadonlyMap<string, string>;
  /** Removal failures (pruning, namespaces): they degrade the DistributedCloud. */
  problems: string[];
}

export interface RequeuePolicy {
  /** While a rollout progresses. */
  progressRequeueMs: number;
  /** Settled (Ready, or blocked by a failure). */
  resyncPeriodMs: number;
}

export interface Conclusion {
  status: DistributedCloudStatus;
  /** Every unit's entry (planned units, then those being deleted): the unit ledger's new content. */
  units: UnitStatus[];
  requeueAfterMs: number;
  /** Units by phase (metrics). */
  phases: Record<string, number>;
}

/** concludeSteps run to its end. */
export function conclude(
  input: ReconcileInput,
  decision: Decision,
  results: ActResults,
  policy: RequeuePolicy,
): Conclusion {
  return runSync(concludeSteps(input, decision, results, policy));
}

/** The status to write, every unit's entry and the requeue delay; a generator yielding between units. */
export function* concludeSteps(
  input: ReconcileInput,
  decision: Decision,
  results: ActResults,
  policy: RequeuePolicy,
): Generator<void, Conclusion, undefined> {
  const verdicts = new Map(decision.verdicts);
  for (const o of results.repairs) verdicts.set(o.unit, afterApply(verdicts.get(o.unit)!, o, false));
  for (const o of results.starts) verdicts.set(o.unit, afterApply(verdicts.get(o.unit)!, o, true));

  const previousUnits = input.previous;
  const units: UnitStatus[] = [];
  const targetSite = new Map<string, string>();
  for (const unit of input.plan.units) {
    units.push(unitStatusEntry({ unit, ...verdicts.get(unit.id)! }, previousUnits.get(unit.id), input.now));
    targetSite.set(unit.id, unit.targetSite);
    yield;
  }
  for (const l of decision.leftovers) {
    units.push(deletingEntry(l, previousUnits.get(l.unit), input.now));
    targetSite.set(l.unit, l.site);
  }
  const planned = new Set(input.plan.sites);
  const sites: SiteObserved[] = [...input.sites.values()]
    .filter((s) => planned.has(s.name) || s.byUnit.size > 0)
    .map((s) => {
      const lost = results.unreachable.get(s.name);
      return lost !== undefined
        ? { name: s.name, reachable: false, message: lost }
        : { name: s.name, reachable: s.reachable, message: s.message };
    });
  const status = yield* distributedCloudStatusSteps({
    dc: input.dc,
    plan: input.plan,
    units,
    targetSite,
    sites,
    paused: input.paused,
    problems: results.problems,
    notAllowed: input.notAllowed?.message,
    now: input.now,
  });
  return { status, units, requeueAfterMs: requeueAfter(status, sites, policy), phases: countPhases(units) };
}

function afterApply(v: Verdict, o: UnitOutcome, start: boolean): Verdict {
  if (o.result === 'applied')
    return start ? { ...v, phase: 'Applying', message: 'applied; waiting for readiness', started: true } : v;
  if (o.result === 'refused') return { ...v, phase: 'Failed', message: o.message, started: true };
  return { ...v, message: o.message };
}

function deletingEntry(l: Leftover, prev: UnitStatus | undefined, now: Date): UnitStatus {
  const labels = l.objects[0]!.metadata?.labels ?? {};
  return {
    name: l.unit,
    site: prev?.site ?? l.unit.slice(l.unit.lastIndexOf('@') + 1),
    component: prev?.component ?? labels[LABEL_COMPONENT] ?? '',
    step: prev?.step ?? labels[LABEL_STEP] ?? '',
    phase: 'Deleting',
    message: `${l.objects.length} objects left`,
    lastTransitionTime: prev?.phase === 'Deleting' ? (prev.lastTransitionTime ?? isoMillis(now)) : isoMillis(now),
  };
}

/** Requeue: the resync period once Ready or blocked by a failure; 5 s while a site is unreachable; else progress. */
export function requeueAfter(
  status: DistributedCloudStatus,
  sites: readonly SiteObserved[],
  policy: RequeuePolicy,
): number {
  if (getCondition(status.conditions, 'Ready')?.status === 'True') return policy.resyncPeriodMs;
  if (sites.some((s) => !s.reachable)) return Math.max(policy.progressRequeueMs, 5000);
  const counts = status.unitCounts;
  const failedBlocked = (counts?.failed ?? 0) > 0 && (counts?.applying ?? 0) === 0;
  return failedBlocked ? policy.resyncPeriodMs : policy.progressRequeueMs;
}

export function countPhases(units: readonly UnitStatus[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const u of units) counts[u.phase] = (counts[u.phase] ?? 0) + 1;
  return counts;
}

// ---- teardown ----------------------------------------------------------------------------------------------------

export interface TeardownInput {
  dc: Dc & { metadata: { deletionTimestamp?: string } };
  /** Every unit's last entry (the unit ledger), by unit id. */
  previous: ReadonlyMap<string, UnitStatus>;
  /** Unit dependencies: of the current plan when it can be built, else of a plan over the sites in status. */
  dependsOn: ReadonlyMap<string, readonly string[]>;
  /** Unit → the site whose cluster holds it (current plan; empty when it cannot be built). */
  targetOf: ReadonlyMap<string, string>;
  /** Every known site that may hold our objects. */
  sites: ReadonlyMap<string, SiteState>;
  siteDeleteTimeoutMs: number;
  now: Date;
}

export interface TeardownDecision {
  /** Units whose objects go now: no unit depending on them still has objects. */
  deletes: Prune[];
  /** Units with objects left (or unknown, on a site we wait for). */
  present: number;
  /** Unreachable sites listed in status, past the site delete timeout: their objects are left behind. */
  abandoned: string[];
  /** Of those, the ones not yet reported (a SiteAbandoned Event each). */
  newlyAbandoned: string[];
  /** Unreachable sites listed in status we still wait for. */
  waitingFor: string[];
  /** Nothing left in any unit: the owned namespaces of these (reachable) sites go. */
  namespaceDeletes: string[];
}

export function decideTeardown(input: TeardownInput): TeardownDecision {
  const { dc, now } = input;
  const listed = new Set((dc.status?.sites ?? []).map((s) => s.name));
  for (const u of input.previous.values()) if (u.site !== 'global') listed.add(u.site);
  const elapsedMs = now.getTime() - Date.parse(dc.metadata.deletionTimestamp ?? now.toISOString());
  const abandon = elapsedMs > input.siteDeleteTimeoutMs;
  const present = new Set<string>();
  const abandoned: string[] = [];
  const waitingFor: string[] = [];
  for (const site of input.sites.values()) {
    if (site.reachable) {
      for (const [id, objs] of site.byUnit) if (objs.length > 0) present.add(id);
    } else if (listed.has(site.name)) {
      if (abandon) abandoned.push(site.name);
      else {
        waitingFor.push(site.name);
        // its units count as present: their dependencies elsewhere wait for them
        for (const [id, t] of input.targetOf) if (t === site.name) present.add(id);
        for (const u of input.previous.values())
          if (!input.targetOf.has(u.name) && u.site === site.name) present.add(u.name);
      }
    }
  }
  const deletes: Prune[] = [];
  for (const id of unitsToTearDown(present, input.dependsOn))
    for (const site of input.sites.values()) {
      const objects = site.byUnit.get(id);
      if (site.reachable && objects?.length) deletes.push({ unit: id, site: site.name, objects });
    }
  const reported = getCondition(dc.status?.conditions, 'Degraded')?.message ?? '';
  return {
    deletes,
    present: present.size,
    abandoned,
    newlyAbandoned: abandoned.filter((s) => !reported.includes(`site ${s} unreachable for longer`)),
    waitingFor,
    namespaceDeletes: present.size > 0 ? [] : [...input.sites.values()].filter((s) => s.reachable).map((s) => s.name),
  };
}

export interface TeardownResults {
  /** Every namespace in namespaceDeletes is gone. */
  namespacesGone: boolean;
  /** Namespace deletions that failed. */
  problems: string[];
}

/** Finished (remove the generated secrets, then the finalizer), or the Deleting status to write and a requeue. */
export type TeardownConclusion =
  { done: true } | { done: false; status: NonNullable<DistributedCloud['status']>; requeueAfterMs: number };

export function concludeTeardown(
  input: TeardownInput,
  decision: TeardownDecision,
  results: TeardownResults,
  policy: RequeuePolicy,
): TeardownConclusion {
  if (decision.present === 0 && results.namespacesGone) return { done: true };
  const { dc, now } = input;
  const problems = [
    ...decision.abandoned.map((s) => `site ${s} unreachable for longer than the site delete timeout: abandoned`),
    ...decision.waitingFor.map((s) => `site ${s} unreachable: waiting to delete its objects`),
    ...results.problems,
  ];
  const message = decision.present
    ? `tearing down ${decision.present} units` +
      (decision.waitingFor.length ? `; waiting for sites ${decision.waitingFor.join(', ')}` : '')
    : 'removing member-cluster namespaces';
  const known = [...input.previous.values()];
  const units: UnitStatus[] = known.slice(0, STATUS_MAX_UNITS).map((u) => ({
    ...u,
    phase: 'Deleting',
    lastTransitionTime: u.phase === 'Deleting' ? u.lastTransitionTime : isoMillis(now),
  }));
  const { unitsOmitted: _omitted, ...rest } = dc.status ?? {};
  return {
    done: false,
    status: {
      ...rest,
      units,
      ...(known.length > units.length ? { unitsOmitted: known.length - units.length } : {}),
      conditions: failedStatus(dc, 'Deleting', [message, ...problems].join('; '), now).conditions,
    },
    requeueAfterMs: policy.progressRequeueMs,
  };
}
