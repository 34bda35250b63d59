// Wires the operator together: management informers (EdgeSites, DistributedClouds in the watched namespaces, the
// kubeconfig Secrets EdgeSites reference), member-cluster clients and informers, one work queue per controller (run
// only while leading) fed by the watches each controller declares, metrics, the health server and graceful shutdown.
import { CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
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
import { MemberClusters, type SecretLike } from './runtime/clusters.js';
import { startHealthServer, type HealthServer } from './runtime/http.js';
import { Informer, objectKey } from './runtime/informer.js';
import { RESOURCES } from './runtime/kube-http.js';
import { MemberInformers } from './runtime/member-informers.js';
import { LeaderElector } from './runtime/leader.js';
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
  private readonly dcInformers: Informer<Dc>[];
  private readonly dcs: InformerGroup<Dc>;
  private readonly secretInformers = new Map<string, Informer<V1Secret & KubernetesObject>>();
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
    this.dcInformers =
      options.namespaces.length === 0
        ? [new Informer<Dc>(this.kc, DISTRIBUTED_CLOUDS, common)]
        : options.namespaces.map((ns) => new Informer<Dc>(this.kc, DISTRIBUTED_CLOUDS, { ...common, namespace: ns }));
    this.dcs = new InformerGroup(this.dcInformers);
    const core = this.kc.makeApiClient(CoreV1Api);
    this.clusters = new MemberClusters({
      logger: this.logger,
      getSecret: async (namespace, name) => {
        const informer = this.secretsIn(namespace);
        if (informer.hasSynced()) return informer.getByName(name, namespace) as SecretLike | undefined;
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
      custom: this.kc.makeApiClient(CustomObjectsApi),
      edgeSites: this.edgeSites,
      distributedClouds: this.dcs,
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

  /** Secret informer of a namespace holding kubeconfig Secrets (started on first use). */
  private secretsIn(namespace: string): Informer<V1Secret & KubernetesObject> {
    let informer = this.secretInformers.get(namespace);
    if (!informer) {
      informer = new Informer<V1Secret & KubernetesObject>(this.kc, RESOURCES.secrets, {
        namespace,
        name: `secrets/${namespace}`,
        logger: this.logger,
        metrics: this.metrics,
      });
      const onSecret = this.dispatch<KubernetesObject>((w) => w.kubeconfigSecrets && ((s) => w.kubeconfigSecrets!(s)));
      informer.on({ add: (s) => onSecret(s), update: (s) => onSecret(s), delete: (s) => onSecret(s) });
      this.secretInformers.set(namespace, informer);
      informer.start();
    }
    return informer;
  }

  private readonly onEdgeSite = this.dispatch<Es>((w) => w.edgeSites?.bind(w));
  private readonly onDistributedCloud = this.dispatch<Dc>((w) => w.distributedClouds?.bind(w));

  private wireInformers(): void {
    const watchSecretsOf = (es: Es) => this.secretsIn(es.spec.kubeconfigSecretRef.namespace);
    this.edgeSites.on({
      add: (es) => {
        watchSecretsOf(es);
        this.onEdgeSite(es);
      },
      update: (es, old) => {
        if (es.spec.kubeconfigSecretRef.namespace !== old.spec.kubeconfigSecretRef.namespace) watchSecretsOf(es);
        this.onEdgeSite(es, old);
      },
      delete: (es) => this.onEdgeSite(es),
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
    for (const i of this.dcInformers) if (!i.hasSynced()) reasons.push(`informer ${i.name} not synced`);
    return { ready: reasons.length === 0, reasons };
  }

  private startQueues(): void {
    if (this.queues.size > 0 || this.stopping) return;
    for (const c of this.controllers) {
      const queue = new WorkQueue({
        name: c.queue.name,
        reconcile: (key) => c.reconcile(key),
        concurrency: this.options.concurrency,
        maxDelayMs: c.queue.maxDelayMs,
        hooks: this.metrics.queueHooks(c.name),
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
    for (const i of this.dcInformers) i.start();
    await Promise.all([this.edgeSites.waitForSync(), ...this.dcInformers.map((i) => i.waitForSync())]);
    // warm caches: member clients and informers for every known site, leader or not
    for (const es of this.edgeSites.list()) {
      this.secretsIn(es.spec.kubeconfigSecretRef.namespace);
      clientsOfSite(this.ctx, es).catch((error: unknown) =>
        this.logger.warn('member cluster clients unavailable', { site: objectKey(es), error: describeError(error) }),
      );
    }
    if (!o.leaderElect) {
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
      onStartedLeading: () => {
        this.logger.info('became leader', { identity: o.identity });
        this.startQueues();
      },
      onStoppedLeading: async () => {
        this.logger.warn('lost leadership; stopping work queues', { identity: o.identity });
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
    await this.stopQueues();
    await this.elector?.stop().catch(() => undefined);
    await Promise.all([
      this.edgeSites.stop(),
      ...this.dcInformers.map((i) => i.stop()),
      ...[...this.secretInformers.values()].map((i) => i.stop()),
      this.members.stopAll(),
    ]);
    await this.health?.close().catch(() => undefined);
    this.logger.info('stopped');
  }
}
