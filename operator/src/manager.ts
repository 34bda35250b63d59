// Wires the operator together: management informers (EdgeSites, DistributedClouds in the watched namespaces, exactly
// the kubeconfig Secrets EdgeSites reference in the allowed namespaces), member-cluster clients and informers, one
// work queue per controller (run only while leading) fed by the watches each controller declares, the write gate
// (every write to any cluster passes only while leading), metrics, the health server and graceful shutdown.
import { CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { DistributedCloudController } from './controllers/distributedcloud.js';
import { EdgeSiteController } from './controllers/edgesite.js';
import {
  clientsOfSite,
  type Controller,
  type ControllerContext,
  type ControllerOptions,
  type Dc,
  type Es,
  type ObjectCache,
} from './controllers/context.js';
import { DISTRIBUTED_CLOUDS, EDGE_SITES } from './engine/resources.js';
import { RESOURCES } from './runtime/kube-http.js';
import { MemberClusters, type SecretLike } from './runtime/clusters.js';
import { startHealthServer, type HealthServer } from './runtime/http.js';
import { Informer, objectKey } from './runtime/informer.js';
import { MemberInformers } from './runtime/member-informers.js';
import { LeaderElector } from './runtime/leader.js';
import { ReferencedSecrets } from './runtime/secrets.js';
import { WriteGate, WritesStoppedError, gatedApiClient } from './runtime/writegate.js';
import { createLogger, type Logger } from './runtime/logger.js';
import { OperatorMetrics } from './runtime/metrics.js';
import { loggingQueueHooks } from './runtime/reconcile-log.js';
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

export class Manager {
  readonly logger: Logger;
  readonly metrics = new OperatorMetrics({ processMetrics: true });
  private readonly kc: KubeConfig;
  private readonly edgeSites: Informer<Es>;
  /** Namespaces of the management cluster: their labels decide which EdgeSites admit their DistributedClouds. */
  private readonly namespaceInformer: Informer<KubernetesObject>;
  private readonly dcInformers: Informer<Dc>[];
  private readonly dcs: InformerGroup<Dc>;
  private readonly secrets: ReferencedSecrets;
  /** Open while this replica may write (leading, or always without leader election); checked before every write. */
  private readonly gate = new WriteGate();
  private unelectedTerm?: AbortController;
  private readonly clusters: MemberClusters;
  private readonly members: MemberInformers;
  private readonly ctx: ControllerContext;
  private readonly controllers: Controller[];
  /** Work queues by controller name; present only while leading. */
  private queues = new Map<string, WorkQueue>();
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
    this.edgeSites = new Informer<Es>(this.kc, EDGE_SITES, common);
    this.namespaceInformer = new Informer<KubernetesObject>(this.kc, RESOURCES.namespaces, common);
    this.dcInformers =
      options.namespaces.length === 0
        ? [new Informer<Dc>(this.kc, DISTRIBUTED_CLOUDS, common)]
        : options.namespaces.map((ns) => new Informer<Dc>(this.kc, DISTRIBUTED_CLOUDS, { ...common, namespace: ns }));
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
    const ctx: Omit<ControllerContext, 'members'> & { members?: MemberInformers } = {
      kubeConfig: this.kc,
      core,
      custom: gatedApiClient(this.kc, CustomObjectsApi, this.gate),
      edgeSites: this.edgeSites,
      distributedClouds: this.dcs,
      namespaces: this.namespaceInformer,
      clusters: this.clusters,
      metrics: this.metrics,
      logger: this.logger,
      options,
      identity: options.identity,
    };
    this.ctx = ctx as ControllerContext;
    this.controllers = [new EdgeSiteController(this.ctx), new DistributedCloudController(this.ctx)];
    // member-cluster objects are watched as the (one) controller declaring them says, feeding its queue
    const owner = this.controllers.find((c) => c.watches.memberObjects);
    if (!owner?.watches.memberObjects) throw new Error('no controller watches member-cluster objects');
    this.members = new MemberInformers(
      { add: (key) => this.queues.get(owner.name)?.add(key) },
      { ...owner.watches.memberObjects, logger: this.logger, metrics: this.metrics },
    );
    ctx.members = this.members; // the controllers read it only once running
  }

  /** Enqueues, in every controller's queue, the keys its watch maps an event to. */
  private dispatch<T>(watch: (w: Controller['watches']) => ((obj: T, old: T | undefined) => string[]) | undefined) {
    return (obj: T, old?: T): void => {
      for (const c of this.controllers) {
        const queue = this.queues.get(c.name); // none while not leading
        const keysOf = watch(c.watches);
        if (queue && keysOf) for (const key of keysOf(obj, old)) queue.add(key);
      }
    };
  }

  /** Watch exactly the kubeconfig Secrets the EdgeSites reference now (allowed namespaces only). */
  private syncSecretWatches(): void {
    this.secrets.sync(this.edgeSites.list().map((es) => es.spec.kubeconfigSecretRef));
  }

  /** A referenced Secret changed: every controller enqueues what its kubeconfigSecrets watch maps it to. */
  private secretChanged(namespace: string, name: string): void {
    this.onKubeconfigSecret({ metadata: { namespace, name } });
  }

  private readonly onKubeconfigSecret = this.dispatch<KubernetesObject>(
    (w) => w.kubeconfigSecrets && ((s) => w.kubeconfigSecrets!(s)),
  );

  private readonly onEdgeSite = this.dispatch<Es>((w) => w.edgeSites?.bind(w));
  private readonly onDistributedCloud = this.dispatch<Dc>((w) => w.distributedClouds?.bind(w));
  private readonly onNamespace = this.dispatch<KubernetesObject>((w) => w.namespaces?.bind(w));

  private wireInformers(): void {
    this.edgeSites.on({
      add: (es) => {
        this.syncSecretWatches();
        this.onEdgeSite(es);
      },
      update: (es, old) => {
        if (JSON.stringify(es.spec.kubeconfigSecretRef) !== JSON.stringify(old.spec.kubeconfigSecretRef))
          this.syncSecretWatches();
        this.onEdgeSite(es, old);
      },
      delete: (es) => {
        this.syncSecretWatches();
        this.onEdgeSite(es);
      },
    });
    this.namespaceInformer.on({
      add: (ns) => this.onNamespace(ns),
      update: (ns, old) => this.onNamespace(ns, old),
      delete: (ns) => this.onNamespace(ns),
    });
    for (const informer of this.dcInformers)
      informer.on({
        add: (dc) => this.onDistributedCloud(dc),
        update: (dc, old) => this.onDistributedCloud(dc, old),
        delete: (dc) => this.onDistributedCloud(dc),
      });
  }

  private synced(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.edgeSites.hasSynced()) reasons.push('informer edgesites not synced');
    if (!this.namespaceInformer.hasSynced()) reasons.push('informer namespaces not synced');
    for (const i of this.dcInformers) if (!i.hasSynced()) reasons.push(`informer ${i.name} not synced`);
    return { ready: reasons.length === 0, reasons };
  }

  private startQueues(): void {
    if (this.queues.size > 0 || this.stopping) return;
    for (const c of this.controllers) {
      c.reset?.();
      const queue = new WorkQueue({
        name: c.queue.name,
        reconcile: (key) => c.reconcile(key),
        concurrency: this.options.concurrency,
        maxDelayMs: c.queue.maxDelayMs,
        hooks: loggingQueueHooks(this.logger, c.name, this.metrics.queueHooks(c.name)),
      });
      this.queues.set(c.name, queue);
      queue.start();
    }
    // what is already cached, as if just added
    for (const es of this.edgeSites.list()) this.onEdgeSite(es);
    for (const dc of this.dcs.list()) this.onDistributedCloud(dc);
    this.logger.info('work queues started', {
      edgeSites: this.edgeSites.list().length,
      distributedClouds: this.dcs.list().length,
    });
  }

  private async stopQueues(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues = new Map();
    await Promise.all(queues.map((q) => q.shutdown()));
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
    this.namespaceInformer.start();
    for (const i of this.dcInformers) i.start();
    await Promise.all([
      this.edgeSites.waitForSync(),
      this.namespaceInformer.waitForSync(),
      ...this.dcInformers.map((i) => i.waitForSync()),
    ]);
    // warm caches: member clients and informers for every known site, leader or not
    this.syncSecretWatches();
    for (const es of this.edgeSites.list()) {
      clientsOfSite(this.ctx, es).catch((error: unknown) =>
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
      this.namespaceInformer.stop(),
      ...this.dcInformers.map((i) => i.stop()),
      this.secrets.stop(),
      this.members.stopAll(),
    ]);
    await this.health?.close().catch(() => undefined);
    this.logger.info('stopped');
  }
}
