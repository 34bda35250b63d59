// Local fleet of real Kubernetes control planes (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)
// managed by kwokctl's binary runtime, with kwok simulating labelled nodes. Loopback only.
// Layout under the fleet dir: kwok/ (kwokctl workdir), kubeconfigs/<cluster>.yaml, kubeconfig (merged), stages.yaml.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  StorageV1Api,
  VersionApi,
  setHeaderOptions,
  type V1Node,
} from '@kubernetes/client-node';
import { dump as yamlDump, loadAll as yamlLoadAll } from 'js-yaml';
import { processAlive, stopBackgroundOperator } from './operator-process.js';
import { kwokStagesYaml } from './stages.js';

const run = promisify(execFile);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MANAGEMENT_CLUSTER = 'mgmt';
/** EdgeSite name of the core site, which the management cluster hosts. */
export const CORE_SITE = 'core';
export const SITE_SECRET_NAMESPACE = 'discovery-system';

export interface FleetOptions {
  /** Fleet state directory (default <repo>/.fleet, or $DISCOVERY_FLEET_DIR). */
  dir: string;
  /** Number of edge clusters (default 3, or $DISCOVERY_FLEET_EDGES). */
  edges: number;
  /** Directory holding the tool binaries (default <repo>/.tools/bin). */
  binDir: string;
  /** First loopback port of the fleet; cluster i uses portBase + 10*i .. +5 (default 26400, $DISCOVERY_FLEET_PORT_BASE). */
  portBase: number;
  log: (msg: string) => void;
}

export function defaultFleetOptions(overrides: Partial<FleetOptions> = {}): FleetOptions {
  const edges = overrides.edges ?? Number(process.env.DISCOVERY_FLEET_EDGES ?? 3);
  if (!Number.isInteger(edges) || edges < 0 || edges > 20)
    throw new Error(`edges must be an integer in 0..20, got ${edges}`);
  return {
    dir: overrides.dir ?? process.env.DISCOVERY_FLEET_DIR ?? path.join(REPO_ROOT, '.fleet'),
    edges,
    binDir: overrides.binDir ?? path.join(REPO_ROOT, '.tools', 'bin'),
    portBase: overrides.portBase ?? Number(process.env.DISCOVERY_FLEET_PORT_BASE ?? 26400),
    log: overrides.log ?? ((m) => console.log(m)),
  };
}

export function clusterNames(edges: number): string[] {
  return [MANAGEMENT_CLUSTER, ...Array.from({ length: edges }, (_, i) => `edge-${i + 1}`)];
}

/** EdgeSite name for a cluster: the management cluster hosts the core site. */
export function siteForCluster(cluster: string): string {
  return cluster === MANAGEMENT_CLUSTER ? CORE_SITE : cluster;
}

export function kubeconfigPath(dir: string, cluster: string): string {
  return path.join(dir, 'kubeconfigs', `${cluster}.yaml`);
}

export function loadKubeConfig(dir: string, cluster: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath(dir, cluster));
  return kc;
}

function kwokEnv(opts: FleetOptions): NodeJS.ProcessEnv {
  return { ...process.env, KWOK_WORKDIR: path.join(opts.dir, 'kwok') };
}

async function kwokctl(opts: FleetOptions, args: string[], timeoutMs = 180_000): Promise<string> {
  const bin = path.join(opts.binDir, 'kwokctl');
  try {
    const { stdout } = await run(bin, args, { env: kwokEnv(opts), timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kwokctl ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}

export function requireTools(opts: FleetOptions): void {
  const missing = ['kwokctl', 'kwok', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl']
    .map((b) => path.join(opts.binDir, b))
    .filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`missing tool binaries: ${missing.join(', ')}. Build them with: npm run tools`);
  }
}

/** Fixed loopback ports per cluster: kwokctl's random picks race when several clusters start in parallel. */
export function clusterPorts(opts: FleetOptions, cluster: string) {
  const i = clusterNames(opts.edges).indexOf(cluster);
  if (i < 0) throw new Error(`unknown fleet cluster ${cluster}`);
  const b = opts.portBase + 10 * i;
  return { apiserver: b, etcd: b + 1, etcdPeer: b + 2, controllerManager: b + 3, scheduler: b + 4, kwok: b + 5 };
}

function kwokctlConfig(opts: FleetOptions, cluster: string): string {
  const b = (name: string) => path.join(opts.binDir, name);
  const ports = clusterPorts(opts, cluster);
  const cfg = {
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokctlConfiguration',
    options: {
      runtime: 'binary',
      bindAddress: '127.0.0.1',
      kubeApiserverPort: ports.apiserver,
      etcdPort: ports.etcd,
      etcdPeerPort: ports.etcdPeer,
      kubeControllerManagerPort: ports.controllerManager,
      kubeSchedulerPort: ports.scheduler,
      kwokControllerPort: ports.kwok,
      kubeApiserverBinary: b('kube-apiserver'),
      kubeControllerManagerBinary: b('kube-controller-manager'),
      kubeSchedulerBinary: b('kube-scheduler'),
      kubectlBinary: b('kubectl'),
      etcdBinary: b('etcd'),
      kwokControllerBinary: b('kwok'),
      disableQPSLimits: true,
      cacheDir: path.join(opts.dir, 'kwok', 'cache'),
    },
    // kube-controller-manager's development hostPath provisioner gives PersistentVolumeClaims real, bound
    // volumes (directories under /tmp/hostpath_pv on this machine), so StatefulSets with claims become Ready.
    // One instance each, so no leader election: with it, kube-controller-manager and kube-scheduler exit when their
    // API server is down longer than the renew deadline (fault tests stop it), and kwokctl start may not restart them
    // (their pid, reused meanwhile on a busy machine, looks alive): the cluster then runs no Job or rollout again.
    componentsPatches: [
      {
        name: 'kube-controller-manager',
        extraArgs: [
          { key: 'enable-hostpath-provisioner', value: 'true' },
          { key: 'leader-elect', value: 'false' },
        ],
      },
      { name: 'kube-scheduler', extraArgs: [{ key: 'leader-elect', value: 'false' }] },
    ],
  };
  return `${yamlDump(cfg)}---\n${kwokStagesYaml()}`;
}

async function assertPortsFree(opts: FleetOptions, cluster: string): Promise<void> {
  const { createServer } = await import('node:net');
  for (const [what, port] of Object.entries(clusterPorts(opts, cluster))) {
    await new Promise<void>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', () =>
        reject(
          new Error(
            `port 127.0.0.1:${port} (${cluster} ${what}) is in use; stop what holds it or set DISCOVERY_FLEET_PORT_BASE`,
          ),
        ),
      );
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
    });
  }
}

export async function existingClusters(opts: FleetOptions): Promise<string[]> {
  if (!existsSync(path.join(opts.dir, 'kwok', 'clusters'))) return [];
  const out = await kwokctl(opts, ['get', 'clusters']);
  return out
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface ClusterHealth {
  name: string;
  site: string;
  server: string;
  ready: boolean;
  version?: string;
  nodes?: number;
  readyNodes?: number;
  error?: string;
}

/** Probes one cluster's API server: /version and its nodes. Never throws. */
export async function probeCluster(opts: FleetOptions, cluster: string, timeoutMs = 3000): Promise<ClusterHealth> {
  const health: ClusterHealth = { name: cluster, site: siteForCluster(cluster), server: '', ready: false };
  try {
    const kc = loadKubeConfig(opts.dir, cluster);
    health.server = kc.getCurrentCluster()?.server ?? '';
    const signal = AbortSignal.timeout(timeoutMs);
    const version = await kc.makeApiClient(VersionApi).getCode({ signal } as never);
    health.version = version.gitVersion;
    const nodes = await kc.makeApiClient(CoreV1Api).listNode();
    health.nodes = nodes.items.length;
    health.readyNodes = nodes.items.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    health.ready = health.nodes > 0 && health.readyNodes === health.nodes;
  } catch (err) {
    health.error = (err as Error).message.split('\n')[0];
  }
  return health;
}

/**
 * Region and zone for a site's nodes: those of the sample EdgeSite of the same name (crds/samples/sites.yaml), so the
 * samples' per-site nodeSelectors match the fleet; `<site>` / `<site>-a` for sites the samples do not describe.
 */
export function siteTopology(site: string): { region: string; zone: string } {
  const file = path.join(REPO_ROOT, 'crds', 'samples', 'sites.yaml');
  const docs = existsSync(file)
    ? (yamlLoadAll(readFileSync(file, 'utf8')) as {
        kind?: string;
        metadata?: { name?: string };
        spec?: { region?: string; zone?: string };
      }[])
    : [];
  const sample = docs.find((d) => d?.kind === 'EdgeSite' && d.metadata?.name === site)?.spec;
  const region = sample?.region ?? site;
  return { region, zone: sample?.zone ?? `${region}-a` };
}

function nodesFor(cluster: string): V1Node[] {
  const site = siteForCluster(cluster);
  const { region, zone } = siteTopology(site);
  const node = (name: string, role: 'control-plane' | 'compute'): V1Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        [`node-role.kubernetes.io/${role}`]: '',
        ...(role === 'control-plane'
          ? { 'openstack-control-plane': 'enabled' }
          : { 'openstack-compute-node': 'enabled' }),
        'topology.kubernetes.io/region': region,
        'topology.kubernetes.io/zone': zone,
      },
    },
    spec: {},
  });
  return [
    node(`${cluster}-cp-0`, 'control-plane'),
    node(`${cluster}-cp-1`, 'control-plane'),
    node(`${cluster}-compute-0`, 'compute'),
    node(`${cluster}-compute-1`, 'compute'),
  ];
}

async function ignoreConflict<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if ((err as { code?: number }).code === 409) return undefined;
    throw err;
  }
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = (err as Error).message.split('\n')[0] ?? '';
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastErr ? `: ${lastErr}` : ''}`);
}

/** Registers nodes and waits until they are Ready and the default ServiceAccount exists (pods can be created). */
async function prepareCluster(opts: FleetOptions, cluster: string): Promise<void> {
  const core = loadKubeConfig(opts.dir, cluster).makeApiClient(CoreV1Api);
  await waitFor(`${cluster} API server`, 60_000, async () => (await core.listNamespace()).items.length > 0);
  for (const n of nodesFor(cluster)) {
    const created = await ignoreConflict(core.createNode({ body: n }));
    // An existing node keeps its name but gets today's labels (e.g. after the samples' zones changed).
    if (!created) {
      await core.patchNode(
        { name: n.metadata!.name!, body: { metadata: { labels: n.metadata!.labels } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  }
  await ignoreConflict(
    loadKubeConfig(opts.dir, cluster)
      .makeApiClient(StorageV1Api)
      .createStorageClass({
        body: {
          metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
          provisioner: 'kubernetes.io/host-path',
          reclaimPolicy: 'Delete',
          volumeBindingMode: 'Immediate',
        },
      }),
  );
  await waitFor(`${cluster} nodes Ready`, 60_000, async () => (await probeCluster(opts, cluster)).ready);
  await waitFor(`${cluster} default ServiceAccount`, 60_000, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
    return true;
  });
}

function writeMergedKubeconfig(opts: FleetOptions, clusters: string[]): void {
  const merged = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [] as unknown[],
    users: [] as unknown[],
    contexts: [] as unknown[],
    'current-context': MANAGEMENT_CLUSTER,
  };
  for (const c of clusters) {
    const kc = loadKubeConfig(opts.dir, c);
    const cl = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    if (!cl || !user) throw new Error(`kubeconfig of ${c} has no current cluster/user`);
    merged.clusters.push({
      name: c,
      cluster: { server: cl.server, 'certificate-authority-data': caData(cl.caData, cl.caFile) },
    });
    merged.users.push({
      name: c,
      user: {
        'client-certificate-data': caData(user.certData, user.certFile),
        'client-key-data': caData(user.keyData, user.keyFile),
      },
    });
    merged.contexts.push({ name: c, context: { cluster: c, user: c } });
  }
  writeFileSync(path.join(opts.dir, 'kubeconfig'), yamlDump(merged), { mode: 0o600 });
}

function caData(data: string | undefined, file: string | undefined): string | undefined {
  if (data) return data;
  if (file) return readFileSync(file).toString('base64');
  return undefined;
}

/** A self-contained kubeconfig (certificates inlined) for one cluster, as stored in the EdgeSite Secrets. */
export function inlineKubeconfig(opts: FleetOptions, cluster: string): string {
  const kc = loadKubeConfig(opts.dir, cluster);
  const cl = kc.getCurrentCluster()!;
  const user = kc.getCurrentUser()!;
  return yamlDump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: cluster, cluster: { server: cl.server, 'certificate-authority-data': caData(cl.caData, cl.caFile) } },
    ],
    users: [
      {
        name: cluster,
        user: {
          'client-certificate-data': caData(user.certData, user.certFile),
          'client-key-data': caData(user.keyData, user.keyFile),
        },
      },
    ],
    contexts: [{ name: cluster, context: { cluster, user: cluster } }],
    'current-context': cluster,
  });
}

/** Secrets in the management cluster holding each member cluster's kubeconfig (referenced by the sample EdgeSites). */
async function registerSiteSecrets(opts: FleetOptions, clusters: string[]): Promise<void> {
  const core = loadKubeConfig(opts.dir, MANAGEMENT_CLUSTER).makeApiClient(CoreV1Api);
  await ignoreConflict(core.createNamespace({ body: { metadata: { name: SITE_SECRET_NAMESPACE } } }));
  for (const c of clusters) {
    const name = `kubeconfig-${siteForCluster(c)}`;
    const body = {
      metadata: {
        name,
        namespace: SITE_SECRET_NAMESPACE,
        labels: { 'app.kubernetes.io/part-of': 'discovery', 'discovery.beyondtheclouds.io/fleet-cluster': c },
      },
      type: 'Opaque',
      stringData: { kubeconfig: inlineKubeconfig(opts, c) },
    };
    const created = await ignoreConflict(core.createNamespacedSecret({ namespace: SITE_SECRET_NAMESPACE, body }));
    if (!created) await core.replaceNamespacedSecret({ name, namespace: SITE_SECRET_NAMESPACE, body });
  }
}

async function createOrStart(
  opts: FleetOptions,
  cluster: string,
  existing: string[],
): Promise<'created' | 'reused' | 'restarted'> {
  const kcPath = kubeconfigPath(opts.dir, cluster);
  if (existing.includes(cluster) && existsSync(kcPath)) {
    const h = await probeCluster(opts, cluster);
    if (h.version) return 'reused';
    await kwokctl(opts, ['start', 'cluster', '--name', cluster]);
    return 'restarted';
  }
  if (existing.includes(cluster)) await kwokctl(opts, ['delete', 'cluster', '--name', cluster]);
  await assertPortsFree(opts, cluster);
  const config = path.join(opts.dir, `kwokctl-${cluster}.yaml`);
  writeFileSync(config, kwokctlConfig(opts, cluster));
  await kwokctl(opts, [
    'create',
    'cluster',
    '--name',
    cluster,
    '--config',
    config,
    '--kubeconfig',
    kcPath,
    '--wait',
    '60s',
  ]);
  return 'created';
}

/** Brings every cluster up (idempotent: running clusters are reused, stopped ones restarted). */
export async function fleetUp(opts: FleetOptions): Promise<ClusterHealth[]> {
  requireTools(opts);
  const t0 = Date.now();
  mkdirSync(path.join(opts.dir, 'kubeconfigs'), { recursive: true });
  const clusters = clusterNames(opts.edges);
  const existing = await existingClusters(opts);
  const stale = existing.filter((c) => !clusters.includes(c));
  for (const c of stale) {
    opts.log(`[fleet] deleting cluster ${c} (not part of a fleet with ${opts.edges} edge clusters)`);
    await kwokctl(opts, ['delete', 'cluster', '--name', c]);
  }
  opts.log(`[fleet] bringing up ${clusters.length} clusters: ${clusters.join(', ')}`);
  await Promise.all(
    clusters.map(async (c) => {
      const how = await createOrStart(opts, c, existing);
      await prepareCluster(opts, c);
      opts.log(`[fleet] ${c}: ${how}, ready after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }),
  );
  writeMergedKubeconfig(opts, clusters);
  await registerSiteSecrets(opts, clusters);
  const health = await Promise.all(clusters.map((c) => probeCluster(opts, c)));
  opts.log(
    `[fleet] up in ${((Date.now() - t0) / 1000).toFixed(1)}s; merged kubeconfig: ${path.join(opts.dir, 'kubeconfig')}`,
  );
  return health;
}

/** Stops the main job's operator and every fleet cluster (all processes kwokctl started), and removes their state. */
export async function fleetDown(opts: FleetOptions): Promise<void> {
  if (await stopBackgroundOperator(opts.dir)) opts.log('[fleet] stopped the operator started by the main job');
  const existing = await existingClusters(opts);
  await Promise.all(
    existing.map(async (c) => {
      await kwokctl(opts, ['delete', 'cluster', '--name', c]);
      opts.log(`[fleet] deleted ${c}`);
    }),
  );
  rmSync(path.join(opts.dir, 'kubeconfigs'), { recursive: true, force: true });
  rmSync(path.join(opts.dir, 'kubeconfig'), { force: true });
}

export async function fleetStatus(opts: FleetOptions): Promise<ClusterHealth[]> {
  const existing = await existingClusters(opts);
  return Promise.all(existing.map((c) => probeCluster(opts, c)));
}

function pidFile(opts: FleetOptions, cluster: string, component: string): string {
  return path.join(opts.dir, 'kwok', 'clusters', cluster, 'pids', `${component}.pid`);
}

function componentPid(opts: FleetOptions, cluster: string, component: string): number | undefined {
  const f = pidFile(opts, cluster, component);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Stops one cluster's kube-apiserver (for fault tests); other components and clusters keep running. */
export async function stopApiServer(opts: FleetOptions, cluster: string): Promise<void> {
  const pid = componentPid(opts, cluster, 'kube-apiserver');
  if (pid === undefined || !processAlive(pid)) return;
  // kube-apiserver drains long-running watches on SIGTERM for up to a minute; a fault test wants it gone now.
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor(`${cluster} kube-apiserver to exit`, 3_000, async () => !processAlive(pid));
  } catch {
    process.kill(pid, 'SIGKILL');
    await waitFor(`${cluster} kube-apiserver to exit after SIGKILL`, 10_000, async () => !processAlive(pid));
  }
  // kwokctl treats a pid that still exists (even as an unreaped zombie) as running and would not restart it.
  rmSync(pidFile(opts, cluster, 'kube-apiserver'), { force: true });
}

/** Restarts a stopped kube-apiserver (kwokctl start only starts components that are not running). */
export async function startApiServer(opts: FleetOptions, cluster: string): Promise<void> {
  await kwokctl(opts, ['start', 'cluster', '--name', cluster]);
  const core = loadKubeConfig(opts.dir, cluster).makeApiClient(CoreV1Api);
  await waitFor(`${cluster} API server`, 60_000, async () => (await core.listNamespace()).items.length > 0);
}
