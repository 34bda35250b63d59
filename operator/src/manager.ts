// Wires the operator together: management informers (EdgeSites, DistributedClouds in the watched namespaces, exactly
// the kubeconfig Secrets EdgeSites reference in the allowed namespaces), member-cluster clients and owned-object
// informers, the two work queues (run only while leading), the write gate (every write to any cluster passes only
// while leading), metrics, the health server and graceful shutdown.
import { CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { DistributedCloud, EdgeSite } from './api/types.js';
import { DistributedCloudController } from './controllers/distributedcloud.js';
import { EdgeSiteController } from './controllers/edgesite.js';
import type { ControllerContext, ControllerOptions, ObjectCache } from './controllers/context.js';
import { MEMBER_RESOURCES } from './engine/resources.js';
import { matchesSelector } from './planner/selector.js';
import { MemberClusters, type SecretLike } from './runtime/clusters.js';
import { startHealthServer, type HealthServer } from './runtime/http.js';
import { Informer, MemberInformers, objectKey, RESOURCES } from './runtime/informer.js';
import { LeaderElector } from './runtime/leader.js';
import { ReferencedSecrets } from './runtime/secrets.js';
import { WriteGate, WritesStoppedError, gatedApiClient } from './runtime/writegate.js';
import { createLogger, type Logger } from './runtime/logger.js';
import { OperatorMetrics } from './runtime/metrics.js';
import { describeError } from './runtime/redact.js';
import { WorkQueue } from './runtime/workqueue.js';

export interface ManagerOptions extends ControllerOptions {
  kubeconfig?: string;
  namespaces: string[];
  concurrency: number;
  logLevel: string;
  httpPort: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  identity: string;
  /** Namespaces kubeconfig Secrets may live in (the operator's own, plus --kubeconfig-secret-namespaces). */
  secretNamespaces: string[];
}

type Es = EdgeSite & KubernetesObject;
type Dc = DistributedCloud & KubernetesObject;

/** Several per-namespace informers read as one cache. */
class InformerGroup<T extends KubernetesObject> implements ObjectCache<T> {
  constructor(readonly informers: Informer<T>[]) {}
  get(key: string): T | undefined {
    for (const i of this.informers) {
      const o = i.get(key);
      if (o) return o;
    }
    return undefined;
  }
  list(namespace?: string): T[] {
    return this.informers.flatMap((i) => i.list(namespace));
  }
}

function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

function condStatus(o: { status?: { conditions?: Array<{ type: string; status: string }> } }, type: string) {
  return o.status?.conditions?.find((c) => c.type === type)?.status;
}

export class Manager {
  readonly logger: Logger;
  readonly metrics = new OperatorMetrics({ processMetrics: true });
  private readonly kc: KubeConfig;
  private readonly edgeSites: Informer<Es>;
  private readonly dcInformers: Informer<Dc>[];
  private readonly dcs: InformerGroup<Dc>;
  private readonly secrets: ReferencedSecrets;
  /** Open while this replica may write (leading, or always without leader election); checked before every write. */
  private readonly gate = new WriteGate();
  private unelectedTerm?: AbortController;
  private readonly clusters: MemberClusters;
  private readonly members: MemberInformers;
  private readonly ctx: ControllerContext;
  private readonly esController: EdgeSiteController;
  private readonly dcController: DistributedCloudController;
  private esQueue?: WorkQueue;
  private dcQueue?: WorkQueue;
  private elector?: LeaderElector;
  private health?: HealthServer;
  private stopping = false;

  constructor(private readonly options: ManagerOptions) {
    this.logger = createLogger({
      level: options.logLevel,
      defaultMeta: { component: 'discovery-operator', replica: options.identity },
    });
    this.kc = loadKubeConfig(options.kubeconfig);
    const common = { logger: this.logger, metrics: this.metrics };
    this.edgeSites = new Informer<Es>(this.kc, RESOURCES.edgeSites, common);
    this.dcInformers =
      options.namespaces.length === 0
        ? [new Informer<Dc>(this.kc, RESOURCES.distributedClouds, common)]
        : options.namespaces.map(
            (ns) => new Informer<Dc>(this.kc, RESOURCES.distributedClouds, { ...common, namespace: ns }),
          );
    this.dcs = new InformerGroup(this.dcInformers);
    const core = gatedApiClient(this.kc, CoreV1Api, this.gate);
    this.secrets = new ReferencedSecrets(this.kc, {
      ...common,
      namespaces: options.secretNamespaces,
      onChange: (ns, name) => this.secretChanged(ns, name),
    });
    this.clusters = new MemberClusters({
      logger: this.logger,
      secretNamespaces: options.secretNamespaces,
      writeGate: this.gate,
      getSecret: async (namespace, name) => {
        if (this.secrets.synced(namespace, name)) return this.secrets.get(namespace, name) as SecretLike | undefined;
        try {
          return (await core.readNamespacedSecret({ name, namespace })) as SecretLike;
        } catch (error) {
          if ((error as { code?: number }).code === 404) return undefined;
          throw error;
        }
      },
      onRebuilt: (clients) => this.members.ensure(clients.site, clients.kubeConfig, clients.hash),
    });
    this.members = new MemberInformers(
      { add: (key) => this.dcQueue?.add(key) },
      { resources: MEMBER_RESOURCES, logger: this.logger, metrics: this.metrics },
    );
    this.ctx = {
      kubeConfig: this.kc,
      core,
      custom: gatedApiClient(this.kc, CustomObjectsApi, this.gate),
      edgeSites: this.edgeSites,
      distributedClouds: this.dcs,
      clusters: this.clusters,
      members: this.members,
      metrics: this.metrics,
      logger: this.logger,
      options,
      identity: options.identity,
    };
    this.esController = new EdgeSiteController(this.ctx);
    this.dcController = new DistributedCloudController(this.ctx);
  }

  /** Watch exactly the kubeconfig Secrets the EdgeSites reference now (allowed namespaces only). */
  private syncSecretWatches(): void {
    this.secrets.sync(this.edgeSites.list().map((es) => es.spec.kubeconfigSecretRef));
  }

  /** A referenced Secret changed: requeue the sites using it and their DistributedClouds. */
  private secretChanged(ns: string, name: string): void {
    const sites = this.edgeSites
      .list()
      .filter((es) => es.spec.kubeconfigSecretRef.namespace === ns && es.spec.kubeconfigSecretRef.name === name)
      .map((es) => es.metadata.name ?? '');
    for (const site of sites) this.esQueue?.add(site);
    if (sites.length > 0) this.enqueueDcsOfSites(sites);
  }

  private enqueueDcsOfSites(sites: string[]): void {
    const wanted = new Set(sites);
    for (const dc of this.dcs.list()) {
      const selected =
        (dc.spec.sites ?? []).some((s) => wanted.has(s)) ||
        (dc.status?.sites ?? []).some((s) => wanted.has(s.name)) ||
        (dc.spec.siteSelector !== undefined &&
          sites.some((s) => matchesSelector(this.edgeSites.get(s)?.metadata.labels, dc.spec.siteSelector!)));
      if (selected) this.dcQueue?.add(objectKey(dc));
    }
  }

  private wireInformers(): void {
    this.edgeSites.on({
      add: (es) => {
        this.syncSecretWatches();
        this.esQueue?.add(objectKey(es));
        this.enqueueDcsOfSites([objectKey(es)]);
      },
      update: (es, old) => {
        const specChanged =
          es.metadata.generation !== old.metadata.generation ||
          JSON.stringify(es.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {}) ||
          JSON.stringify(es.metadata.annotations ?? {}) !== JSON.stringify(old.metadata.annotations ?? {});
        if (specChanged) {
          this.syncSecretWatches();
          this.esQueue?.add(objectKey(es));
        }
        if (specChanged || condStatus(es, 'Reachable') !== condStatus(old, 'Reachable'))
          this.enqueueDcsOfSites([objectKey(es)]);
      },
      delete: (es) => {
        this.syncSecretWatches();
        this.esQueue?.add(objectKey(es));
        this.enqueueDcsOfSites([objectKey(es)]);
      },
    });
    for (const informer of this.dcInformers) {
      informer.on({
        add: (dc) => this.dcQueue?.add(objectKey(dc)),
        // our own status patches do not need another pass; spec, deletion and finalizer changes do
        update: (dc, old) => {
          if (
            dc.metadata.generation !== old.metadata.generation ||
            dc.metadata.deletionTimestamp !== old.metadata.deletionTimestamp ||
            JSON.stringify(dc.metadata.finalizers ?? []) !== JSON.stringify(old.metadata.finalizers ?? [])
          )
            this.dcQueue?.add(objectKey(dc));
        },
        delete: (dc) => this.dcQueue?.add(objectKey(dc)),
      });
    }
  }

  private synced(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.edgeSites.hasSynced()) reasons.push('informer edgesites not synced');
    for (const i of this.dcInformers) if (!i.hasSynced()) reasons.push(`informer ${i.name} not synced`);
    return { ready: reasons.length === 0, reasons };
  }

  private startQueues(): void {
    if (this.esQueue || this.stopping) return;
    const concurrency = this.options.concurrency;
    this.esQueue = new WorkQueue({
      name: 'edgesites',
      reconcile: (key) => this.esController.reconcile(key),
      concurrency,
      hooks: this.metrics.queueHooks('edgesite'),
    });
    this.dcQueue = new WorkQueue({
      name: 'distributedclouds',
      reconcile: (key) => this.dcController.reconcile(key),
      concurrency,
      maxDelayMs: 60_000,
      hooks: this.metrics.queueHooks('distributedcloud'),
    });
    this.esQueue.start();
    this.dcQueue.start();
    for (const es of this.edgeSites.list()) this.esQueue.add(objectKey(es));
    for (const dc of this.dcs.list()) this.dcQueue.add(objectKey(dc));
    this.logger.info('work queues started', {
      edgeSites: this.edgeSites.list().length,
      distributedClouds: this.dcs.list().length,
    });
  }

  private async stopQueues(): Promise<void> {
    const queues = [this.esQueue, this.dcQueue];
    this.esQueue = undefined;
    this.dcQueue = undefined;
    await Promise.all(queues.map((q) => q?.shutdown()));
  }

  async start(): Promise<void> {
    const o = this.options;
    this.logger.info('starting', {
      namespaces: o.namespaces.length ? o.namespaces : 'all',
      concurrency: o.concurrency,
      leaderElect: o.leaderElect,
      server: this.kc.getCurrentCluster()?.server,
    });
    this.health = await startHealthServer({
      port: o.httpPort,
      metrics: this.metrics,
      readiness: () => this.synced(),
      logger: this.logger,
    });
    this.wireInformers();
    this.edgeSites.start();
    for (const i of this.dcInformers) i.start();
    await Promise.all([this.edgeSites.waitForSync(), ...this.dcInformers.map((i) => i.waitForSync())]);
    // warm caches: member clients and informers for every known site, leader or not
    this.syncSecretWatches();
    for (const es of this.edgeSites.list()) {
      this.clusters
        .forEdgeSite(es)
        .catch((error: unknown) =>
          this.logger.warn('member cluster clients unavailable', { site: objectKey(es), error: describeError(error) }),
        );
    }
    if (!o.leaderElect) {
      this.unelectedTerm = new AbortController();
      this.gate.open(this.unelectedTerm.signal);
      this.metrics.isLeader.set(1);
      this.startQueues();
      return;
    }
    this.elector = new LeaderElector({
      kubeConfig: this.kc,
      namespace: o.leaderElectionNamespace,
      name: o.leaderElectionId,
      identity: o.identity,
      logger: this.logger,
      metrics: this.metrics,
      onStartedLeading: (signal) => {
        this.logger.info('became leader', { identity: o.identity });
        this.gate.open(signal);
        this.startQueues();
      },
      onStoppedLeading: async () => {
        // The leadership signal has already aborted: writes in flight are cancelled, new ones refused.
        this.gate.close();
        this.logger.warn('lost leadership; writes stopped, stopping work queues', { identity: o.identity });
        await this.stopQueues();
      },
      onNewLeader: (identity) => this.logger.info('leader observed', { leader: identity }),
    });
    this.elector.start();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.info('shutting down');
    this.gate.close(); // no new write from here on; the lease is released only after the queues have drained
    await this.stopQueues();
    this.unelectedTerm?.abort(new WritesStoppedError('operator stopped'));
    await this.elector?.stop().catch(() => undefined);
    await Promise.all([
      this.edgeSites.stop(),
      ...this.dcInformers.map((i) => i.stop()),
      this.secrets.stop(),
      this.members.stopAll(),
    ]);
    await this.health?.close().catch(() => undefined);
    this.logger.info('stopped');
  }
}
