// Informers in member clusters: one set per site (the resources and label selector the caller names), replaced when
// the site's credentials change and removed with the site. Events map to work-queue keys through the caller's
// function; which objects are owned and by whom is the caller's knowledge, not the runtime's.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from './informer.js';
import type { ResourceRef } from './kube-http.js';
import type { Logger } from './logger.js';
import type { OperatorMetrics } from './metrics.js';

export interface MemberInformersOptions {
  /** Resources watched in every member cluster. */
  resources: readonly ResourceRef[];
  /** Label selector restricting every informer (e.g. the objects some controller owns). */
  labelSelector?: string;
  /** Work-queue keys an event on `obj` (in `site`) enqueues; nothing when undefined. */
  keysOf: (obj: KubernetesObject, site: string) => string | string[] | undefined;
  logger?: Logger;
  metrics?: OperatorMetrics;
  restartBackoff?: InformerOptions['restartBackoff'];
}

/** The member-cluster informers of every site, each event enqueueing the keys `keysOf` maps it to. */
export class MemberInformers {
  private readonly sites = new Map<string, { generation: string; informers: Informer[] }>();

  constructor(
    private readonly queue: { add(key: string): void },
    private readonly options: MemberInformersOptions,
  ) {}

  /**
   * Make sure site has informers built from kubeConfig. `generation` identifies the credentials (the client-set
   * hash): a different value stops the old informers and starts new ones.
   */
  ensure(site: string, kubeConfig: KubeConfig, generation: string): Informer[] {
    const existing = this.sites.get(site);
    if (existing && existing.generation === generation) return existing.informers;
    if (existing) void Promise.all(existing.informers.map((i) => i.stop()));
    const informers = this.options.resources.map((resource) => {
      const informer = new Informer(kubeConfig, resource, {
        name: `${site}:${resource.plural}`,
        labelSelector: this.options.labelSelector,
        logger: this.options.logger,
        metrics: this.options.metrics,
        restartBackoff: this.options.restartBackoff,
      });
      informer.enqueueTo(this.queue, (obj) => this.options.keysOf(obj, site));
      informer.start();
      return informer;
    });
    this.sites.set(site, { generation, informers });
    return informers;
  }

  /** The informer of resource in site, if running. */
  informer(site: string, resource: ResourceRef): Informer | undefined {
    return this.sites.get(site)?.informers.find((i) => i.resource === resource);
  }

  hasSynced(site: string): boolean {
    const entry = this.sites.get(site);
    return !!entry && entry.informers.every((i) => i.hasSynced());
  }

  async remove(site: string): Promise<void> {
    const entry = this.sites.get(site);
    this.sites.delete(site);
    if (entry) await Promise.all(entry.informers.map((i) => i.stop()));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.sites.keys()].map((s) => this.remove(s)));
  }
}
