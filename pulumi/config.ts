// Stack configuration of the Discovery Pulumi program: its raw shape, defaults, validation, and the resolution of
// the site list (explicit sites, or the clusters of the local fleet found under <fleetDir>/kubeconfigs). Pure except
// for `resolveConfig`'s reading of the fleet's kubeconfig directory, which is injected for tests.
import path from 'node:path';

export type SiteRole = 'core' | 'edge' | 'far-edge';
export type ClusterProvider = 'existing' | 'kind';

/** One member cluster as written in stack config (`discovery:sites`). */
export interface SiteConfig {
  /** EdgeSite name (DNS-1123 label). */
  name: string;
  /** Path of a kubeconfig for the member cluster (ignored with clusterProvider kind, which creates the cluster). */
  kubeconfig?: string;
  role?: SiteRole;
  region?: string;
  zone?: string;
  rttMillis?: number;
  bandwidthMbps?: number;
  labels?: Record<string, string>;
}

/** Raw stack config (namespace `discovery`); every field is optional. */
export interface RawDiscoveryConfig {
  /** existing (default): clusters already exist (the local fleet or yours); kind: create kind clusters (Docker). */
  clusterProvider?: ClusterProvider;
  /** Local fleet directory (default <cwd>/.fleet) whose kubeconfigs/<cluster>.yaml are used when `sites` is unset. */
  fleetDir?: string;
  /** Kubeconfig of the management cluster (default <fleetDir>/kubeconfigs/mgmt.yaml). */
  managementKubeconfig?: string;
  /** Number of edge sites to register (default: every edge cluster found, or 2 with kind). */
  edgeSites?: number;
  /** Explicit sites; when set, fleetDir is not scanned. */
  sites?: SiteConfig[];
  /** RTT of edge sites without an explicit one, in ms (default 20; the core site defaults to 0). */
  defaultRttMillis?: number;
  /** Namespace of the operator and of the kubeconfig Secrets (default discovery-system). */
  namespace?: string;
  /** Create the namespace (default true; false when it already exists and is owned by someone else). */
  createNamespace?: boolean;
  /** Prefix of the kubeconfig Secret names: <prefix><site> (default kubeconfig-). */
  secretPrefix?: string;
  /** Install the CRDs from crdsDir (default true). */
  installCrds?: boolean;
  /** Keep the CRDs on `pulumi destroy`, like `helm uninstall` does (default true: deleting them deletes every EdgeSite and DistributedCloud). */
  retainCrds?: boolean;
  /** Install the operator Helm chart (default true). */
  installOperator?: boolean;
  /** Helm release name of the operator (default discovery-operator). */
  releaseName?: string;
  /** Extra Helm values for the chart. */
  operatorValues?: Record<string, unknown>;
  /** Make `up` wait until each EdgeSite reports Ready=True (default false; needs a running operator). */
  waitForSitesReady?: boolean;
  /** Create a sample DistributedCloud over the registered sites (default false). */
  sampleCloud?: boolean;
  /** Namespace of the sample DistributedCloud (default default). */
  sampleCloudNamespace?: string;
  /**
   * Namespaces whose DistributedClouds may use the registered sites (EdgeSite spec.tenancy.namespaces; default: the
   * sample's namespace). Without a grant no DistributedCloud may use them.
   */
  tenantNamespaces?: string[];
  /** Let privileged units (nova-compute) run on the registered sites (spec.tenancy.allowPrivileged; default false). */
  allowPrivileged?: boolean;
  /** Label put on every EdgeSite (discovery.beyondtheclouds.io/fleet=<fleetLabel>) and used by the sample's selector (default pulumi). */
  fleetLabel?: string;
  /** Directory of the CRD manifests (default <repoRoot>/crds). */
  crdsDir?: string;
  /** Path of the operator chart (default <repoRoot>/charts/discovery-operator). */
  chartPath?: string;
}

export interface ResolvedSite {
  name: string;
  /** Kubeconfig path (undefined for clusters the program creates itself, i.e. kind). */
  kubeconfig?: string;
  role: SiteRole;
  region: string;
  zone: string;
  rttMillis: number;
  bandwidthMbps: number;
  labels: Record<string, string>;
}

export interface ResolvedConfig {
  clusterProvider: ClusterProvider;
  managementKubeconfig?: string;
  sites: ResolvedSite[];
  namespace: string;
  createNamespace: boolean;
  secretPrefix: string;
  installCrds: boolean;
  retainCrds: boolean;
  installOperator: boolean;
  releaseName: string;
  operatorValues: Record<string, unknown>;
  waitForSitesReady: boolean;
  sampleCloud: boolean;
  sampleCloudNamespace: string;
  tenantNamespaces: string[];
  allowPrivileged: boolean;
  fleetLabel: string;
  crdsDir: string;
  chartPath: string;
}

export const FLEET_LABEL = 'discovery.beyondtheclouds.io/fleet';
export const MANAGEMENT_CLUSTER = 'mgmt';
export const CORE_SITE = 'core';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment the resolution depends on, injectable for tests. */
export interface ResolveEnv {
  /** Base for relative paths (default process.cwd()). */
  cwd: string;
  /** Repository root (for crds/ and charts/). */
  repoRoot: string;
  /** Lists the file names in a directory; returns [] when it does not exist. */
  listDir: (dir: string) => string[];
}

/** Cluster names of the local fleet, from the files <fleetDir>/kubeconfigs/<cluster>.yaml: mgmt first, then edges in numeric order. */
export function fleetClusters(files: string[]): string[] {
  const names = files.filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length));
  const edges = names
    .filter((n) => /^edge-\d+$/.test(n))
    .sort((a, b) => Number(a.slice('edge-'.length)) - Number(b.slice('edge-'.length)));
  return [...(names.includes(MANAGEMENT_CLUSTER) ? [MANAGEMENT_CLUSTER] : []), ...edges];
}

function positiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function resolveSite(s: SiteConfig, index: number, defaultRtt: number, cwd: string): ResolvedSite {
  if (!s || typeof s.name !== 'string' || !DNS_LABEL.test(s.name) || s.name.length > 63) {
    throw new ConfigError(`sites[${index}].name must be a DNS-1123 label, got ${JSON.stringify(s?.name)}`);
  }
  const role = s.role ?? (index === 0 ? 'core' : 'edge');
  if (!['core', 'edge', 'far-edge'].includes(role)) {
    throw new ConfigError(`sites[${index}].role must be core, edge or far-edge, got ${JSON.stringify(role)}`);
  }
  const rttMillis = s.rttMillis ?? (role === 'core' ? 0 : defaultRtt);
  if (typeof rttMillis !== 'number' || rttMillis < 0 || rttMillis > 10000) {
    throw new ConfigError(`sites[${index}].rttMillis must be within 0..10000, got ${JSON.stringify(rttMillis)}`);
  }
  const bandwidthMbps = s.bandwidthMbps ?? (role === 'core' ? 10000 : 1000);
  if (typeof bandwidthMbps !== 'number' || bandwidthMbps < 1) {
    throw new ConfigError(`sites[${index}].bandwidthMbps must be >= 1, got ${JSON.stringify(bandwidthMbps)}`);
  }
  const region = s.region ?? s.name;
  return {
    name: s.name,
    kubeconfig: s.kubeconfig === undefined ? undefined : path.resolve(cwd, s.kubeconfig),
    role,
    region,
    zone: s.zone ?? `${region}-a`,
    rttMillis,
    bandwidthMbps,
    labels: { ...(s.labels ?? {}) },
  };
}

/** Applies defaults and validates; throws ConfigError with the offending key. */
export function resolveConfig(raw: RawDiscoveryConfig, env: ResolveEnv): ResolvedConfig {
  const clusterProvider = raw.clusterProvider ?? 'existing';
  if (clusterProvider !== 'existing' && clusterProvider !== 'kind') {
    throw new ConfigError(`clusterProvider must be existing or kind, got ${JSON.stringify(clusterProvider)}`);
  }
  const defaultRtt = raw.defaultRttMillis ?? 20;
  const fleetDir = path.resolve(env.cwd, raw.fleetDir ?? '.fleet');
  const kubeconfigDir = path.join(fleetDir, 'kubeconfigs');
  let sites: ResolvedSite[];
  let managementKubeconfig = raw.managementKubeconfig ? path.resolve(env.cwd, raw.managementKubeconfig) : undefined;

  if (raw.sites !== undefined) {
    if (!Array.isArray(raw.sites) || raw.sites.length === 0) throw new ConfigError('sites must be a non-empty list');
    sites = raw.sites.map((s, i) => resolveSite(s, i, defaultRtt, env.cwd));
    if (raw.edgeSites !== undefined) {
      const n = positiveInt(raw.edgeSites, 'edgeSites');
      const core = sites.filter((s) => s.role === 'core');
      const edges = sites.filter((s) => s.role !== 'core');
      if (n > edges.length)
        throw new ConfigError(`edgeSites is ${n} but only ${edges.length} non-core sites are listed`);
      sites = [...core, ...edges.slice(0, n)];
    }
  } else if (clusterProvider === 'kind') {
    const n = raw.edgeSites === undefined ? 2 : positiveInt(raw.edgeSites, 'edgeSites');
    const names = [CORE_SITE, ...Array.from({ length: n }, (_, i) => `edge-${i + 1}`)];
    sites = names.map((name, i) => resolveSite({ name }, i, defaultRtt, env.cwd));
  } else {
    const clusters = fleetClusters(env.listDir(kubeconfigDir));
    if (!clusters.includes(MANAGEMENT_CLUSTER)) {
      throw new ConfigError(
        `no sites configured and no local fleet at ${kubeconfigDir} (run \`npm run fleet -- up\`, or set discovery:sites)`,
      );
    }
    let edges = clusters.filter((c) => c !== MANAGEMENT_CLUSTER);
    if (raw.edgeSites !== undefined) {
      const n = positiveInt(raw.edgeSites, 'edgeSites');
      if (n > edges.length)
        throw new ConfigError(`edgeSites is ${n} but the local fleet has ${edges.length} edge clusters`);
      edges = edges.slice(0, n);
    }
    const fleetSites: SiteConfig[] = [MANAGEMENT_CLUSTER, ...edges].map((cluster) => ({
      name: cluster === MANAGEMENT_CLUSTER ? CORE_SITE : cluster,
      kubeconfig: path.join(kubeconfigDir, `${cluster}.yaml`),
      role: cluster === MANAGEMENT_CLUSTER ? 'core' : 'edge',
    }));
    sites = fleetSites.map((s, i) => resolveSite(s, i, defaultRtt, env.cwd));
    managementKubeconfig ??= path.join(kubeconfigDir, `${MANAGEMENT_CLUSTER}.yaml`);
  }

  const seen = new Set<string>();
  for (const s of sites) {
    if (seen.has(s.name)) throw new ConfigError(`duplicate site name ${s.name}`);
    seen.add(s.name);
    if (clusterProvider === 'existing' && !s.kubeconfig) {
      throw new ConfigError(`site ${s.name} needs a kubeconfig path (clusterProvider existing)`);
    }
  }
  if (sites.filter((s) => s.role === 'core').length > 1) throw new ConfigError('at most one site may have role core');
  if (clusterProvider === 'existing' && !managementKubeconfig) {
    const core = sites.find((s) => s.role === 'core');
    if (!core) throw new ConfigError('managementKubeconfig is required when no site has role core');
    managementKubeconfig = core.kubeconfig;
  }

  const namespace = raw.namespace ?? 'discovery-system';
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(`namespace must be a DNS-1123 label, got ${namespace}`);
  const secretPrefix = raw.secretPrefix ?? 'kubeconfig-';
  const fleetLabel = raw.fleetLabel ?? 'pulumi';
  const sampleCloudNamespace = raw.sampleCloudNamespace ?? 'default';
  const tenantNamespaces = raw.tenantNamespaces ?? [sampleCloudNamespace];
  if (!Array.isArray(tenantNamespaces) || tenantNamespaces.some((n) => typeof n !== 'string' || !DNS_LABEL.test(n)))
    throw new ConfigError(
      `tenantNamespaces must be a list of DNS-1123 labels, got ${JSON.stringify(tenantNamespaces)}`,
    );
  if (raw.allowPrivileged !== undefined && typeof raw.allowPrivileged !== 'boolean')
    throw new ConfigError(`allowPrivileged must be true or false, got ${JSON.stringify(raw.allowPrivileged)}`);
  return {
    clusterProvider,
    managementKubeconfig,
    sites,
    namespace,
    createNamespace: raw.createNamespace ?? true,
    secretPrefix,
    installCrds: raw.installCrds ?? true,
    retainCrds: raw.retainCrds ?? true,
    installOperator: raw.installOperator ?? true,
    releaseName: raw.releaseName ?? 'discovery-operator',
    operatorValues: raw.operatorValues ?? {},
    waitForSitesReady: raw.waitForSitesReady ?? false,
    sampleCloud: raw.sampleCloud ?? false,
    sampleCloudNamespace,
    tenantNamespaces: [...new Set(tenantNamespaces)],
    allowPrivileged: raw.allowPrivileged ?? false,
    fleetLabel,
    crdsDir: path.resolve(env.cwd, raw.crdsDir ?? path.join(env.repoRoot, 'crds')),
    chartPath: path.resolve(env.cwd, raw.chartPath ?? path.join(env.repoRoot, 'charts', 'discovery-operator')),
  };
}

const STRING_KEYS = new Set<keyof RawDiscoveryConfig>([
  'clusterProvider',
  'fleetDir',
  'managementKubeconfig',
  'namespace',
  'secretPrefix',
  'releaseName',
  'sampleCloudNamespace',
  'fleetLabel',
  'crdsDir',
  'chartPath',
]);
const VALUE_KEYS = new Set<keyof RawDiscoveryConfig>([
  'edgeSites',
  'sites',
  'defaultRttMillis',
  'createNamespace',
  'installCrds',
  'retainCrds',
  'installOperator',
  'operatorValues',
  'waitForSitesReady',
  'sampleCloud',
  'tenantNamespaces',
  'allowPrivileged',
]);

/**
 * Reads the raw config from a key -> string getter (pulumi.Config#get in the program): string keys are taken as
 * written, the others (numbers, booleans, lists, objects) are parsed as JSON, as `pulumi config set --path` and
 * Automation API `setAllConfig` store them.
 */
export function readRawConfig(get: (key: string) => string | undefined): RawDiscoveryConfig {
  const raw: Record<string, unknown> = {};
  for (const k of STRING_KEYS) {
    const v = get(k);
    if (v !== undefined) raw[k] = v;
  }
  for (const k of VALUE_KEYS) {
    const v = get(k);
    if (v === undefined) continue;
    try {
      raw[k] = JSON.parse(v);
    } catch {
      throw new ConfigError(
        `discovery:${k} must be JSON (a number, boolean, list or object), got ${JSON.stringify(v)}`,
      );
    }
  }
  return raw as RawDiscoveryConfig;
}
