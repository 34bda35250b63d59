// DistributedCloud controller: reconcile(namespace/name), level-triggered from informer caches. validate → select
// sites → plan → finalizer → generated secrets (created once, read back) → render → unit states from the live objects
// in member-cluster caches → repair drift → start the units the scheduler allows → tear down units no longer planned →
// one status patch → Events. Deletion tears everything down in reverse dependency order (docs/operator.md).
import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { DistributedCloud, DistributedCloudStatus, EdgeSite, UnitStatus } from '../api/types.js';
import { GROUP, VERSION } from '../api/types.js';
import { validateDistributedCloud } from '../api/validate.js';
import {
  applyObject,
  applyUnitObjects,
  InvalidObjectError,
  isNotFound,
  NamespaceEnsurer,
  SiteUnreachableError,
} from '../engine/apply.js';
import type { LiveObject } from '../engine/readiness.js';
import { isOwnedBy } from '../engine/ownership.js';
import { OWNED_RESOURCES } from '../engine/resources.js';
import { assessUnit, objectId, unitInputHash } from '../engine/state.js';
import { deleteOwnedNamespace, deleteUnitObjects, unitsToTearDown } from '../engine/teardown.js';
import {
  buildPlan,
  buildPlanFromSpec,
  PlanError,
  rolloutLimits,
  unitsToStart,
  type Plan,
  type Unit,
  type UnitState,
} from '../planner/index.js';
import {
  createRenderContext,
  generatedSecretsFromData,
  generatedSecretsName,
  generateMissingSecrets,
  RenderError,
  renderNamespace,
  renderUnit,
  requiredSecrets,
  type GeneratedSecrets,
  type K8sObject,
  type RenderContext,
} from '../render/index.js';
import { ANNOTATION_UNIT, LABEL_DC, LABEL_DC_NAMESPACE, labelValue } from '../render/labels.js';
import type { MemberClients } from '../runtime/clusters.js';
import { ClusterCredentialsError } from '../runtime/clusters.js';
import { getCondition } from '../runtime/conditions.js';
import { splitKey } from '../runtime/informer.js';
import { withContext, type Logger } from '../runtime/logger.js';
import { describeError } from '../runtime/redact.js';
import { PermanentError, type ReconcileResult } from '../runtime/workqueue.js';
import {
  clientsOfSite,
  FINALIZER,
  mergePatch,
  nowOf,
  patchStatus,
  recordEvent,
  type ControllerContext,
} from './context.js';
import {
  distributedCloudStatus,
  failedStatus,
  isoMillis,
  PHASE_OF,
  STATE_OF,
  transitions,
  unitStatusEntry,
  type SiteObserved,
} from './status.js';

/** Most units applied concurrently within one reconcile. */
const APPLY_CONCURRENCY = 8;

/** One member cluster as seen by one reconcile. */
interface SiteView {
  name: string;
  reachable: boolean;
  message?: string;
  clients?: MemberClients;
  /** Live objects of this DistributedCloud, by objectId. */
  live: Map<string, LiveObject>;
  /** Live objects of this DistributedCloud grouped by exact unit id (annotation). */
  byUnit: Map<string, LiveObject[]>;
}

type Dc = DistributedCloud & KubernetesObject;

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

export class DistributedCloudController {
  private readonly namespaces = new NamespaceEnsurer();

  constructor(private readonly ctx: ControllerContext) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const found = this.ctx.distributedClouds.get(key);
    if (!found) {
      this.ctx.metrics.forgetDistributedCloud(key);
      return {};
    }
    const dc = found as Dc;
    const log = withContext(this.ctx.logger, { controller: 'distributedcloud', dc: key });
    if (dc.metadata.deletionTimestamp) return this.finalize(dc, log);
    const now = nowOf(this.ctx);

    // validate (and default) the spec as the API server would
    const validation = validateDistributedCloud(JSON.parse(JSON.stringify(dc)) as unknown);
    if (!validation.ok) {
      const message = validation.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      await this.writeStatus(dc, failedStatus(dc, 'InvalidSpec', message, now));
      throw new PermanentError(`invalid spec: ${message}`);
    }
    const spec = validation.value.spec;
    const valid: Dc = { ...dc, spec };

    // select sites and plan
    const edgeSites = this.ctx.edgeSites.list() as EdgeSite[];
    let plan: Plan;
    try {
      plan = buildPlan(valid, edgeSites);
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      await this.writeStatus(dc, failedStatus(dc, `Plan${error.code}`, error.message, now));
      throw new PermanentError(error.message);
    }

    // finalizer first: add and return (the update event brings us back)
    if (!(dc.metadata.finalizers ?? []).includes(FINALIZER)) {
      await this.patchMetadata(dc, { finalizers: [...(dc.metadata.finalizers ?? []), FINALIZER] });
      log.info('finalizer added');
      return {};
    }

    const secrets = await this.ensureGeneratedSecrets(valid, plan);
    const sitesByName = new Map(edgeSites.map((s) => [s.metadata.name ?? '', s]));
    const renderCtx: RenderContext = createRenderContext({ dc: valid, sites: sitesByName, plan, secrets });

    // every site we may hold objects on: the plan's, plus those listed in the previous status (dropped sites)
    const previousSites = (dc.status?.sites ?? []).map((s) => s.name);
    const siteNames = [...new Set([...plan.sites, ...previousSites])].filter((s) => sitesByName.has(s)).sort();
    const views = new Map<string, SiteView>();
    await Promise.all(siteNames.map(async (s) => views.set(s, await this.siteView(sitesByName.get(s)!, dc))));

    const previousUnits = new Map((dc.status?.units ?? []).map((u) => [u.name, u]));
    const paused = spec.paused === true;
    const timeoutSeconds = spec.rollout?.unitTimeoutSeconds ?? 600;
    const states = new Map<string, UnitState>();
    const observed = new Map<
      string,
      { phase: UnitStatus['phase']; message: string; started: boolean; hash?: string }
    >();
    const desiredByUnit = new Map<string, K8sObject[]>();
    const repairs: Array<{ unit: Unit; objects: K8sObject[] }> = [];

    for (const unit of plan.units) {
      const previous = previousUnits.get(unit.id);
      const view = views.get(unit.targetSite);
      let desired: K8sObject[];
      try {
        desired = renderUnit(unit, renderCtx);
      } catch (error) {
        if (!(error instanceof RenderError)) throw error;
        states.set(unit.id, 'failed');
        observed.set(unit.id, { phase: 'Failed', message: error.message, started: false });
        continue;
      }
      desiredByUnit.set(unit.id, desired);
      const hash = unitInputHash(desired);
      if (!view?.reachable) {
        // unreachable: the unit stays as it was
        const phase = previous?.phase ?? 'Pending';
        states.set(unit.id, STATE_OF[phase]);
        observed.set(unit.id, {
          phase,
          message: `site ${unit.targetSite} unreachable`,
          started: previous?.inputHash === hash && previous.startedAt !== undefined,
          hash,
        });
        continue;
      }
      const a = assessUnit({
        desired,
        live: (id) => view.live.get(id),
        inputHash: hash,
        previous,
        timeoutSeconds,
        now,
      });
      states.set(unit.id, a.state);
      observed.set(unit.id, { phase: PHASE_OF[a.state], message: a.message, started: a.started, hash });
      if (a.drifted.length > 0 && a.state !== 'failed' && !paused)
        repairs.push({ unit, objects: a.drifted.map((d) => d.object) });
    }

    const problems: string[] = [];
    if (!paused) {
      // repair drift of started units (no scheduler gate: they were started once their dependencies were Ready)
      await mapLimit(repairs, APPLY_CONCURRENCY, async ({ unit, objects }) => {
        const view = views.get(unit.targetSite)!;
        if (!view.reachable) return;
        try {
          await this.ensureNamespace(view, renderCtx);
          for (const obj of objects) {
            // extra keys in config objects survive a server-side apply: replace those objects
            const live = view.live.get(objectId(obj));
            if (live && (obj.kind === 'Secret' || obj.kind === 'ConfigMap')) {
              const extra = Object.keys((live.data ?? {}) as object).some((k) => !(k in ((obj.data ?? {}) as object)));
              if (extra) await deleteUnitObjects(view.clients!, [live]);
            }
            await applyObject(view.clients!, obj);
          }
          log.info('drift repaired', {
            unit: unit.id,
            site: unit.targetSite,
            objects: objects.map((o) => `${o.kind}/${o.metadata.name}`),
          });
        } catch (error) {
          this.applyFailed(error, unit, view, states, observed, log);
        }
      });

      // start what the scheduler allows on reachable, synced sites
      const limits = rolloutLimits(spec);
      const toStart = unitsToStart(plan, states, limits, {
        eligible: (u) => views.get(u.targetSite)?.reachable === true && desiredByUnit.has(u.id),
      });
      await mapLimit(
        toStart.map((id) => plan.byId.get(id)!),
        APPLY_CONCURRENCY,
        async (unit) => {
          const view = views.get(unit.targetSite)!;
          if (!view.reachable) return;
          const desired = desiredByUnit.get(unit.id)!;
          const wanted = new Set(desired.map(objectId));
          const stale = (view.byUnit.get(unit.id) ?? []).filter((o) => !wanted.has(objectId(o)));
          try {
            await this.ensureNamespace(view, renderCtx);
            await applyUnitObjects(view.clients!, desired, stale);
            states.set(unit.id, 'applying');
            const o = observed.get(unit.id)!;
            observed.set(unit.id, {
              ...o,
              phase: 'Applying',
              message: 'applied; waiting for readiness',
              started: true,
            });
            log.info('unit applied', {
              unit: unit.id,
              site: unit.targetSite,
              objects: desired.length,
              pruned: stale.length,
            });
          } catch (error) {
            this.applyFailed(error, unit, view, states, observed, log);
          }
        },
      );

      // tear down what is no longer planned (dropped sites, disabled components), dependents first
      problems.push(...(await this.pruneUnplanned(dc, plan, views, log)));
    }

    // status
    const units: UnitStatus[] = [];
    for (const unit of plan.units) {
      const o = observed.get(unit.id)!;
      units.push(
        unitStatusEntry(
          { unit, phase: o.phase, message: o.message, inputHash: o.hash, started: o.started },
          previousUnits.get(unit.id),
          now,
        ),
      );
    }
    // units of dropped sites still being torn down
    const planned = new Set(plan.units.map((u) => u.id));
    const targetSite = new Map(plan.units.map((u) => [u.id, u.targetSite]));
    for (const view of views.values()) {
      for (const [id, objs] of view.byUnit) {
        if (planned.has(id) || objs.length === 0) continue;
        const prev = previousUnits.get(id);
        const labels = objs[0]!.metadata?.labels ?? {};
        units.push({
          name: id,
          site: prev?.site ?? id.slice(id.lastIndexOf('@') + 1),
          component: prev?.component ?? labels[`${GROUP}/component`] ?? '',
          step: prev?.step ?? labels[`${GROUP}/step`] ?? '',
          phase: 'Deleting',
          message: `${objs.length} objects left`,
          lastTransitionTime: prev?.phase === 'Deleting' ? (prev.lastTransitionTime ?? isoMillis(now)) : isoMillis(now),
        });
        targetSite.set(id, view.name);
      }
    }
    const siteObs: SiteObserved[] = [...views.values()]
      .filter((v) => plan.sites.includes(v.name) || v.byUnit.size > 0)
      .map((v) => ({ name: v.name, reachable: v.reachable, message: v.message }));
    const status = distributedCloudStatus({
      dc,
      plan,
      units,
      targetSite,
      sites: siteObs,
      paused,
      problems,
      now,
    });
    await this.writeStatus(dc, status);
    for (const t of transitions(dc.status, status)) await recordEvent(this.ctx, dc, t.type, t.reason, t.message);
    this.ctx.metrics.setUnitsByPhase(key, countPhases(units));

    const ready = getCondition(status.conditions, 'Ready')?.status === 'True';
    const unreachable = siteObs.some((s) => !s.reachable);
    if (ready) return { requeueAfter: this.ctx.options.resyncPeriodMs };
    if (unreachable) return { requeueAfter: Math.max(this.ctx.options.progressRequeueMs, 5000) };
    const failedBlocked = units.some((u) => u.phase === 'Failed') && units.every((u) => u.phase !== 'Applying');
    if (failedBlocked) return { requeueAfter: this.ctx.options.resyncPeriodMs };
    return { requeueAfter: this.ctx.options.progressRequeueMs };
  }

  private applyFailed(
    error: unknown,
    unit: Unit,
    view: SiteView,
    states: Map<string, UnitState>,
    observed: Map<string, { phase: UnitStatus['phase']; message: string; started: boolean; hash?: string }>,
    log: Logger,
  ): void {
    const o = observed.get(unit.id)!;
    if (error instanceof InvalidObjectError) {
      states.set(unit.id, 'failed');
      observed.set(unit.id, { ...o, phase: 'Failed', message: error.message, started: true });
      log.warn('unit apply refused', { unit: unit.id, site: unit.targetSite, error: error.message });
      return;
    }
    if (error instanceof SiteUnreachableError) {
      view.reachable = false;
      view.message = describeError(error).replace(/^site \S+ unreachable: /, '');
    }
    if (isNotFound(error)) this.namespaces.forget(view.name);
    observed.set(unit.id, { ...o, message: describeError(error) });
    log.warn('unit apply failed', { unit: unit.id, site: unit.targetSite, error: describeError(error) });
  }

  /** Reachability, clients and the live objects of this DC on one site (from the member informer caches). */
  private async siteView(site: EdgeSite, dc: Dc): Promise<SiteView> {
    const name = site.metadata.name ?? '';
    const view: SiteView = { name, reachable: false, live: new Map(), byUnit: new Map() };
    try {
      view.clients = await clientsOfSite(this.ctx, site);
    } catch (error) {
      view.message =
        error instanceof ClusterCredentialsError ? `${error.reason}: ${error.message}` : describeError(error);
      return view;
    }
    this.ctx.members.ensure(name, view.clients.kubeConfig, view.clients.hash);
    const reachable = getCondition(site.status?.conditions, 'Reachable');
    if (reachable?.status === 'False') {
      view.message = reachable.message;
      return view;
    }
    if (!this.ctx.members.hasSynced(name)) {
      view.message = 'member cluster caches not synced yet';
      return view;
    }
    view.reachable = true;
    for (const resource of OWNED_RESOURCES) {
      const informer = this.ctx.members.informer(name, resource);
      for (const obj of (informer?.list(dc.metadata.namespace) ?? []) as LiveObject[]) {
        if (!isOwnedBy(obj, dc.metadata)) continue;
        view.live.set(objectId(obj), obj);
        const unit = obj.metadata?.annotations?.[ANNOTATION_UNIT];
        if (unit) {
          const list = view.byUnit.get(unit) ?? [];
          list.push(obj);
          view.byUnit.set(unit, list);
        }
      }
    }
    return view;
  }

  private async ensureNamespace(view: SiteView, renderCtx: RenderContext): Promise<void> {
    const ns = renderNamespace(renderCtx, view.name);
    const namespace = renderCtx.dc.metadata.namespace ?? 'default';
    ns.metadata.labels = { ...ns.metadata.labels, [LABEL_DC_NAMESPACE]: labelValue(namespace) };
    await this.namespaces.ensure(view.clients!, ns);
  }

  /**
   * Deletes objects of this DC whose unit is not in the plan (sites dropped from the selector, components
   * disabled), dependents first (dependencies from a plan over the previous sites, when it can be built); then the
   * owned namespace of a site left with nothing. Returns problems for the Degraded condition.
   */
  private async pruneUnplanned(dc: Dc, plan: Plan, views: Map<string, SiteView>, log: Logger): Promise<string[]> {
    const planned = new Set(plan.units.map((u) => u.id));
    const orphans = new Map<string, { view: SiteView; objects: LiveObject[] }>();
    for (const view of views.values())
      for (const [id, objs] of view.byUnit) if (!planned.has(id)) orphans.set(id, { view, objects: objs });
    const problems: string[] = [];
    if (orphans.size > 0) {
      const deps = this.previousDependencies(dc);
      const present = new Set([...orphans.keys()]);
      for (const id of unitsToTearDown(present, deps)) {
        const { view, objects } = orphans.get(id)!;
        if (!view.reachable) continue;
        try {
          const issued = await deleteUnitObjects(view.clients!, objects);
          if (issued > 0)
            log.info('unit torn down (no longer planned)', { unit: id, site: view.name, objects: issued });
        } catch (error) {
          problems.push(`cannot remove unit ${id} from site ${view.name}: ${describeError(error)}`);
        }
      }
    }
    // dropped sites with nothing left: remove the owned namespace (unless another DC of this namespace uses it)
    for (const view of views.values()) {
      if (plan.sites.includes(view.name) || !view.reachable || view.byUnit.size > 0) continue;
      if (this.siteSharedWithAnotherDc(dc, view.name) || this.isOwnNamespace(view)) continue;
      try {
        await deleteOwnedNamespace(view.clients!, dc.metadata.namespace ?? 'default', {
          dcLabel: LABEL_DC,
          dc: labelValue(dc.metadata.name ?? ''),
        });
        this.namespaces.forget(view.name);
      } catch (error) {
        problems.push(`cannot remove namespace from site ${view.name}: ${describeError(error)}`);
      }
    }
    return problems;
  }

  /** Dependencies between the units of the previous status, from a plan over the sites it listed (best effort). */
  private previousDependencies(dc: Dc): Map<string, string[]> {
    const sites = [...new Set((dc.status?.sites ?? []).map((s) => s.name))];
    const deps = new Map<string, string[]>();
    if (sites.length === 0) return deps;
    try {
      const validation = validateDistributedCloud(JSON.parse(JSON.stringify(dc)) as unknown);
      if (!validation.ok) return deps;
      const spec = { ...validation.value.spec, sites, siteSelector: undefined };
      const old = buildPlanFromSpec(spec, this.ctx.edgeSites.list() as EdgeSite[]);
      for (const u of old.units) deps.set(u.id, u.dependsOn);
    } catch {
      // no plan for the old selection (a site was deleted...): tear down without ordering
    }
    return deps;
  }

  /** The member cluster is the management cluster: its namespace is the one the DistributedCloud lives in. */
  private isOwnNamespace(view: SiteView): boolean {
    const server = this.ctx.kubeConfig.getCurrentCluster()?.server;
    return server !== undefined && view.clients?.server.replace(/\/+$/, '') === server.replace(/\/+$/, '');
  }

  private siteSharedWithAnotherDc(dc: Dc, site: string): boolean {
    return this.ctx.distributedClouds
      .list(dc.metadata.namespace)
      .some(
        (other) =>
          other.metadata?.name !== dc.metadata.name && ((other as Dc).status?.sites ?? []).some((s) => s.name === site),
      );
  }

  /**
   * The generated-credentials Secret in the management cluster: created once with everything the plan needs; keys a
   * new plan needs are added; existing values never change. Returns the values read back.
   */
  private async ensureGeneratedSecrets(dc: Dc, plan: Plan): Promise<GeneratedSecrets> {
    const namespace = dc.metadata.namespace ?? 'default';
    const name = generatedSecretsName(dc);
    const required = requiredSecrets(plan);
    let existing: GeneratedSecrets | undefined;
    try {
      const secret = await this.ctx.core.readNamespacedSecret({ name, namespace });
      existing = generatedSecretsFromData(secret.data);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const values = generateMissingSecrets(existing ?? {}, required, (n) => randomBytes(n));
    const encode = (s: GeneratedSecrets): Record<string, string> => {
      const data: Record<string, string> = {};
      for (const [secret, keys] of Object.entries(s))
        for (const [k, v] of Object.entries(keys)) data[`${secret}.${k}`] = Buffer.from(v).toString('base64');
      return data;
    };
    const labels = {
      'app.kubernetes.io/part-of': 'discovery',
      'app.kubernetes.io/managed-by': 'discovery-operator',
      'app.kubernetes.io/name': 'generated-secrets',
      [LABEL_DC]: labelValue(dc.metadata.name ?? ''),
    };
    if (existing === undefined) {
      try {
        await this.ctx.core.createNamespacedSecret({
          namespace,
          body: { metadata: { name, namespace, labels }, type: 'Opaque', data: encode(values) },
        });
        return values;
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
        // created concurrently (another replica, a previous attempt): read back what won
        const secret = await this.ctx.core.readNamespacedSecret({ name, namespace });
        return generateMissingSecrets(generatedSecretsFromData(secret.data), required, (n) => randomBytes(n));
      }
    }
    const added: GeneratedSecrets = {};
    for (const [secret, keys] of Object.entries(values))
      for (const [k, v] of Object.entries(keys)) if (existing[secret]?.[k] === undefined) (added[secret] ??= {})[k] = v;
    if (Object.keys(added).length > 0) {
      await this.ctx.core.patchNamespacedSecret({ name, namespace, body: { data: encode(added) } }, mergePatch);
    }
    return values;
  }

  private async patchMetadata(dc: Dc, metadata: Record<string, unknown>): Promise<void> {
    const { namespace, name } = splitKey(`${dc.metadata.namespace}/${dc.metadata.name}`);
    await this.ctx.custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: 'distributedclouds',
        namespace: namespace!,
        name,
        body: { metadata: { ...metadata, resourceVersion: dc.metadata.resourceVersion } },
      },
      mergePatch,
    );
  }

  /** One status patch, skipped when nothing changed. */
  private async writeStatus(dc: Dc, status: DistributedCloudStatus): Promise<void> {
    if (JSON.stringify(dc.status ?? {}) === JSON.stringify(status)) return;
    try {
      await patchStatus(
        this.ctx,
        { plural: 'distributedclouds', name: dc.metadata.name ?? '', namespace: dc.metadata.namespace },
        // merge patch: arrays (units, sites, conditions) are replaced whole; null removes dropped fields
        { ...nullsFor(dc.status, status), ...status },
      );
    } catch (error) {
      if (isNotFound(error)) return; // deleted meanwhile
      throw error;
    }
  }

  /** Deletion: teardown in reverse dependency order across sites, namespaces, generated secrets, then finalizer. */
  private async finalize(dc: Dc, log: Logger): Promise<ReconcileResult> {
    if (!(dc.metadata.finalizers ?? []).includes(FINALIZER)) return {};
    const now = nowOf(this.ctx);
    const key = `${dc.metadata.namespace}/${dc.metadata.name}`;
    const edgeSites = this.ctx.edgeSites.list() as EdgeSite[];
    const sitesByName = new Map(edgeSites.map((s) => [s.metadata.name ?? '', s]));
    const previousUnits = new Map((dc.status?.units ?? []).map((u) => [u.name, u]));
    const candidateSites = new Set<string>((dc.status?.sites ?? []).map((s) => s.name));
    let deps = new Map<string, string[]>();
    const targetOf = new Map<string, string>();
    const validation = validateDistributedCloud(JSON.parse(JSON.stringify(dc)) as unknown);
    if (validation.ok) {
      try {
        const plan = buildPlan({ ...dc, spec: validation.value.spec }, edgeSites);
        plan.sites.forEach((s) => candidateSites.add(s));
        deps = new Map(plan.units.map((u) => [u.id, u.dependsOn]));
        plan.units.forEach((u) => targetOf.set(u.id, u.targetSite));
      } catch {
        // unplannable (e.g. a site was deleted): fall back to the previous status' dependencies
      }
    }
    if (deps.size === 0) deps = this.previousDependencies(dc);
    // sites where our objects may live: also every known site whose cache holds some
    for (const s of sitesByName.keys()) candidateSites.add(s);

    const elapsedMs = now.getTime() - Date.parse(dc.metadata.deletionTimestamp ?? now.toISOString());
    const abandon = elapsedMs > this.ctx.options.siteDeleteTimeoutMs;
    const views = new Map<string, SiteView>();
    await Promise.all(
      [...candidateSites]
        .filter((s) => sitesByName.has(s))
        .map(async (s) => views.set(s, await this.siteView(sitesByName.get(s)!, dc))),
    );

    const present = new Set<string>();
    const abandoned: string[] = [];
    const waitingFor: string[] = [];
    for (const view of views.values()) {
      const listed = (dc.status?.sites ?? []).some((s) => s.name === view.name);
      if (view.reachable) {
        for (const [id, objs] of view.byUnit) if (objs.length > 0) present.add(id);
      } else if (listed) {
        if (abandon) abandoned.push(view.name);
        else {
          waitingFor.push(view.name);
          // its units count as present: their dependencies elsewhere wait for them
          for (const [id, t] of targetOf) if (t === view.name) present.add(id);
          for (const u of previousUnits.values())
            if (!targetOf.has(u.name) && u.site === view.name) present.add(u.name);
        }
      }
    }
    for (const id of unitsToTearDown(present, deps)) {
      for (const view of views.values()) {
        const objs = view.byUnit.get(id);
        if (!view.reachable || !objs?.length) continue;
        try {
          await deleteUnitObjects(view.clients!, objs);
        } catch (error) {
          log.warn('teardown delete failed', { unit: id, site: view.name, error: describeError(error) });
        }
      }
    }

    const problems: string[] = [];
    for (const s of abandoned)
      problems.push(`site ${s} unreachable for longer than the site delete timeout: abandoned`);
    for (const s of waitingFor) problems.push(`site ${s} unreachable: waiting to delete its objects`);
    const newlyAbandoned = abandoned.filter(
      (s) =>
        !(getCondition(dc.status?.conditions, 'Degraded')?.message ?? '').includes(`site ${s} unreachable for longer`),
    );
    for (const s of newlyAbandoned) {
      log.warn('site abandoned during deletion', { site: s });
      await recordEvent(
        this.ctx,
        dc,
        'Warning',
        'SiteAbandoned',
        `site ${s} unreachable past the site delete timeout: its objects are left behind`,
      );
    }

    let done = present.size === 0;
    if (done) {
      // namespaces of every reachable site (unless another DC of this namespace still uses that site)
      for (const view of views.values()) {
        if (!view.reachable || this.siteSharedWithAnotherDc(dc, view.name) || this.isOwnNamespace(view)) continue;
        try {
          const gone = await deleteOwnedNamespace(view.clients!, dc.metadata.namespace ?? 'default', {
            dcLabel: LABEL_DC,
            dc: labelValue(dc.metadata.name ?? ''),
          });
          if (!gone) done = false;
          else this.namespaces.forget(view.name);
        } catch (error) {
          done = false;
          problems.push(`cannot remove namespace from site ${view.name}: ${describeError(error)}`);
        }
      }
    }
    if (!done) {
      const units: UnitStatus[] = [...previousUnits.values()].map((u) => ({
        ...u,
        phase: 'Deleting',
        lastTransitionTime: u.phase === 'Deleting' ? u.lastTransitionTime : isoMillis(now),
      }));
      const message = present.size
        ? `tearing down ${present.size} units` +
          (waitingFor.length ? `; waiting for sites ${waitingFor.join(', ')}` : '')
        : 'removing member-cluster namespaces';
      const status: DistributedCloudStatus = {
        ...(dc.status ?? {}),
        units,
        conditions: failedStatus(dc, 'Deleting', [message, ...problems].join('; '), now).conditions,
      };
      await this.writeStatus(dc, status);
      return { requeueAfter: this.ctx.options.progressRequeueMs };
    }

    // generated secrets, then the finalizer
    try {
      await this.ctx.core.deleteNamespacedSecret({
        name: generatedSecretsName(dc),
        namespace: dc.metadata.namespace ?? 'default',
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await this.patchMetadata(dc, { finalizers: (dc.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) });
    this.ctx.metrics.forgetDistributedCloud(key);
    log.info('teardown complete; finalizer removed', { abandoned });
    return {};
  }
}

function countPhases(units: UnitStatus[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const u of units) counts[u.phase] = (counts[u.phase] ?? 0) + 1;
  return counts;
}

/** null for every top-level field present before and absent now (merge patch removal). */
function nullsFor(before: DistributedCloudStatus | undefined, after: DistributedCloudStatus): Record<string, null> {
  const out: Record<string, null> = {};
  for (const k of Object.keys(before ?? {})) if (!(k in after)) out[k] = null;
  return out;
}
