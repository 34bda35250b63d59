// Synthetic fleets for benchmarks and scale tests: N EdgeSites ("core" + edge-0001…) and a DistributedCloud selecting
// them, per topology. Backends are the 2025.1-safe ones: RabbitMQ, MariaDB (centralized, cells) and Galera
// (distributed; the sites sit 5 ms from the core, within Galera's 10 ms RTT limit); no key/value store (refused).
// Every site admits the bench namespace and privileged units (spec.tenancy), so nothing is left out or refused.
import type { DistributedCloud, EdgeSite } from '../../operator/src/api/types.js';

export const BENCH_TOPOLOGIES = ['centralized', 'cells', 'distributed'] as const;
export type BenchTopology = (typeof BENCH_TOPOLOGIES)[number];

const FLEET_LABEL = 'discovery.beyondtheclouds.io/fleet';
/** The namespace of the bench DistributedCloud, admitted by every bench site. */
export const BENCH_NAMESPACE = 'openstack';

/** `n` EdgeSites: `core`, then `edge-0001`…; regions shared by groups of sites (region ids then carry the site). */
export function benchSites(n: number): EdgeSite[] {
  return Array.from({ length: n }, (_, i) => {
    const name = i === 0 ? 'core' : `edge-${String(i).padStart(4, '0')}`;
    return {
      apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
      kind: 'EdgeSite',
      metadata: { name, labels: { [FLEET_LABEL]: 'bench' } },
      spec: {
        kubeconfigSecretRef: { namespace: 'discovery-system', name: `kubeconfig-${name}`, key: 'kubeconfig' },
        region: `region-${i % 20}`,
        role: i === 0 ? 'core' : 'edge',
        network: { rttMillis: i === 0 ? 0 : 5, bandwidthMbps: 1000 },
        tenancy: { namespaces: [BENCH_NAMESPACE], allowPrivileged: true },
      },
    };
  });
}

/** A DistributedCloud of `topology` selecting every bench site. */
export function benchDistributedCloud(
  topology: BenchTopology,
  name = 'bench',
  namespace = BENCH_NAMESPACE,
): DistributedCloud {
  return {
    apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
    kind: 'DistributedCloud',
    metadata: { name, namespace, uid: `uid-${name}`, generation: 1 },
    spec: {
      release: '2024.1',
      topology,
      ...(topology === 'distributed' ? {} : { coreSite: 'core' }),
      siteSelector: { matchLabels: { [FLEET_LABEL]: 'bench' } },
      services: {},
      messageBus: { type: 'rabbitmq' },
      database: { type: 'mariadb' },
    },
  } as DistributedCloud;
}
