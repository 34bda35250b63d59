// Test-side handle on the local fleet brought up by global-setup.ts: kubeconfigs for the management cluster and
// each edge cluster, plus fault-injection helpers (stop/start one API server). Two fleets: the default kwok one
// (project "integration") and a mixed real-node one (project "real-nodes", realFleetOptions()).
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  REPO_ROOT,
  MANAGEMENT_CLUSTER,
  clusterNames,
  defaultFleetOptions,
  kubeconfigPath,
  loadKubeConfig,
  startApiServer,
  stopApiServer,
  type FleetOptions,
} from '../../hack/fleet/fleet.js';

export interface Cluster {
  name: string;
  kubeconfigPath: string;
  server: string;
  kubeConfig(): KubeConfig;
}

export interface TestFleet {
  options: FleetOptions;
  management: Cluster;
  edges: Cluster[];
  all: Cluster[];
  cluster(name: string): Cluster;
  stopApiServer(name: string): Promise<void>;
  startApiServer(name: string): Promise<void>;
}

/**
 * The real-node test fleet: mixed nodes (a real node per cluster for infrastructure and the operator, kwok nodes
 * for OpenStack units), its own directory and port base so it runs beside the kwok fleet.
 */
export function realFleetOptions(overrides: Partial<FleetOptions> = {}): FleetOptions {
  return defaultFleetOptions({
    dir: process.env.DISCOVERY_REAL_FLEET_DIR ?? path.join(REPO_ROOT, '.fleet-real'),
    portBase: Number(process.env.DISCOVERY_REAL_FLEET_PORT_BASE ?? 26800),
    nodes: 'mixed',
    edges: 3,
    ...overrides,
  });
}

/**
 * The OpenStack test fleet (project "openstack", npm run test:openstack): real nodes only, so the OpenStack units
 * run in real containers; its own directory and port base.
 */
export function openstackFleetOptions(overrides: Partial<FleetOptions> = {}): FleetOptions {
  return defaultFleetOptions({
    dir: process.env.DISCOVERY_OPENSTACK_FLEET_DIR ?? path.join(REPO_ROOT, '.fleet-openstack'),
    portBase: Number(process.env.DISCOVERY_OPENSTACK_FLEET_PORT_BASE ?? 27200),
    nodes: 'real',
    edges: 1, // edge-1 runs nova-compute, reaching the core's services across the WAN bridge
    ...overrides,
  });
}

export function testFleet(overrides: Partial<FleetOptions> = {}): TestFleet {
  const options = defaultFleetOptions({ log: () => undefined, ...overrides });
  const make = (name: string): Cluster => ({
    name,
    kubeconfigPath: kubeconfigPath(options.dir, name),
    server: loadKubeConfig(options.dir, name).getCurrentCluster()?.server ?? '',
    kubeConfig: () => loadKubeConfig(options.dir, name),
  });
  const all = clusterNames(options.edges).map(make);
  const byName = new Map(all.map((c) => [c.name, c]));
  return {
    options,
    management: byName.get(MANAGEMENT_CLUSTER)!,
    edges: all.filter((c) => c.name !== MANAGEMENT_CLUSTER),
    all,
    cluster(name) {
      const c = byName.get(name);
      if (!c) throw new Error(`no fleet cluster named ${name} (have ${[...byName.keys()].join(', ')})`);
      return c;
    },
    stopApiServer: (name) => stopApiServer(options, name),
    startApiServer: (name) => startApiServer(options, name),
  };
}

/** Polls `fn` until it returns a value (not undefined); throws naming `what` and the last error at the deadline. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 90_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
