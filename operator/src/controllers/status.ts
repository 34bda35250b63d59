// Pure construction of a DistributedCloud's status from one reconcile's observations: unit entries (phase,
// startedAt/readyAt kept stable across reconciles), per-site summaries, plan summary, progress and the
// Ready/Progressing/Degraded conditions; plus the notable transitions worth an Event.
import type { DistributedCloud, DistributedCloudStatus, SiteSummary, UnitPhase, UnitStatus } from '../api/types.js';
import type { Plan, Unit, UnitState } from '../planner/types.js';
import { setHealthConditions, type ReasonMessage } from '../runtime/conditions.js';

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
  if (o.message) entry.message = o.message.slice(0, 500);
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

function listNames(names: string[], max = 3): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} (+${names.length - max} more)` : shown;
}

export interface StatusInput {
  dc: Pick<DistributedCloud, 'metadata' | 'status'>;
  plan: Plan;
  units: UnitStatus[];
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

/** The full status of a DistributedCloud whose plan was built. */
export function distributedCloudStatus(input: StatusInput): DistributedCloudStatus {
  const { dc, plan, units, sites, now } = input;
  const generation = dc.metadata.generation ?? 0;
  const ready = units.filter((u) => u.phase === 'Ready');
  const failed = units.filter((u) => u.phase === 'Failed');
  const applying = units.filter((u) => u.phase === 'Applying' || u.phase === 'Deleting');
  const pending = units.filter((u) => u.phase === 'Pending');
  const unreachable = sites.filter((s) => !s.reachable);

  const siteSummaries: SiteSummary[] = sites.map((s) => {
    const mine = units.filter((u) => input.targetSite.get(u.name) === s.name);
    const summary: SiteSummary = {
      name: s.name,
      reachable: s.reachable,
      unitsReady: mine.filter((u) => u.phase === 'Ready').length,
      unitsTotal: mine.length,
    };
    if (s.message) summary.message = s.message.slice(0, 500);
    return summary;
  });
  const readySites = siteSummaries.filter((s) => s.reachable && s.unitsReady === s.unitsTotal).length;

  const problems: string[] = [];
  for (const s of unreachable) problems.push(`site ${s.name} unreachable${s.message ? `: ${s.message}` : ''}`);
  for (const u of failed.slice(0, 3)) problems.push(`unit ${u.name} failed${u.message ? `: ${u.message}` : ''}`);
  if (failed.length > 3) problems.push(`${failed.length - 3} more units failed`);
  problems.push(...(input.problems ?? []));
  if (input.notAllowed) problems.unshift(input.notAllowed);
  const refused = failed.map((u) => refusalReason(u.message)).find((r) => r !== undefined);
  const degraded: ReasonMessage | undefined =
    problems.length > 0
      ? {
          reason: input.notAllowed
            ? 'SiteNotAllowed'
            : unreachable.length > 0
              ? 'SiteUnreachable'
              : (refused ?? (failed.length > 0 ? 'UnitFailed' : 'Degraded')),
          message: problems.join('; ').slice(0, 2000),
        }
      : undefined;
  const progress = `${ready.length}/${units.length}`;
  let progressing: ReasonMessage | undefined;
  if (ready.length < units.length) {
    const parts = [`${progress} units Ready`];
    if (applying.length) parts.push(`applying ${listNames(applying.map((u) => u.name))}`);
    if (pending.length) parts.push(`${pending.length} pending`);
    progressing = input.paused
      ? { reason: 'Paused', message: `spec.paused: no unit is started or repaired; ${parts.join('; ')}` }
      : { reason: failed.length > 0 ? 'RolloutBlocked' : 'RollingOut', message: parts.join('; ') };
  }
  const conditions = setHealthConditions(
    dc.status?.conditions,
    {
      generation,
      progressing,
      degraded,
      ready: { reason: 'Reconciled', message: `all ${units.length} units Ready on ${sites.length} sites` },
    },
    now,
  );
  return {
    conditions,
    observedGeneration: generation,
    sites: siteSummaries,
    units,
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

/** Notable transitions between two statuses: units newly Failed, sites lost or back, Ready reached. */
export function transitions(previous: DistributedCloudStatus | undefined, next: DistributedCloudStatus): Transition[] {
  const out: Transition[] = [];
  const before = new Map((previous?.units ?? []).map((u) => [u.name, u]));
  for (const u of next.units ?? []) {
    if (u.phase === 'Failed' && before.get(u.name)?.phase !== 'Failed')
      out.push({ type: 'Warning', reason: 'UnitFailed', message: `unit ${u.name} failed: ${u.message ?? ''}` });
  }
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
