// What the controllers share: management-cluster clients, informer caches, member-cluster clients and informers,
// metrics, logging and options. Built once by the manager; controllers read caches and write through these clients.
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
import type { MemberClusters } from '../runtime/clusters.js';
import type { MemberInformers } from '../runtime/informer.js';
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

export interface ControllerContext {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  edgeSites: ObjectCache<EdgeSite & KubernetesObject>;
  distributedClouds: ObjectCache<DistributedCloud & KubernetesObject>;
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
