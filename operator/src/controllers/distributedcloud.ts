// DistributedCloud controller: reconcile(namespace/name), level-triggered from informer caches, as observe → decide →
// act: plan (validated spec, selected sites), generated secrets, render; observe each member cluster; decide (pure,
// dc-decide.ts) what to repair, start and prune; act on it (dc-act.ts); one status patch; Events. Deletion is the same
// shape (decideTeardown / actTeardown). Declares its watches: DistributedClouds, the EdgeSites and kubeconfig Secrets
// they select, and the objects it owns in member clusters (docs/operator.md).
import type { DistributedCloudStatus } from '../api/types.js';
import { GROUP, VERSION } from '../api/types.js';
import { isNotFound, NamespaceEnsurer } from '../engine/apply.js';
import { owningDistributedCloudKey, OWNED_SELECTOR } from '../engine/ownership.js';
import { OWNED_RESOURCES } from '../engine/resources.js';
import { matchesSelector, rolloutLimits, type Plan } from '../planner/index.js';
import { createRenderContext, renderNamespace, requiredSecrets, type GeneratedSecrets } from '../render/index.js';
import type { TenantNamespace } from '../planner/tenancy.js';
import { getCondition } from '../runtime/conditions.js';
import { objectKey } from '../runtime/informer.js';
import { withContext, type Logger } from '../runtime/logger.js';
import { runSliced, TimeSlicer } from '../runtime/slicer.js';
import { PermanentError, TemporaryError, type ReconcileResult } from '../runtime/workqueue.js';
import {
  edgeSiteChanged,
  edgeSitesUsingSecret,
  FINALIZER,
  mergePatch,
  nowOf,
  patchStatus,
  recordEvent,
  type Controller,
  type ControllerContext,
  type Dc,
  type Es,
  type Watches,
} from './context.js';
import { act, actTeardown, type ActContext } from './dc-act.js';
import {
  concludeSteps,
  concludeTeardown,
  decideSteps,
  decideTeardown,
  previousDependencies,
  privilegedRefusals,
  type SiteState,
} from './dc-decide.js';
import { observeSites, type ObservedSite } from './dc-observe.js';
import { exposedNodePorts, PlanRenderCache, renderDesiredSteps, renderInputsKey } from './dc-render.js';
import { ensureGeneratedSecrets, GeneratedSecretsLostError } from './generated-secrets.js';
import { failedStatus, transitions } from './status.js';
import { UnitLedgers } from './unit-ledger.js';

const LOST_SECRETS_REASON = 'GeneratedSecretsLost';

export class DistributedCloudController implements Controller {
  readonly name = 'distributedcloud';
  readonly queue = { name: 'distributedclouds', maxDelayMs: 60_000 };
  private readonly namespaces = new NamespaceEnsurer();
  /** Each DC's plan and rendered objects, reused while their inputs do not change. */
  private readonly cache = new PlanRenderCache();
  /** Each DC's unit entries (start/Ready times…), persisted in ConfigMaps: the memory status no longer holds. */
  readonly ledgers: UnitLedgers;

  constructor(private readonly ctx: ControllerContext) {
    this.ledgers = new UnitLedgers(() => this.ctx.core);
  }

  /** Leadership (re)gained: what another leader may have written since is read again. */
  reset(): void {
    this.ledgers.reset();
  }

  readonly watches: Watches = {
    // our own status patches need no other pass; spec, deletion and finalizer changes do
    distributedClouds: (dc, old) =>
      !old ||
      dc.metadata.generation !== old.metadata.generation ||
      dc.metadata.deletionTimestamp !== old.metadata.deletionTimestamp ||
      JSON.stringify(dc.metadata.finalizers ?? []) !== JSON.stringify(old.metadata.finalizers ?? [])
        ? [objectKey(dc)]
        : [],
    edgeSites: (site, old) =>
      !old ||
      edgeSiteChanged(site, old) ||
      reachableOf(site) !== reachableOf(old) ||
      site.status?.address !== old.status?.address // cross-site addresses are rendered from it
        ? this.selecting([site])
        : [],
    kubeconfigSecrets: (secret) =>
      this.selecting(edgeSitesUsingSecret(this.ctx, secret).flatMap((n) => this.ctx.edgeSites.get(n) ?? [])),
    memberObjects: { resources: OWNED_RESOURCES, labelSelector: OWNED_SELECTOR, keysOf: owningDistributedCloudKey },
    // a namespace's labels decide which EdgeSites admit its DistributedClouds (spec.tenancy.namespaceSelector)
    namespaces: (ns, old) =>
      !old || JSON.stringify(ns.metadata?.labels ?? {}) !== JSON.stringify(old.metadata?.labels ?? {})
        ? this.ctx.distributedClouds.list(ns.metadata?.name).map(objectKey)
        : [],
  };

  /** The DC's namespace as the tenancy model reads it: its name and, when cached, its labels. */
  private tenantOf(dc: Dc): TenantNamespace {
    const name = dc.metadata.namespace ?? 'default';
    const labels = this.ctx.namespaces.get(name)?.metadata?.labels;
    return labels ? { name, labels } : { name };
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const dc = this.ctx.distributedClouds.get(key);
    if (!dc) {
      this.ctx.metrics.forgetDistributedCloud(key);
      this.cache.forget(key);
      this.ledgers.forget(key);
      return {};
    }
    const log = withContext(this.ctx.logger, { controller: this.name, dc: key });
    if (dc.metadata.deletionTimestamp) return this.finalize(dc, key, log);
    const now = nowOf(this.ctx);
    const slicer = new TimeSlicer();
    const edgeSites = this.ctx.edgeSites.list();
    const planned = this.cache.plan(key, dc, edgeSites, this.tenantOf(dc));
    await slicer.tick();
    if (!planned.ok) {
      const status = failedStatus(dc, planned.reason, planned.message, now);
      await this.writeStatus(dc, status);
      for (const t of transitions(dc.status, status)) await recordEvent(this.ctx, dc, t.type, t.reason, t.message);
      throw new PermanentError(planned.permanent);
    }
    const { spec, plan, notAllowed } = planned;
    if (!(dc.metadata.finalizers ?? []).includes(FINALIZER)) {
      await this.patchMetadata(dc, { finalizers: [...(dc.metadata.finalizers ?? []), FINALIZER] });
      log.info('finalizer added');
      return {}; // the update event brings us back
    }
    const previous = await this.ledgers.load(key, dc);
    const secrets = await this.generatedSecrets(dc, plan, previous, now, log);
    slicer.restart();
    // every site we may hold objects on: the plan's, the unit ledger's and the previous status' (dropped sites)
    const known = new Set([
      ...plan.sites,
      ...this.ledgers.sitesOf(key),
      ...(dc.status?.sites ?? []).map((s) => s.name),
    ]);
    const observed = await observeSites(this.ctx, dc, known);
    slicer.restart();
    // cross-site addresses are read back from the live `-wan` Services: they are an input of rendering
    const exposed = exposedNodePorts(observed);
    const sites = new Map(edgeSites.map((s) => [s.metadata.name ?? '', s]));
    const renderCtx = createRenderContext({ dc: { ...dc, spec }, sites, plan, secrets, exposed });
    const renderKey = renderInputsKey(renderCtx.dc, sites.values(), secrets, planned.key, exposed);
    let desired = this.cache.rendered(key, renderKey);
    if (!desired) {
      desired = await runSliced(renderDesiredSteps(plan, renderCtx), slicer);
      this.cache.store(key, renderKey, desired);
    }
    const input = {
      dc,
      previous,
      plan,
      desired,
      sites: statesOf(observed),
      paused: spec.paused === true,
      limits: rolloutLimits(spec),
      unitTimeoutSeconds: spec.rollout?.unitTimeoutSeconds ?? 600,
      previousDependencies: () => previousDependencies(dc, edgeSites, known),
      now,
      refused: privilegedRefusals(plan, sites, (u) => renderCtx.registry.privileged(u)),
      notAllowed,
    };
    const decision = await runSliced(decideSteps(input), slicer);
    const results = await act(decision, this.actContext(dc, observed, log), (site) => renderNamespace(renderCtx, site));
    slicer.restart();
    const outcome = await runSliced(concludeSteps(input, decision, results, this.ctx.options), slicer);
    await this.ledgers.save(key, dc, outcome.units, slicer);
    await this.writeStatus(dc, outcome.status);
    for (const t of transitions(dc.status, outcome.status, { before: previous, after: outcome.units }))
      await recordEvent(this.ctx, dc, t.type, t.reason, t.message);
    this.ctx.metrics.setUnitsByPhase(key, outcome.phases);
    this.ctx.metrics.reconcileYields.inc({ controller: this.name }, slicer.yields);
    return { requeueAfter: outcome.requeueAfterMs };
  }

  /**
   * The generated credentials; once any unit was started with them a missing Secret is lost, not new: reported
   * (Degraded, a Warning Event) and retried every 15 s, never regenerated over live databases.
   */
  private async generatedSecrets(
    dc: Dc,
    plan: Plan,
    previous: ReadonlyMap<string, { startedAt?: string }>,
    now: Date,
    log: Logger,
  ): Promise<GeneratedSecrets> {
    const counts = dc.status?.unitCounts;
    const started =
      [...previous.values()].some((u) => u.startedAt !== undefined) ||
      (dc.status?.units ?? []).some((u) => u.startedAt !== undefined) ||
      (counts !== undefined && counts.total > counts.pending);
    try {
      return await ensureGeneratedSecrets(this.ctx.core, dc, requiredSecrets(plan), { mustExist: started });
    } catch (error) {
      if (!(error instanceof GeneratedSecretsLostError)) throw error;
      const already = getCondition(dc.status?.conditions, 'Degraded')?.reason === LOST_SECRETS_REASON;
      await this.writeStatus(dc, failedStatus(dc, LOST_SECRETS_REASON, error.message, now));
      if (!already) {
        log.warn('generated secrets lost', { error: error.message });
        await recordEvent(this.ctx, dc, 'Warning', LOST_SECRETS_REASON, error.message);
      }
      throw new TemporaryError(error.message, 15_000);
    }
  }

  /** Deletion: teardown in reverse dependency order across sites, namespaces, generated secrets, then finalizer. */
  private async finalize(dc: Dc, key: string, log: Logger): Promise<ReconcileResult> {
    if (!(dc.metadata.finalizers ?? []).includes(FINALIZER)) return {};
    const previous = await this.ledgers.load(key, dc);
    const edgeSites = this.ctx.edgeSites.list();
    const planned = this.cache.plan(key, dc, edgeSites);
    const plan: Plan | undefined = planned.ok ? planned.plan : undefined;
    const dependsOn = plan ? new Map(plan.units.map((u) => [u.id, u.dependsOn])) : new Map<string, string[]>();
    // sites where our objects may live: every known one (the plan's and the previous status' included)
    const observed = await observeSites(
      this.ctx,
      dc,
      edgeSites.map((s) => s.metadata.name ?? ''),
    );
    const input = {
      dc,
      previous,
      dependsOn: dependsOn.size > 0 ? dependsOn : previousDependencies(dc, edgeSites, this.ledgers.sitesOf(key)),
      targetOf: new Map(plan?.units.map((u) => [u.id, u.targetSite])),
      sites: statesOf(observed),
      siteDeleteTimeoutMs: this.ctx.options.siteDeleteTimeoutMs,
      now: nowOf(this.ctx),
    };
    const decision = decideTeardown(input);
    for (const site of decision.newlyAbandoned) {
      log.warn('site abandoned during deletion', { site });
      const message = `site ${site} unreachable past the site delete timeout: its objects are left behind`;
      await recordEvent(this.ctx, dc, 'Warning', 'SiteAbandoned', message);
    }
    const results = await actTeardown(decision, this.actContext(dc, observed, log));
    const outcome = concludeTeardown(input, decision, results, this.ctx.options);
    if (!outcome.done) {
      await this.writeStatus(dc, outcome.status);
      return { requeueAfter: outcome.requeueAfterMs };
    }
    // the generated-secrets Secret goes with the DistributedCloud: its ownerReference hands it to the garbage collector
    await this.patchMetadata(dc, { finalizers: (dc.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) });
    this.ctx.metrics.forgetDistributedCloud(key);
    this.cache.forget(key);
    this.ledgers.forget(key);
    log.info('teardown complete; finalizer removed', { abandoned: decision.abandoned });
    return {};
  }

  /** Keys of the DistributedClouds that select one of `sites` (by name, selector, or in their previous status). */
  private selecting(sites: readonly Es[]): string[] {
    const names = new Set(sites.map((s) => s.metadata.name ?? ''));
    if (names.size === 0) return [];
    return this.ctx.distributedClouds
      .list()
      .filter(
        (dc) =>
          (dc.spec.sites ?? []).some((s) => names.has(s)) ||
          (dc.status?.sites ?? []).some((s) => names.has(s.name)) ||
          this.ledgers.sitesOf(objectKey(dc)).some((s) => names.has(s)) ||
          (dc.spec.siteSelector !== undefined &&
            sites.some((s) => matchesSelector(s.metadata.labels, dc.spec.siteSelector!))),
      )
      .map(objectKey);
  }

  private actContext(dc: Dc, observed: Map<string, ObservedSite>, log: Logger): ActContext {
    const clients = new Map([...observed].flatMap(([s, o]) => (o.clients ? [[s, o.clients] as const] : [])));
    return { dc, clients, namespaces: this.namespaces, log };
  }

  private async patchMetadata(dc: Dc, metadata: Record<string, unknown>): Promise<void> {
    await this.ctx.custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: 'distributedclouds',
        namespace: dc.metadata.namespace ?? 'default',
        name: dc.metadata.name ?? '',
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
}

function statesOf(observed: ReadonlyMap<string, ObservedSite>): Map<string, SiteState> {
  return new Map([...observed].map(([s, o]) => [s, o.state]));
}

function reachableOf(site: Es): string | undefined {
  return getCondition(site.status?.conditions, 'Reachable')?.status;
}

/** null for every top-level field present before and absent now (merge patch removal). */
function nullsFor(before: DistributedCloudStatus | undefined, after: DistributedCloudStatus): Record<string, null> {
  const out: Record<string, null> = {};
  for (const k of Object.keys(before ?? {})) if (!(k in after)) out[k] = null;
  return out;
}
