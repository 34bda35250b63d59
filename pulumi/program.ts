// The Discovery Pulumi program as an inline-program function (for the Automation API, see automation.ts, and for
// the Pulumi CLI entry point index.ts): reads stack config `discovery:*`, loads kubeconfigs and CRDs from disk,
// creates kind clusters when asked, and builds the DiscoveryFleet component. Stack outputs: sites and their status.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { loadAll } from 'js-yaml';
import { readRawConfig, resolveConfig, type RawDiscoveryConfig, type ResolvedConfig } from './config.js';
import { DiscoveryFleet, type CrdManifest } from './discovery.js';
import { KindCluster } from './kind.js';
import { currentServer, flattenKubeconfig } from './kubeconfig.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PROJECT_NAME = 'discovery';

export interface ProgramOptions {
  /** Config to use instead of the stack's `discovery:*` keys (tests). */
  config?: RawDiscoveryConfig;
  /** Base for relative paths in the config (default process.cwd()). */
  cwd?: string;
}

/** Parsed CustomResourceDefinitions from every *.yaml in dir (sorted by file name, so the order is stable). */
export function loadCrds(dir: string): CrdManifest[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  } catch (err) {
    throw new Error(`cannot read the CRD directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const crds = files
    .sort()
    .flatMap((f) => loadAll(readFileSync(path.join(dir, f), 'utf8')) as CrdManifest[])
    .filter((d) => d && d.kind === 'CustomResourceDefinition');
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition found in ${dir}`);
  return crds;
}

function readKubeconfig(file: string): string {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
  }
  return flattenKubeconfig(content, path.dirname(file), (f) => readFileSync(f));
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Resolved config from the stack (or the given raw config). */
export function programConfig(options: ProgramOptions = {}): ResolvedConfig {
  const raw = options.config ?? readRawConfig((k) => new pulumi.Config(PROJECT_NAME).get(k));
  return resolveConfig(raw, { cwd: options.cwd ?? process.cwd(), repoRoot: REPO_ROOT, listDir });
}

/** The inline program: `LocalWorkspace.createOrSelectStack({ program: discoveryProgram(), ... })`. */
export function discoveryProgram(options: ProgramOptions = {}): () => Promise<Record<string, unknown>> {
  return async () => {
    const config = programConfig(options);
    const crds = config.installCrds ? loadCrds(config.crdsDir) : [];
    let managementKubeconfig: pulumi.Input<string>;
    const siteKubeconfigs: Record<string, pulumi.Input<string>> = {};
    const dependsOn: pulumi.Resource[] = [];
    let managementServer: pulumi.Input<string | undefined>;

    if (config.clusterProvider === 'kind') {
      // One kind cluster per site; the core site (if any) is the management cluster, else a dedicated `mgmt` one.
      const core = config.sites.find((s) => s.role === 'core');
      const clusters: Record<string, KindCluster> = {};
      for (const site of config.sites) {
        clusters[site.name] = new KindCluster(`kind-${site.name}`, {
          name: `discovery-${site.name}`,
          region: site.region,
        });
      }
      const mgmt = core
        ? clusters[core.name]!
        : new KindCluster('kind-mgmt', { name: 'discovery-mgmt', region: 'mgmt' });
      managementKubeconfig = mgmt.kubeconfig;
      managementServer = mgmt.kubeconfig.apply(currentServer);
      // The operator runs inside the management cluster: it reaches the others on the Docker network.
      for (const [name, cluster] of Object.entries(clusters)) siteKubeconfigs[name] = cluster.internalKubeconfig;
      dependsOn.push(mgmt, ...Object.values(clusters));
    } else {
      managementKubeconfig = readKubeconfig(config.managementKubeconfig!);
      managementServer = currentServer(managementKubeconfig);
      for (const site of config.sites) siteKubeconfigs[site.name] = readKubeconfig(site.kubeconfig!);
    }

    const fleet = new DiscoveryFleet('discovery', { config, managementKubeconfig, siteKubeconfigs, crds, dependsOn });
    return {
      managementServer,
      namespace: fleet.namespace,
      operatorRelease: fleet.release ? fleet.release.status.apply((s) => `${s.name} (${s.status})`) : 'not installed',
      sites: fleet.sites,
      sampleCloud: fleet.sampleCloud
        ? pulumi.interpolate`${fleet.sampleCloud.metadata.namespace}/${fleet.sampleCloud.metadata.name}`
        : 'none',
    };
  };
}
