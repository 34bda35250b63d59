// Pure construction of a DistributedCloud's status from one reconcile's observations: unit entries (phase,
// startedAt/readyAt kept stable across reconciles), per-site summaries, plan summary, progress and the
// Ready/Progressing/Degraded conditions; plus the notable transitions worth an Event.
import { STATUS_MAX_MESSAGE, STATUS_MAX_SITES, STATUS_MAX_UNITS } from '../api/schema/distributedcloud.js';
import type {
  DistributedCloud,
  DistributedCloudStatus,
  SiteSummary,
  UnitCounts,
  UnitPhase,
  UnitStatus,
} from '../api/types.js';
import type { Plan, Unit, UnitState } from '../planner/types.js';
import { setHealthConditions, type ReasonMessage } from '../runtime/conditions.js';
import { runSync } from '../runtime/slicer.js';

export const PHASE_OF: Record<UnitState, UnitPhase> = {
  pending: 'Pending',
  applying: 'Applying',
  ready: 'Ready',
  failed: 'Failed',
};

export const STATE_OF: Record<UnitPhase, UnitState> = {
  Pending: 'pending',
  Applying: 'applying',
  Ready: 'ready',
  Failed: 'failed',
  Deleting: 'applying',
};

/** ISO-8601 with milliseconds (startedAt/readyAt, unit lastTransitionTime). */
export function isoMillis(d: Date): string {
  return d.toISOString();
}

export interface UnitObserved {
  unit: Pick<Unit, 'id' | 'site' | 'component' | 'step'>;
  phase: UnitPhase;
  message: string;
  /** Current inputHash (recorded once the unit is started). */
  inputHash?: string;
  /** The unit's objects are applied for inputHash (now or earlier). */
  started: boolean;
}

/** A unit's status entry: lastTransitionTime moves on phase flips; startedAt/readyAt stay for one inputHash. */
export function unitStatusEntry(o: UnitObserved, previous: UnitStatus | undefined, now: Date): UnitStatus {
  const nowIso = isoMillis(now);
  const sameInputs = previous !== undefined && o.inputHash !== undefined && previous.inputHash === o.inputHash;
  const inputHash = o.started ? o.inputHash : previous?.inputHash;
  let startedAt = sameInputs ? previous.startedAt : undefined;
  if (o.started && startedAt === undefined) startedAt = nowIso;
  let readyAt = sameInputs ? previous.readyAt : undefined;
  if (o.phase === 'Ready' && readyAt === undefined) readyAt = nowIso;
  if (!o.started) {
    startedAt = undefined;
    readyAt = undefined;
  }
  const entry: UnitStatus = {
    name: o.unit.id,
    site: o.unit.site,
    component: o.unit.component,
    step: o.unit.step,
    phase: o.phase,
    lastTransitionTime:
      previous?.phase === o.phase && previous.lastTransitionTime ? previous.lastTransitionTime : nowIso,
  };
  if (o.message) entry.message = o.message.slice(0, STATUS_MAX_MESSAGE);
  if (inputHash !== undefined) entry.inputHash = inputHash;
  if (startedAt !== undefined) entry.startedAt = startedAt;
  if (readyAt !== undefined) entry.readyAt = readyAt;
  return entry;
}

export interface SiteObserved {
  name: string;
  reachable: boolean;
  message?: string;
}

export interface StatusInput {
  dc: Pick<DistributedCloud, 'metadata' | 'status'>;
  plan: Plan;
  /** Every unit's entry (planned units, then units of dropped sites being deleted). */
  units: readonly UnitStatus[];
  /** Unit id → the site whose cluster holds it (plan targetSite). */
  targetSite: ReadonlyMap<string, string>;
  sites: SiteObserved[];
  paused: boolean;
  /** Extra degradation (e.g. a site abandoned, objects of a dropped site that cannot be removed). */
  problems?: string[];
  /** Selected sites that do not admit the DC's namespace: Degraded with reason SiteNotAllowed and this message. */
  notAllowed?: string;
  now: Date;
}

/**
 * Reasons a unit can be refused with, before or while applying, written as the prefix of its message
 * ("OwnershipConflict: …"): the Degraded/Ready reason names the first of them rather than the generic UnitFailed.
 */
export const REFUSAL_REASONS: readonly string[] = ['OwnershipConflict', 'PrivilegedNotAllowed', 'HostConflict'];

/** The refusal reason of a failed unit's message, if it is one. */
export function refusalReason(message: string | undefined): string | undefined {
  const prefix = /^([A-Za-z]+): /.exec(message ?? '')?.[1];
  return prefix !== undefined && REFUSAL_REASONS.includes(prefix) ? prefix : undefined;
}

/** Order of the non-Ready units listed in status: what needs attention first. */
const LISTING_ORDER: Record<UnitPhase, number> = { Failed: 0, Applying: 1, Deleting: 2, Pending: 3, Ready: 4 };

function emptyCounts(): UnitCounts {
  return { total: 0, pending: 0, applying: 0, ready: 0, failed: 0, deleting: 0 };
}

const COUNT_OF: Record<UnitPhase, keyof UnitCounts> = {
  Pending: 'pending',
  Applying: 'applying',
  Ready: 'ready',
  Failed: 'failed',
  Deleting: 'deleting',
};

/** The units to list in status: the non-Ready ones, failures first (plan order within a phase), capped. */
export function listedUnits(units: readonly UnitStatus[], max = STATUS_MAX_UNITS): UnitStatus[] {
  const notReady = units.filter((u) => u.phase !== 'Ready');
  // stable sort: plan order kept within a phase
  notReady.sort((a, b) => LISTING_ORDER[a.phase] - LISTING_ORDER[b.phase]);
  return notReady.slice(0, max);
}

/**
 * The status of a DistributedCloud whose plan was built, bounded whatever its size: conditions naming what is wrong,
 * counts by phase, per-site summaries (all up to STATUS_MAX_SITES, then only the sites not Ready) and the units not
 * Ready (at most STATUS_MAX_UNITS, failures first). Every unit's full entry goes to the unit ledger instead
 * (unit-ledger.ts). A generator yielding between units: run it with runSync or runSliced (runtime/slicer.ts).
 */
export function* distributedCloudStatusSteps(input: StatusInput): Generator<void, DistributedCloudStatus, undefined> {
  const { dc, plan, units, sites, now } = input;
  const generation = dc.metadata.generation ?? 0;
  const counts = emptyCounts();
  const failed: UnitStatus[] = [];
  /** The refusal reason of the first failed unit refused (tenancy, ownership, host), if any. */
  let refused: string | undefined;
  const applying: string[] = [];
  const perSite = new Map<string, { ready: number; total: number }>();
  for (const u of units) {
    counts.total++;
    counts[COUNT_OF[u.phase]]++;
    if (u.phase === 'Failed') {
      if (failed.length < 3) failed.push(u);
      refused ??= refusalReason(u.message);
    }
    if ((u.phase === 'Applying' || u.phase === 'Deleting') && applying.length < 3) applying.push(u.name);
    const site = input.targetSite.get(u.name);
    if (site !== undefined) {
      let c = perSite.get(site);
      if (!c) perSite.set(site, (c = { ready: 0, total: 0 }));
      c.total++;
      if (u.phase === 'Ready') c.ready++;
    }
    yield;
  }
  const unreachable = sites.filter((s) => !s.reachable);

  const summaries: SiteSummary[] = sites.map((s) => {
    const c = perSite.get(s.name) ?? { ready: 0, total: 0 };
    const summary: SiteSummary = { name: s.name, reachable: s.reachable, unitsReady: c.ready, unitsTotal: c.total };
    if (s.message) summary.message = s.message.slice(0, STATUS_MAX_MESSAGE);
    return summary;
  });
  const planned = new Set(plan.sites);
  // a site dropped from the plan still holding units is listed too: it is being emptied
  const siteReady = (s: SiteSummary) => s.reachable && s.unitsReady === s.unitsTotal && planned.has(s.name);
  const readySites = summaries.filter((s) => s.reachable && s.unitsReady === s.unitsTotal).length;
  // beyond the cap: unreachable sites first, then dropped ones being emptied, then those with units not Ready
  const urgency = (s: SiteSummary) => (!s.reachable ? 0 : !planned.has(s.name) ? 1 : 2);
  const listedSites =
    summaries.length <= STATUS_MAX_SITES
      ? summaries
      : summaries
          .filter((s) => !siteReady(s))
          .sort((a, b) => urgency(a) - urgency(b))
          .slice(0, STATUS_MAX_SITES)
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  yield;

  const problems: string[] = [];
  for (const s of unreachable.slice(0, 3))
    problems.push(`site ${s.name} unreachable${s.message ? `: ${s.message}` : ''}`);
  if (unreachable.length > 3) problems.push(`${unreachable.length - 3} more sites unreachable`);
  for (const u of failed) problems.push(`unit ${u.name} failed${u.message ? `: ${u.message}` : ''}`);
  if (counts.failed > 3) problems.push(`${counts.failed - 3} more units failed`);
  problems.push(...(input.problems ?? []));
  if (input.notAllowed) problems.unshift(input.notAllowed);
  const degraded: ReasonMessage | undefined =
    problems.length > 0
      ? {
          reason: input.notAllowed
            ? 'SiteNotAllowed'
            : unreachable.length > 0
              ? 'SiteUnreachable'
              : (refused ?? (counts.failed > 0 ? 'UnitFailed' : 'Degraded')),
          message: problems.join('; ').slice(0, 2000),
        }
      : undefined;
  const progress = `${counts.ready}/${counts.total}`;
  let progressing: ReasonMessage | undefined;
  if (counts.ready < counts.total) {
    const parts = [`${progress} units Ready`];
    const inFlight = counts.applying + counts.deleting;
    if (inFlight) parts.push(`applying ${applying.join(', ')}${inFlight > 3 ? ` (+${inFlight - 3} more)` : ''}`);
    if (counts.pending) parts.push(`${counts.pending} pending`);
    progressing = input.paused
      ? { reason: 'Paused', message: `spec.paused: no unit is started or repaired; ${parts.join('; ')}` }
      : { reason: counts.failed > 0 ? 'RolloutBlocked' : 'RollingOut', message: parts.join('; ') };
  }
  const conditions = setHealthConditions(
    dc.status?.conditions,
    {
      generation,
      progressing,
      degraded,
      ready: { reason: 'Reconciled', message: `all ${counts.total} units Ready on ${sites.length} sites` },
    },
    now,
  );
  const listed = listedUnits(units);
  yield;
  const notReady = counts.total - counts.ready;
  return {
    conditions,
    observedGeneration: generation,
    sites: listedSites,
    ...(listedSites.length < summaries.length ? { sitesOmitted: summaries.length - listedSites.length } : {}),
    units: listed,
    ...(listed.length < notReady ? { unitsOmitted: notReady - listed.length } : {}),
    unitCounts: counts,
    plan: {
      units: plan.units.length,
      depth: plan.levels.length,
      criticalPathSeconds: plan.criticalPathSeconds,
      sites: plan.sites.length,
    },
    readySites: `${readySites}/${sites.length}`,
    progress,
  };
}

/** distributedCloudStatusSteps run to its end. */
export function distributedCloudStatus(input: StatusInput): DistributedCloudStatus {
  return runSync(distributedCloudStatusSteps(input));
}

/** Status of a DistributedCloud that cannot be planned (invalid spec, plan error): Degraded with the message. */
export function failedStatus(
  dc: Pick<DistributedCloud, 'metadata' | 'status'>,
  reason: string,
  message: string,
  now: Date,
): DistributedCloudStatus {
  const generation = dc.metadata.generation ?? 0;
  return {
    ...(dc.status ?? {}),
    conditions: setHealthConditions(dc.status?.conditions, { generation, degraded: { reason, message } }, now),
    observedGeneration: generation,
  };
}

export interface Transition {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** At most this many UnitFailed Events per reconcile; the rest are summed up in one more. */
export const MAX_UNIT_FAILED_EVENTS = 20;

/**
 * Notable transitions between two statuses: units newly Failed, sites lost or back, Ready reached. Units are read
 * from `units` when given (every unit's entry before and after: status lists only some), else from the statuses.
 */
export function transitions(
  previous: DistributedCloudStatus | undefined,
  next: DistributedCloudStatus,
  units?: { before: ReadonlyMap<string, Pick<UnitStatus, 'phase'>>; after: readonly UnitStatus[] },
): Transition[] {
  const out: Transition[] = [];
  const before = units?.before ?? new Map((previous?.units ?? []).map((u) => [u.name, u]));
  const newlyFailed = (units?.after ?? next.units ?? []).filter(
    (u) => u.phase === 'Failed' && before.get(u.name)?.phase !== 'Failed',
  );
  for (const u of newlyFailed.slice(0, MAX_UNIT_FAILED_EVENTS))
    out.push({ type: 'Warning', reason: 'UnitFailed', message: `unit ${u.name} failed: ${u.message ?? ''}` });
  if (newlyFailed.length > MAX_UNIT_FAILED_EVENTS)
    out.push({
      type: 'Warning',
      reason: 'UnitFailed',
      message: `${newlyFailed.length - MAX_UNIT_FAILED_EVENTS} more units failed`,
    });
  const sitesBefore = new Map((previous?.sites ?? []).map((s) => [s.name, s]));
  for (const s of next.sites ?? []) {
    const was = sitesBefore.get(s.name);
    if (!s.reachable && was?.reachable !== false)
      out.push({
        type: 'Warning',
        reason: 'SiteUnreachable',
        message: `site ${s.name} unreachable: ${s.message ?? ''}`,
      });
    if (s.reachable && was?.reachable === false)
      out.push({ type: 'Normal', reason: 'SiteReachable', message: `site ${s.name} is reachable again` });
  }
  const degradedBefore = previous?.conditions?.find((c) => c.type === 'Degraded');
  const degradedNow = next.conditions?.find((c) => c.type === 'Degraded');
  if (
    degradedNow?.status === 'True' &&
    degradedNow.reason === 'SiteNotAllowed' &&
    (degradedBefore?.status !== 'True' || degradedBefore.reason !== 'SiteNotAllowed')
  )
    out.push({ type: 'Warning', reason: 'SiteNotAllowed', message: degradedNow.message ?? '' });
  const readyBefore = previous?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const readyNow = next.conditions?.find((c) => c.type === 'Ready');
  if (readyNow?.status === 'True' && !readyBefore)
    out.push({ type: 'Normal', reason: 'Ready', message: readyNow.message ?? 'all units are Ready' });
  return out;
}
