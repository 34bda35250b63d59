// EdgeSite controller: probes each member cluster (API version and nodes, with a timeout) through the credentials
// of its kubeconfig Secret, and reports Reachable/Ready, kubernetesVersion, nodeCount and lastProbeTime in one status
// patch. Reachable sites are probed every probe interval; unreachable ones sooner, with backoff. Paused sites too.
// Watches EdgeSites (not their status) and their kubeconfig Secrets.
import type { EdgeSite, EdgeSiteStatus } from '../api/types.js';
import { withTimeout } from '../engine/apply.js';
import { ClusterCredentialsError } from '../runtime/clusters.js';
import { formatTime, setCondition } from '../runtime/conditions.js';
import { withContext } from '../runtime/logger.js';
import { describeError } from '../runtime/redact.js';
import type { ReconcileResult } from '../runtime/workqueue.js';
import { objectKey } from '../runtime/informer.js';
import {
  clientsOfSite,
  edgeSiteChanged,
  edgeSitesUsingSecret,
  nowOf,
  patchStatus,
  recordEvent,
  type Controller,
  type ControllerContext,
  type Watches,
} from './context.js';

export const PROBE_TIMEOUT_MS = 5000;

export interface ProbeResult {
  reachable: boolean;
  version?: string;
  nodeCount?: number;
  nodesReady?: number;
  /** ExternalIP, else InternalIP, of the first Ready node by name. */
  nodeAddress?: string;
  reason: string;
  message: string;
}

/** The status an EdgeSite gets from a probe (pure). */
export function edgeSiteStatus(site: EdgeSite, probe: ProbeResult, now: Date): EdgeSiteStatus {
  const generation = site.metadata.generation;
  const previous = site.status ?? {};
  let conditions = setCondition(
    previous.conditions,
    probe.reachable
      ? { type: 'Reachable', status: 'True', reason: 'Probed', message: `API server answered (${probe.version})` }
      : { type: 'Reachable', status: 'False', reason: probe.reason, message: probe.message },
    now,
  );
  const nodesReady = probe.nodesReady ?? 0;
  const ready = probe.reachable && nodesReady > 0;
  conditions = setCondition(
    conditions,
    ready
      ? { type: 'Ready', status: 'True', reason: 'NodesReady', message: `${nodesReady}/${probe.nodeCount} nodes Ready` }
      : probe.reachable
        ? { type: 'Ready', status: 'False', reason: 'NoReadyNodes', message: `0/${probe.nodeCount ?? 0} nodes Ready` }
        : { type: 'Ready', status: 'False', reason: probe.reason, message: probe.message },
    now,
  ).map((c) => (generation !== undefined ? { ...c, observedGeneration: generation } : c));
  return {
    ...previous,
    conditions,
    ...(probe.version !== undefined ? { kubernetesVersion: probe.version } : {}),
    ...(probe.nodeCount !== undefined ? { nodeCount: probe.nodeCount } : {}),
    ...siteAddressStatus(site, probe),
    lastProbeTime: formatTime(now),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

/** status.address: spec.network.address, else the probed node address, else (unreachable) the last one known. */
function siteAddressStatus(site: EdgeSite, probe: ProbeResult): { address?: string } {
  const address = site.spec.network?.address ?? (probe.reachable ? probe.nodeAddress : site.status?.address);
  return address !== undefined ? { address } : {};
}

type NodeLike = {
  metadata?: { name?: string };
  status?: {
    conditions?: Array<{ type?: string; status?: string }>;
    addresses?: Array<{ type?: string; address?: string }>;
  };
};

/** ExternalIP, else InternalIP, of the first Ready node by name: where the site's NodePorts answer. */
export function nodeAddress(nodes: readonly NodeLike[]): string | undefined {
  const ready = nodes.filter(nodeReady).sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const type of ['ExternalIP', 'InternalIP'])
    for (const node of ready) {
      const found = node.status?.addresses?.find((a) => a.type === type && a.address);
      if (found?.address) return found.address;
    }
  return undefined;
}

function nodeReady(node: { status?: { conditions?: Array<{ type?: string; status?: string }> } }): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export class EdgeSiteController implements Controller {
  readonly name = 'edgesite';
  readonly queue = { name: 'edgesites' };
  private readonly failures = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {}

  readonly watches: Watches = {
    // our own status patches need no other probe; spec, label and annotation changes do
    edgeSites: (site, old) => (!old || edgeSiteChanged(site, old) ? [objectKey(site)] : []),
    kubeconfigSecrets: (secret) => edgeSitesUsingSecret(this.ctx, secret),
  };

  /** Probe a member cluster: credentials, /version, nodes. Never throws. */
  async probe(site: EdgeSite): Promise<ProbeResult> {
    try {
      const clients = await clientsOfSite(this.ctx, site);
      this.ctx.members.ensure(clients.site, clients.kubeConfig, clients.hash);
      const version = await withTimeout(clients.version.getCode(), 'GET /version', PROBE_TIMEOUT_MS);
      const nodes = await withTimeout(clients.core.listNode(), 'list nodes', PROBE_TIMEOUT_MS);
      return {
        reachable: true,
        version: version.gitVersion,
        nodeCount: nodes.items.length,
        nodesReady: nodes.items.filter(nodeReady).length,
        nodeAddress: nodeAddress(nodes.items),
        reason: 'Probed',
        message: '',
      };
    } catch (error) {
      if (error instanceof ClusterCredentialsError)
        return { reachable: false, reason: error.reason, message: error.message };
      return { reachable: false, reason: 'Unreachable', message: describeError(error) };
    }
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const site = this.ctx.edgeSites.get(name);
    const log = withContext(this.ctx.logger, { controller: this.name, site: name });
    if (!site) {
      this.failures.delete(name);
      this.ctx.metrics.forgetSite(name);
      await this.ctx.members.remove(name);
      this.ctx.clusters.forget(name);
      return {};
    }
    const probe = await this.probe(site);
    const now = nowOf(this.ctx);
    this.ctx.metrics.setSiteReachable(name, probe.reachable);
    const wasReachable = site.status?.conditions?.find((c) => c.type === 'Reachable')?.status;
    const status = edgeSiteStatus(site, probe, now);
    await patchStatus(this.ctx, { plural: 'edgesites', name }, status);
    const nowReachable = probe.reachable ? 'True' : 'False';
    if (wasReachable !== nowReachable) {
      log.info(probe.reachable ? 'site reachable' : 'site unreachable', {
        version: probe.version,
        nodes: probe.nodeCount,
        error: probe.reachable ? undefined : probe.message,
      });
      if (!probe.reachable || wasReachable === 'False')
        await recordEvent(
          this.ctx,
          { ...site, metadata: { ...site.metadata, namespace: 'default' } },
          probe.reachable ? 'Normal' : 'Warning',
          probe.reachable ? 'SiteReachable' : 'SiteUnreachable',
          probe.reachable ? `site ${name} is reachable again` : `site ${name} unreachable: ${probe.message}`,
        );
    }
    if (probe.reachable) {
      this.failures.delete(name);
      return { requeueAfter: this.ctx.options.probeIntervalMs };
    }
    const failures = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, failures);
    const backoff = Math.min(1000 * 2 ** (failures - 1), Math.max(this.ctx.options.probeIntervalMs, 2000), 30_000);
    return { requeueAfter: backoff };
  }
}
