// Local fleet of real Kubernetes control planes (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)
// managed by kwokctl's binary runtime. Nodes (--nodes): kwok-simulated labelled nodes on loopback (kwok, the
// default), or one real node per cluster (real: kubelet + containerd + kube-proxy, see nodes.ts), or both (mixed:
// the real node runs infrastructure, kwok nodes take the OpenStack workloads). With real nodes each cluster — its
// control plane and its node — lives in a network namespace of its own, with its own address on a bridge standing
// for the WAN.
// Layout under the fleet dir: kwok/ (kwokctl workdir), kubeconfigs/<cluster>.yaml, kubeconfig (merged),
// fleet.json (mode), nodes/<cluster>/ (real nodes' configs, certificates and logs).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  AppsV1Api,
  StorageV1Api,
  VersionApi,
  setHeaderOptions,
  type V1Node,
} from '@kubernetes/client-node';
import { dump as yamlDump, load as yamlLoad, loadAll as yamlLoadAll } from 'js-yaml';
import { FLEET_NODE_LABEL, applyObjects, coreDnsObjects, localPathObjects } from './addons.js';
import { fleetImageArchives, fleetImageRef } from './images.js';
import {
  NODE_MODES,
  nodeLayout,
  realNetwork,
  type NodeLayout,
  type NodeMode,
  type RealNetwork,
} from './node-config.js';
import {
  ensureNodeNetwork,
  ensureWan,
  inNetns,
  realNodeLeftovers,
  removeNodeNetwork,
  removePodLogLinks,
  removeWan,
  requireRealNodeHost,
  sh,
  startRealNode,
  stopRealNode,
} from './nodes.js';
import { processAlive, stopBackgroundOperator } from './operator-process.js';
import { kwokStagesYaml } from './stages.js';

const run = promisify(execFile);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MANAGEMENT_CLUSTER = 'mgmt';
/** EdgeSite name of the core site, which the management cluster hosts. */
export const CORE_SITE = 'core';
export const SITE_SECRET_NAMESPACE = 'discovery-system';
/** ClusterIP of the `kubernetes` Service: the first address of kube-apiserver's default range 10.0.0.0/24. */
export const KUBERNETES_SERVICE_IP = '10.0.0.1';

export interface FleetOptions {
  /** Fleet state directory (default <repo>/.fleet, or $DISCOVERY_FLEET_DIR). */
  dir: string;
  /** Number of edge clusters (default 3, or $DISCOVERY_FLEET_EDGES). */
  edges: number;
  /** Directory holding the tool binaries (default <repo>/.tools/bin). */
  binDir: string;
  /** First loopback port of the fleet; cluster i uses portBase + 10*i .. +5 (default 26400, $DISCOVERY_FLEET_PORT_BASE). */
  portBase: number;
  /** kwok (simulated nodes), real (one real node per cluster) or mixed (both); default kwok, $DISCOVERY_FLEET_NODES. */
  nodes: NodeMode;
  log: (msg: string) => void;
}

export function defaultFleetOptions(overrides: Partial<FleetOptions> = {}): FleetOptions {
  const edges = overrides.edges ?? Number(process.env.DISCOVERY_FLEET_EDGES ?? 3);
  if (!Number.isInteger(edges) || edges < 0 || edges > 20)
    throw new Error(`edges must be an integer in 0..20, got ${edges}`);
  const nodes = (overrides.nodes ?? process.env.DISCOVERY_FLEET_NODES ?? 'kwok') as NodeMode;
  if (!NODE_MODES.includes(nodes)) throw new Error(`nodes must be one of ${NODE_MODES.join(', ')}, got "${nodes}"`);
  return {
    dir: overrides.dir ?? process.env.DISCOVERY_FLEET_DIR ?? path.join(REPO_ROOT, '.fleet'),
    edges,
    binDir: overrides.binDir ?? path.join(REPO_ROOT, '.tools', 'bin'),
    portBase: overrides.portBase ?? Number(process.env.DISCOVERY_FLEET_PORT_BASE ?? 26400),
    nodes,
    log: overrides.log ?? ((m) => console.log(m)),
  };
}

/** What a running fleet was brought up with (fleet.json), so down/status/tests act on the fleet that exists. */
export interface FleetState {
  nodes: NodeMode;
  edges: number;
  /** Port base: with real nodes it also names the host objects (tag, bridge, subnet), so down must use this one. */
  portBase: number;
}

export function readFleetState(dir: string): FleetState | undefined {
  const f = path.join(dir, 'fleet.json');
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as FleetState;
  } catch {
    return undefined;
  }
}

function writeFleetState(opts: FleetOptions): void {
  mkdirSync(opts.dir, { recursive: true });
  const state: FleetState = { nodes: opts.nodes, edges: opts.edges, portBase: opts.portBase };
  writeFileSync(path.join(opts.dir, 'fleet.json'), `${JSON.stringify(state)}\n`);
}

/** The options of the fleet that exists in opts.dir (down/status must not guess its mode, size or port base). */
export function effectiveOptions(opts: FleetOptions): FleetOptions {
  const state = readFleetState(opts.dir);
  if (!state) return opts;
  return { ...opts, nodes: state.nodes, edges: state.edges ?? opts.edges, portBase: state.portBase ?? opts.portBase };
}

export function hasRealNodes(opts: FleetOptions): boolean {
  return opts.nodes === 'real' || opts.nodes === 'mixed';
}

/** Network of the fleet's real nodes (its names and addresses derive from the port base). */
export function fleetNetwork(opts: FleetOptions): RealNetwork {
  return realNetwork(opts.portBase);
}

/** The real node of a cluster (meaningful when hasRealNodes). */
export function clusterNode(opts: FleetOptions, cluster: string): NodeLayout {
  const i = clusterNames(opts.edges).indexOf(cluster);
  if (i < 0) throw new Error(`unknown fleet cluster ${cluster}`);
  return nodeLayout(fleetNetwork(opts), opts.dir, cluster, i);
}

/** `ctr -n k8s.io` against the containerd of a cluster's real node. */
export function nodeCtr(opts: FleetOptions, cluster: string): (args: string[]) => Promise<string> {
  const node = clusterNode(opts, cluster);
  return (args) => sh(path.join(opts.binDir, 'ctr'), ['-a', node.containerdSocket, '-n', 'k8s.io', ...args], 900_000);
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

/**
 * Runs kwokctl. With real nodes, commands that start a cluster's components run inside that cluster's network
 * namespace (`inCluster`), so its control plane listens on the node's address and reaches the kubelet locally.
 */
async function kwokctl(opts: FleetOptions, args: string[], inCluster?: string, timeoutMs = 180_000): Promise<string> {
  const bin = path.join(opts.binDir, 'kwokctl');
  const [cmd, argv] =
    inCluster && hasRealNodes(opts) ? inNetns(clusterNode(opts, inCluster).netns, bin, args) : [bin, args];
  try {
    const { stdout } = await run(cmd, argv, { env: kwokEnv(opts), timeout: timeoutMs, maxBuffer: 16 << 20 });
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

/** kwokctl's certificate directory of a cluster (CA, and the admin certificate the API server also serves with). */
export function clusterPki(opts: FleetOptions, cluster: string) {
  const dir = path.join(opts.dir, 'kwok', 'clusters', cluster, 'pki');
  return {
    dir,
    caCrt: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    adminCrt: path.join(dir, 'admin.crt'),
    adminKey: path.join(dir, 'admin.key'),
  };
}

function kwokctlConfig(opts: FleetOptions, cluster: string): string {
  const b = (name: string) => path.join(opts.binDir, name);
  const ports = clusterPorts(opts, cluster);
  const real = hasRealNodes(opts);
  const node = real ? clusterNode(opts, cluster) : undefined;
  const pki = clusterPki(opts, cluster);
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
      // Pods reach the API server through the kubernetes Service (first address of the default service range).
      ...(node ? { kubeApiserverCertSANs: [node.ip, KUBERNETES_SERVICE_IP] } : {}),
    },
    // One kube-controller-manager and kube-scheduler per cluster, so no leader election: with it, they exit when
    // their API server is down longer than the renew deadline (fault tests stop it), and kwokctl start may not restart
    // them (their pid, reused meanwhile on a busy machine, looks alive): the cluster then runs no Job or rollout again.
    componentsPatches: [
      {
        name: 'kube-controller-manager',
        extraArgs: [
          // The development hostPath provisioner gives PersistentVolumeClaims bound volumes (directories under
          // /tmp/hostpath_pv), so simulated StatefulSets with claims become Ready. Real nodes use the local-path
          // provisioner (addons.ts) instead: its directories are writable by non-root pods.
          ...(opts.nodes === 'real' ? [] : [{ key: 'enable-hostpath-provisioner', value: 'true' }]),
          { key: 'leader-elect', value: 'false' },
        ],
      },
      { name: 'kube-scheduler', extraArgs: [{ key: 'leader-elect', value: 'false' }] },
      ...(node
        ? [
            {
              // The API server answers on the node's address too (pods reach it through the kubernetes Service,
              // other sites and the host through the WAN bridge), and talks to the kubelet with the admin
              // certificate, verifying the kubelet's serving certificate with the cluster CA.
              name: 'kube-apiserver',
              extraArgs: [
                { key: 'bind-address', value: '0.0.0.0', override: true },
                { key: 'advertise-address', value: node.ip },
                { key: 'kubelet-client-certificate', value: pki.adminCrt },
                { key: 'kubelet-client-key', value: pki.adminKey },
                { key: 'kubelet-certificate-authority', value: pki.caCrt },
                { key: 'kubelet-preferred-address-types', value: 'InternalIP' },
              ],
            },
            {
              // kwokctl's binary runtime lets kwok manage every node: keep it off the real one.
              name: 'kwok-controller',
              extraArgs: [
                { key: 'manage-all-nodes', value: 'false', override: true },
                { key: 'manage-nodes-with-annotation-selector', value: 'kwok.x-k8s.io/node=fake' },
                // simulated nodes report the real node's address (the site's address, EdgeSite status.address)
                { key: 'node-ip', value: node.ip },
              ],
            },
          ]
        : [
            {
              // Simulated nodes get an InternalIP, so the operator reads a site address back (EdgeSite
              // status.address) as on real clusters: 192.0.2.(10+i), documentation addresses nothing answers on.
              name: 'kwok-controller',
              extraArgs: [{ key: 'node-ip', value: `192.0.2.${10 + clusterNames(opts.edges).indexOf(cluster)}` }],
            },
          ]),
    ],
  };
  return `${yamlDump(cfg)}---\n${kwokStagesYaml()}`;
}

async function assertPortsFree(opts: FleetOptions, cluster: string): Promise<void> {
  // With real nodes the cluster's ports live in its own network namespace, fresh at creation.
  if (hasRealNodes(opts)) return;
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
  /** Real (kubelet) nodes among them, and how many are Ready. */
  realNodes?: number;
  realReady?: number;
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
    const isReady = (n: V1Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    health.readyNodes = nodes.items.filter(isReady).length;
    const real = nodes.items.filter((n) => n.metadata?.labels?.[FLEET_NODE_LABEL] === 'real');
    health.realNodes = real.length;
    health.realReady = real.filter(isReady).length;
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

/** Labels openstack-helm's charts (and Discovery's renderers) select nodes by. */
function openstackLabels(role: 'control-plane' | 'compute' | 'both'): Record<string, string> {
  return {
    ...(role !== 'compute' ? { 'openstack-control-plane': 'enabled' } : {}),
    ...(role !== 'control-plane' ? { 'openstack-compute-node': 'enabled' } : {}),
  };
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
        [FLEET_NODE_LABEL]: 'kwok',
        [`node-role.kubernetes.io/${role}`]: '',
        ...openstackLabels(role),
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

/**
 * Labels the kubelet may not set on itself (kubernetes.io namespaces): node roles. Real mode: the node runs
 * everything (control plane and compute roles); mixed: it runs infrastructure only and kwok nodes take OpenStack.
 */
function realNodeLabels(
  opts: FleetOptions,
  cluster: string,
): { kubelet: Record<string, string>; api: Record<string, string> } {
  const { region, zone } = siteTopology(siteForCluster(cluster));
  const openstack = opts.nodes === 'real' ? openstackLabels('both') : {};
  return {
    kubelet: {
      [FLEET_NODE_LABEL]: 'real',
      'topology.kubernetes.io/region': region,
      'topology.kubernetes.io/zone': zone,
      ...openstack,
    },
    api:
      opts.nodes === 'real'
        ? { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/compute': '' }
        : { 'node-role.kubernetes.io/infra': '' },
  };
}

/** Starts the cluster's real node, labels it, and installs the add-ons it needs (DNS, volume provisioner). */
async function prepareRealNode(opts: FleetOptions, cluster: string): Promise<void> {
  const node = clusterNode(opts, cluster);
  const pki = clusterPki(opts, cluster);
  const kc = loadKubeConfig(opts.dir, cluster);
  const labels = realNodeLabels(opts, cluster);
  await startRealNode({
    net: fleetNetwork(opts),
    node,
    binDir: opts.binDir,
    ca: { crt: pki.caCrt, key: pki.caKey },
    server: `https://${node.ip}:${clusterPorts(opts, cluster).apiserver}`,
    sandboxImage: fleetImageRef('pause'),
    images: fleetImageArchives(cluster === MANAGEMENT_CLUSTER ? 'management' : 'member'),
    nodeLabels: labels.kubelet,
    log: opts.log,
  });
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(`${cluster}: node ${node.nodeName} registered`, 60_000, async () => {
    await core.readNode({ name: node.nodeName });
    return true;
  });
  await core.patchNode(
    { name: node.nodeName, body: { metadata: { labels: labels.api } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await applyObjects(kc, [
    ...coreDnsObjects(fleetImageRef('coredns')),
    ...localPathObjects({
      provisionerImage: fleetImageRef('local-path-provisioner'),
      helperImage: fleetImageRef('toolbox'),
      volumesDir: node.volumesDir,
      // Real mode: the default class. Mixed: simulated workloads keep the hostPath "standard" class.
      storageClass: opts.nodes === 'real' ? 'standard' : 'local-path',
      isDefault: opts.nodes === 'real',
    }),
  ]);
}

/** Waits for a Deployment to have all its replicas available. */
async function waitDeploymentAvailable(kc: KubeConfig, namespace: string, name: string, timeoutMs: number) {
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor(`Deployment ${namespace}/${name} available`, timeoutMs, async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    return (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1);
  });
}

/** Registers nodes and waits until they are Ready and the default ServiceAccount exists (pods can be created). */
async function prepareCluster(opts: FleetOptions, cluster: string): Promise<void> {
  const kc = loadKubeConfig(opts.dir, cluster);
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(`${cluster} API server`, 60_000, async () => (await core.listNamespace()).items.length > 0);
  if (opts.nodes !== 'real') {
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
      kc.makeApiClient(StorageV1Api).createStorageClass({
        body: {
          metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
          provisioner: 'kubernetes.io/host-path',
          reclaimPolicy: 'Delete',
          volumeBindingMode: 'Immediate',
        },
      }),
    );
  }
  if (hasRealNodes(opts)) await prepareRealNode(opts, cluster);
  await waitFor(`${cluster} nodes Ready`, 120_000, async () => (await probeCluster(opts, cluster)).ready);
  await waitFor(`${cluster} default ServiceAccount`, 60_000, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
    return true;
  });
  if (hasRealNodes(opts)) {
    await waitDeploymentAvailable(kc, 'kube-system', 'coredns', 120_000);
    await waitDeploymentAvailable(kc, 'local-path-storage', 'local-path-provisioner', 120_000);
  }
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
    await kwokctl(opts, ['start', 'cluster', '--name', cluster], cluster);
    return 'restarted';
  }
  if (existing.includes(cluster)) await kwokctl(opts, ['delete', 'cluster', '--name', cluster]);
  await assertPortsFree(opts, cluster);
  const config = path.join(opts.dir, `kwokctl-${cluster}.yaml`);
  writeFileSync(config, kwokctlConfig(opts, cluster));
  await kwokctl(
    opts,
    ['create', 'cluster', '--name', cluster, '--config', config, '--kubeconfig', kcPath, '--wait', '60s'],
    cluster,
  );
  if (hasRealNodes(opts)) {
    // kwokctl writes the loopback address; everyone outside the namespace reaches the API on the node's address.
    const node = clusterNode(opts, cluster);
    const kc = yamlLoad(readFileSync(kcPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    for (const c of kc.clusters) c.cluster.server = c.cluster.server.replace('127.0.0.1', node.ip);
    writeFileSync(kcPath, yamlDump(kc), { mode: 0o600 });
  }
  return 'created';
}

/** Brings every cluster up (idempotent: running clusters are reused, stopped ones restarted). */
export async function fleetUp(opts: FleetOptions): Promise<ClusterHealth[]> {
  requireTools(opts);
  const t0 = Date.now();
  mkdirSync(path.join(opts.dir, 'kubeconfigs'), { recursive: true });
  const clusters = clusterNames(opts.edges);
  const existing = await existingClusters(opts);
  const state = readFleetState(opts.dir);
  if (
    existing.length > 0 &&
    state &&
    (state.nodes !== opts.nodes || (state.portBase ?? opts.portBase) !== opts.portBase)
  ) {
    throw new Error(
      `the fleet in ${opts.dir} runs with --nodes ${state.nodes} and port base ${state.portBase}; stop it first ` +
        `(npm run fleet -- down) to bring it up with --nodes ${opts.nodes} and port base ${opts.portBase}`,
    );
  }
  writeFleetState(opts);
  if (hasRealNodes(opts)) {
    requireRealNodeHost(opts.binDir);
    const net = fleetNetwork(opts);
    await ensureWan(net);
    for (const c of clusters) await ensureNodeNetwork(net, clusterNode(opts, c));
    opts.log(`[fleet] WAN bridge ${net.bridge} (${net.wanCidr}); one network namespace per cluster`);
  }
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

/**
 * Stops the main job's operator and every fleet cluster (all processes kwokctl started), then, with real nodes,
 * every node process, container, mount, cgroup, namespace, link and iptables rule. Returns what could not be
 * removed (empty when the host is clean).
 */
export async function fleetDown(options: FleetOptions): Promise<string[]> {
  const opts = effectiveOptions(options);
  if (await stopBackgroundOperator(opts.dir)) opts.log('[fleet] stopped the operator started by the main job');
  const existing = await existingClusters(opts);
  await Promise.all(
    existing.map(async (c) => {
      await kwokctl(opts, ['delete', 'cluster', '--name', c]);
      opts.log(`[fleet] deleted ${c}`);
    }),
  );
  let leftovers: string[] = [];
  if (hasRealNodes(opts)) {
    const net = fleetNetwork(opts);
    for (const c of clusterNames(opts.edges)) {
      const node = clusterNode(opts, c);
      await stopRealNode(node);
      await removeNodeNetwork(net, node);
      opts.log(`[fleet] removed real node ${node.nodeName}`);
    }
    removePodLogLinks(net);
    await removeWan(net);
    leftovers = await realNodeLeftovers(net);
    for (const l of leftovers) opts.log(`[fleet] warning: left on the host: ${l}`);
  }
  rmSync(path.join(opts.dir, 'kubeconfigs'), { recursive: true, force: true });
  rmSync(path.join(opts.dir, 'kubeconfig'), { force: true });
  rmSync(path.join(opts.dir, 'fleet.json'), { force: true });
  return leftovers;
}

export async function fleetStatus(options: FleetOptions): Promise<ClusterHealth[]> {
  const opts = effectiveOptions(options);
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
export async function startApiServer(options: FleetOptions, cluster: string): Promise<void> {
  const opts = effectiveOptions(options);
  await kwokctl(opts, ['start', 'cluster', '--name', cluster], cluster);
  const core = loadKubeConfig(opts.dir, cluster).makeApiClient(CoreV1Api);
  await waitFor(`${cluster} API server`, 60_000, async () => (await core.listNamespace()).items.length > 0);
}
