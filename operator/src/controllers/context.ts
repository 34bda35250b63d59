// What the controllers share: management-cluster clients, informer caches, member-cluster clients and informers,
// metrics, logging and options, built once by the manager; and what a controller is to the manager: a reconcile
// function plus the watches it declares (which events enqueue which of its keys).
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { DistributedCloud, EdgeSite } from '../api/types.js';
import { GROUP, VERSION } from '../api/types.js';
import type { MemberClients, MemberClusters } from '../runtime/clusters.js';
import type { ResourceRef } from '../runtime/kube-http.js';
import type { MemberInformers } from '../runtime/member-informers.js';
import type { ReconcileResult } from '../runtime/workqueue.js';
import type { Logger } from '../runtime/logger.js';
import type { OperatorMetrics } from '../runtime/metrics.js';
import { describeError, redactStatusMessages, redactString } from '../runtime/redact.js';

export interface ControllerOptions {
  /** EdgeSite probe interval while reachable. */
  probeIntervalMs: number;
  /** Periodic reconcile of a settled DistributedCloud. */
  resyncPeriodMs: number;
  /** How long deletion waits for an unreachable site before abandoning its objects. */
  siteDeleteTimeoutMs: number;
  /** Requeue delay while a rollout progresses. */
  progressRequeueMs: number;
}

/** Read side of an informer (or of several, one per watched namespace). */
export interface ObjectCache<T> {
  get(key: string): T | undefined;
  list(namespace?: string): T[];
}

export type Es = EdgeSite & KubernetesObject;
export type Dc = DistributedCloud & KubernetesObject;

/**
 * The events a controller reacts to, each mapped to keys of its work queue. `old` is the previous version on an
 * update, undefined on an add or a delete. The manager runs the informers and routes their events here.
 */
export interface Watches {
  edgeSites?(site: Es, old: Es | undefined): string[];
  distributedClouds?(dc: Dc, old: Dc | undefined): string[];
  /** A Namespace of the management cluster changed (its labels decide which EdgeSites admit its DistributedClouds). */
  namespaces?(ns: KubernetesObject, old: KubernetesObject | undefined): string[];
  /** A Secret in a namespace holding EdgeSite kubeconfigs changed. */
  kubeconfigSecrets?(secret: KubernetesObject): string[];
  /** Objects in every member cluster: which resources, which of them (label selector), and whose keys they are. */
  memberObjects?: {
    resources: readonly ResourceRef[];
    labelSelector: string;
    keysOf(obj: KubernetesObject, site: string): string | string[] | undefined;
  };
}

export interface Controller {
  /** Metrics and log name, e.g. "distributedcloud". */
  readonly name: string;
  /** Its work queue: name (metrics `queue` label) and longest retry backoff. */
  readonly queue: { name: string; maxDelayMs?: number };
  readonly watches: Watches;
  reconcile(key: string): Promise<ReconcileResult>;
  /** Called when this replica starts its queues (became leader): drop memory another leader may have outdated. */
  reset?(): void;
}

/** The EdgeSite's spec, labels or annotations changed (not just its status). */
export function edgeSiteChanged(site: Es, old: Es): boolean {
  return (
    site.metadata.generation !== old.metadata.generation ||
    JSON.stringify(site.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {}) ||
    JSON.stringify(site.metadata.annotations ?? {}) !== JSON.stringify(old.metadata.annotations ?? {})
  );
}

/** Names of the EdgeSites whose kubeconfigSecretRef points at `secret`. */
export function edgeSitesUsingSecret(ctx: ControllerContext, secret: KubernetesObject): string[] {
  const ns = secret.metadata?.namespace ?? '';
  const name = secret.metadata?.name ?? '';
  return ctx.edgeSites
    .list()
    .filter((es) => es.spec.kubeconfigSecretRef.namespace === ns && es.spec.kubeconfigSecretRef.name === name)
    .map((es) => es.metadata.name ?? '');
}

export interface ControllerContext {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  edgeSites: ObjectCache<Es>;
  distributedClouds: ObjectCache<Dc>;
  /** The management cluster's Namespaces (their labels, for EdgeSite spec.tenancy.namespaceSelector). */
  namespaces: ObjectCache<KubernetesObject>;
  clusters: MemberClusters;
  members: MemberInformers;
  metrics: OperatorMetrics;
  logger: Logger;
  options: ControllerOptions;
  /** Reporting component of Events. */
  identity: string;
  now?: () => Date;
}

export const FINALIZER = `${GROUP}/teardown`;

/** Clients of an EdgeSite's member cluster, from its spec.kubeconfigSecretRef (throws ClusterCredentialsError). */
export function clientsOfSite(
  ctx: ControllerContext,
  site: Pick<EdgeSite, 'metadata' | 'spec'>,
): Promise<MemberClients> {
  return ctx.clusters.clientsFor(site.metadata.name ?? '', site.spec.kubeconfigSecretRef);
}

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function nowOf(ctx: ControllerContext): Date {
  return ctx.now ? ctx.now() : new Date();
}

/**
 * Merge-patches the /status subresource of an EdgeSite (cluster-scoped) or DistributedCloud (namespaced). Every
 * `message` in it is redacted first: conditions quote API errors, which may quote credentials.
 */
export async function patchStatus(
  ctx: ControllerContext,
  target: { plural: 'edgesites' | 'distributedclouds'; name: string; namespace?: string },
  status: unknown,
): Promise<void> {
  const body = { status: redactStatusMessages(status) };
  if (target.namespace) {
    await ctx.custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace: target.namespace, plural: target.plural, name: target.name, body },
      mergePatch,
    );
  } else {
    await ctx.custom.patchClusterCustomObjectStatus(
      { group: GROUP, version: VERSION, plural: target.plural, name: target.name, body },
      mergePatch,
    );
  }
}

export type EventType = 'Normal' | 'Warning';

/** Records a core v1 Event about a DistributedCloud or EdgeSite (message redacted). Failures are logged, never thrown. */
export async function recordEvent(
  ctx: ControllerContext,
  obj: {
    apiVersion?: string;
    kind?: string;
    metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  },
  type: EventType,
  reason: string,
  message: string,
): Promise<void> {
  const now = nowOf(ctx);
  const namespace = obj.metadata.namespace ?? 'default';
  try {
    await ctx.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${obj.metadata.name ?? 'object'}.`, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: obj.metadata.namespace,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        type,
        reason,
        message: redactString(message).slice(0, 1000),
        source: { component: 'discovery-operator' },
        reportingComponent: 'discovery.beyondtheclouds.io/operator',
        reportingInstance: ctx.identity,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  } catch (error) {
    ctx.logger.warn('could not record event', { reason, error: describeError(error) });
  }
}
