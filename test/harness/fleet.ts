// Test-side handle on the local fleet brought up by global-setup.ts: kubeconfigs for the management cluster and
// each edge cluster, plus fault-injection helpers (stop/start one API server).
import { KubeConfig } from '@kubernetes/client-node';
import {
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

export function testFleet(): TestFleet {
  const options = defaultFleetOptions({ log: () => undefined });
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
