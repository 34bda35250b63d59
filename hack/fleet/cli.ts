// `npm run fleet -- up|down|status|openstack-images|stop-apiserver|start-apiserver`: manages the local fleet of real control planes.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { LOCAL_REGISTRY } from '../images/manifest.js';
import {
  clusterNames,
  defaultFleetOptions,
  effectiveOptions,
  fleetDown,
  fleetNetwork,
  fleetStatus,
  fleetUp,
  hasRealNodes,
  nodeCtr,
  readFleetState,
  startApiServer,
  stopApiServer,
  type ClusterHealth,
} from './fleet.js';
import { importOpenStackImages } from './images.js';
import type { NodeMode } from './node-config.js';

const HELP = `Usage: npm run fleet -- <command> [options]

Manages the local fleet: one management cluster ("mgmt", which also hosts the "core" EdgeSite) and N edge
clusters ("edge-1".."edge-N"), each a real control plane (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler) with nodes that are:
  kwok   (default) simulated by kwok, labelled for OpenStack; everything listens on 127.0.0.1
  real   one real node per cluster (kubelet, containerd, kube-proxy, CoreDNS, local-path volumes) running the
         images of \`npm run images\`; each cluster (control plane and node) lives in a network namespace of its
         own, with its own address on a bridge standing for the WAN (10.2xx.0.0/24). Needs root.
  mixed  both: the real node runs infrastructure (DNS, volumes, the operator), kwok nodes the OpenStack units

Commands:
  up                       create or restart the clusters (idempotent), register nodes and the kubeconfig
                           Secrets (namespace discovery-system) that the sample EdgeSites reference
  down                     stop every fleet process and delete the clusters' state; with real nodes also every
                           container, mount, cgroup, network namespace, link and iptables rule (exit 1 if
                           anything is left, listed)
  status                   show each cluster's API server, version and nodes (exit 1 if any is unhealthy)
  openstack-images [CLUSTER...]
                           import the OpenStack images (npm run images -- --group openstack) into the real nodes
                           of CLUSTER (default: every cluster) and tag them with one group tag, printed on the
                           last line: a DistributedCloud names them all with
                           spec.images: {registry: localhost/discovery, tag: <that tag>}
  stop-apiserver CLUSTER   stop one cluster's kube-apiserver (fault testing)
  start-apiserver CLUSTER  start it again

Options:
  --edges N     number of edge clusters (default 3, env DISCOVERY_FLEET_EDGES)
  --nodes MODE  kwok | real | mixed (default kwok, env DISCOVERY_FLEET_NODES); down and status use the mode the
                fleet was brought up with
  --dir DIR     fleet state directory (default <repo>/.fleet, env DISCOVERY_FLEET_DIR)
  -h, --help    show this help

Kubeconfigs: DIR/kubeconfigs/<cluster>.yaml, merged: DIR/kubeconfig (one context per cluster).
Readiness delays per pod: annotations pod-ready.stage.kwok.x-k8s.io/delay and
pod-complete.stage.kwok.x-k8s.io/delay (Go durations, e.g. "3s").`;

function table(rows: ClusterHealth[]): string {
  const lines = [['CLUSTER', 'SITE', 'SERVER', 'VERSION', 'NODES', 'REAL', 'STATUS']];
  for (const r of rows) {
    lines.push([
      r.name,
      r.site,
      r.server || '-',
      r.version ?? '-',
      r.nodes === undefined ? '-' : `${r.readyNodes}/${r.nodes}`,
      r.realNodes ? `${r.realReady}/${r.realNodes}` : '-',
      r.ready ? 'Ready' : `NotReady${r.error ? `: ${r.error}` : ''}`,
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      edges: { type: 'string' },
      nodes: { type: 'string' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const opts = defaultFleetOptions({
    ...(values.edges !== undefined ? { edges: Number(values.edges) } : {}),
    ...(values.dir !== undefined ? { dir: path.resolve(values.dir) } : {}),
    ...(values.nodes !== undefined ? { nodes: values.nodes as NodeMode } : {}),
  });
  switch (command) {
    case 'up': {
      const health = await fleetUp(opts);
      console.log(table(health));
      console.log(
        `\nexport KUBECONFIG=${path.join(opts.dir, 'kubeconfig')}   # contexts: ${health.map((h) => h.name).join(', ')}`,
      );
      return health.every((h) => h.ready) ? 0 : 1;
    }
    case 'down': {
      const left = await fleetDown(opts);
      if (left.length > 0) {
        console.error(`fleet down left ${left.length} thing(s) on the host:\n  ${left.join('\n  ')}`);
        return 1;
      }
      return 0;
    }
    case 'status': {
      const health = await fleetStatus(opts);
      if (health.length === 0) {
        console.log('no fleet clusters (run: npm run fleet -- up)');
        return 1;
      }
      const state = readFleetState(opts.dir);
      const eff = effectiveOptions(opts);
      console.log(
        `nodes: ${state?.nodes ?? 'kwok'}${hasRealNodes(eff) ? ` (WAN bridge ${fleetNetwork(eff).bridge}, ${fleetNetwork(eff).wanCidr})` : ''}`,
      );
      console.log(table(health));
      return health.every((h) => h.ready) ? 0 : 1;
    }
    case 'openstack-images': {
      const eff = effectiveOptions(opts);
      if (!hasRealNodes(eff)) throw new Error('openstack-images needs a fleet with real nodes (up --nodes real)');
      const clusters = positionals.length > 1 ? positionals.slice(1) : clusterNames(eff.edges);
      const results = await Promise.all(
        clusters.map(async (c) => {
          const r = await importOpenStackImages(nodeCtr(eff, c));
          console.log(`${c}: ${r.imported.length} image(s) imported in ${r.seconds.toFixed(1)}s`);
          return r.tag;
        }),
      );
      console.log(`spec.images: {registry: ${LOCAL_REGISTRY}, tag: ${results[0]}}`);
      return 0;
    }
    case 'stop-apiserver':
    case 'start-apiserver':
      if (!arg) throw new Error(`${command} needs a cluster name`);
      await (command === 'stop-apiserver' ? stopApiServer(opts, arg) : startApiServer(opts, arg));
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
