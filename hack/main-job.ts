// The README's main job on the local default fleet: fleet up, CRDs installed, operator started in the background,
// sample EdgeSites and a DistributedCloud applied, rollout progress shown until Ready, then how to explore it. By
// default the fleet has real nodes and the cloud is real: it ends by running the OpenStack client against it;
// --simulated keeps the fast kwok path.
import { spawn, execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { dump, loadAll } from 'js-yaml';
import {
  REPO_ROOT,
  clusterNames,
  defaultFleetOptions,
  fleetUp,
  kubeconfigPath,
  loadKubeConfig,
  MANAGEMENT_CLUSTER,
  nodeCtr,
} from './fleet/fleet.js';
import { importOpenStackImages, OPENSTACK_COMPUTE_IMAGES, OPENSTACK_CONTROL_IMAGES } from './fleet/images.js';
import { memberNamespace, realCloud, startOpenStackClient } from './fleet/openstack-client.js';
import { operatorPidFile, processAlive } from './fleet/operator-process.js';

const run = promisify(execFile);
const SAMPLES = ['distributed', 'centralized', 'cells'] as const;

const HELP = `Usage: npm start -- [--simulated] [--sample centralized|distributed|cells] [--namespace NS] [--timeout SECONDS]

A real cloud (the default): brings up a fleet of real nodes (npm run fleet -- up --nodes real --edges 1: the
management cluster "mgmt", hosting the core site, and "edge-1"; root), imports the OpenStack images built here
(npm run images -- --group openstack) into them, installs the CRDs in the management cluster, starts the operator
in the background (log: .fleet/operator.log), applies the fleet's EdgeSites (crds/samples/sites.yaml, core and
edge-1) and the centralized sample on core and edge-1 with the fleet's images and QEMU without KVM (written to
.fleet/dc-centralized-real.yaml) into NS (default "openstack"), shows the rollout until the DistributedCloud is
Ready, then runs the OpenStack client against it: a token, the catalog, the compute services and the servers.
Only the centralized sample runs on real nodes so far.

--simulated: the fast path on simulated nodes (npm run fleet -- up: kwok, 1+3 clusters), any sample (default
distributed); the cloud is simulated, so no OpenStack client runs.

Stop everything with: npm run fleet -- down`;

function stamp(t0: number): string {
  return `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
}

async function kubectl(args: string[]): Promise<string> {
  const bin = path.join(REPO_ROOT, '.tools', 'bin', 'kubectl');
  const kc = kubeconfigPath(defaultFleetOptions().dir, MANAGEMENT_CLUSTER);
  try {
    const { stdout } = await run(bin, ['--kubeconfig', kc, ...args], { maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

/** Starts the operator unless one started by this script is still running; returns its pid. */
function startOperator(fleetDir: string): number {
  const pidFile = operatorPidFile(fleetDir);
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (processAlive(pid)) return pid;
  }
  mkdirSync(fleetDir, { recursive: true });
  const log = openSync(path.join(fleetDir, 'operator.log'), 'a');
  const child = spawn(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [
      'operator/src/main.ts',
      `--kubeconfig=${kubeconfigPath(fleetDir, MANAGEMENT_CLUSTER)}`,
      '--http-port=18080',
      '--leader-election-namespace=discovery-system',
      '--identity=main-job',
    ],
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid!;
}

interface DcStatus {
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  progress?: string;
  readySites?: string;
  observedGeneration?: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      simulated: { type: 'boolean', default: false },
      sample: { type: 'string' },
      namespace: { type: 'string', default: 'openstack' },
      timeout: { type: 'string', default: '600' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const real = !values.simulated;
  const sample = (values.sample ?? (real ? 'centralized' : 'distributed')) as (typeof SAMPLES)[number];
  if (!SAMPLES.includes(sample))
    throw new Error(`--sample must be one of ${SAMPLES.join(', ')}, got "${values.sample}"`);
  if (real && sample !== 'centralized')
    throw new Error(
      `--sample ${sample} is not proven on real nodes yet (only centralized is): add --simulated to run it on kwok`,
    );
  const ns = values.namespace!;
  const t0 = Date.now();
  const log = (m: string) => console.log(`${stamp(t0)} ${m}`);
  const fleet = defaultFleetOptions(real ? { nodes: 'real', edges: 1, log } : { log });

  await fleetUp(fleet);
  let tag = '';
  if (real) {
    for (const [cluster, images] of [
      [MANAGEMENT_CLUSTER, OPENSTACK_CONTROL_IMAGES],
      ['edge-1', OPENSTACK_COMPUTE_IMAGES],
    ] as const) {
      const imported = await importOpenStackImages(nodeCtr(fleet, cluster), images);
      tag = imported.tag;
      log(`${cluster}: OpenStack images ready (${imported.imported.length} imported in ${imported.seconds}s)`);
    }
  }
  console.log(`${stamp(t0)} installing CRDs`);
  await kubectl(['apply', '--server-side', '--field-manager=discovery-quickstart', '-f', path.join(REPO_ROOT, 'crds')]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/edgesites.discovery.beyondtheclouds.io',
    'crd/distributedclouds.discovery.beyondtheclouds.io',
  ]);
  const pid = startOperator(fleet.dir);
  console.log(
    `${stamp(t0)} operator running (pid ${pid}, log ${path.join(fleet.dir, 'operator.log')}, metrics http://127.0.0.1:18080/metrics)`,
  );
  await kubectl(['create', 'namespace', ns]).catch((e: Error) => {
    if (!/AlreadyExists/.test(e.message)) throw e;
  });
  // the sample EdgeSites admit namespace openstack by name and any namespace with this label (spec.tenancy)
  await kubectl(['label', 'namespace', ns, 'discovery.beyondtheclouds.io/fleet=demo', '--overwrite']);
  // the fleet's sites: core (on mgmt) and one per edge cluster
  const siteNames = clusterNames(fleet.edges).map((c) => (c === MANAGEMENT_CLUSTER ? 'core' : c));
  const sitesFile = path.join(fleet.dir, 'sites.yaml');
  const sampleSites = loadAll(readFileSync(path.join(REPO_ROOT, 'crds', 'samples', 'sites.yaml'), 'utf8')) as {
    metadata: { name: string };
  }[];
  writeFileSync(
    sitesFile,
    sampleSites
      .filter((s) => siteNames.includes(s.metadata.name))
      .map((s) => `---\n${dump(s)}`)
      .join(''),
  );
  await kubectl(['apply', '--server-side', '--field-manager=discovery-quickstart', '-f', sitesFile]);
  let dcFile = path.join(REPO_ROOT, 'crds', 'samples', `dc-${sample}.yaml`);
  const dcSample = loadAll(readFileSync(dcFile, 'utf8'))[0] as { metadata: { name: string } };
  if (real) {
    dcFile = path.join(fleet.dir, `dc-${sample}-real.yaml`);
    writeFileSync(dcFile, dump(realCloud(dcSample as unknown as Record<string, unknown>, tag, siteNames)));
  }
  await kubectl(['apply', '--server-side', '--field-manager=discovery-quickstart', '-n', ns, '-f', dcFile]);
  const name = dcSample.metadata.name;
  console.log(`${stamp(t0)} applied EdgeSites and DistributedCloud ${ns}/${name}; waiting for Ready`);

  const custom = loadKubeConfig(fleet.dir, MANAGEMENT_CLUSTER).makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + Number(values.timeout) * 1000;
  let last = '';
  for (;;) {
    const dc = (await custom.getNamespacedCustomObject({
      group: 'discovery.beyondtheclouds.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'distributedclouds',
      name,
    })) as { metadata: { generation?: number }; status?: DcStatus };
    const st = dc.status ?? {};
    const cond = (t: string) => st.conditions?.find((c) => c.type === t);
    const ready = cond('Ready');
    const line = `units ${st.progress ?? '-'} · sites ${st.readySites ?? '-'} · ${ready?.status === 'True' ? 'Ready' : `${ready?.reason ?? 'Pending'}: ${ready?.message ?? 'waiting for the operator'}`}${cond('Degraded')?.status === 'True' ? ` · Degraded: ${cond('Degraded')?.message}` : ''}`;
    if (line !== last) console.log(`${stamp(t0)} ${line}`);
    last = line;
    if (ready?.status === 'True' && st.observedGeneration === dc.metadata.generation) break;
    if (Date.now() > deadline) {
      console.error(`${stamp(t0)} not Ready after ${values.timeout}s; see ${path.join(fleet.dir, 'operator.log')}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(`\n${stamp(t0)} DistributedCloud ${ns}/${name} is Ready across the fleet.`);
  if (real) await showOpenStack(fleet.dir, name, tag, log);
  const explore: [string, string][] = [
    [
      `export KUBECONFIG=${path.join(fleet.dir, 'kubeconfig')}`,
      `contexts: ${clusterNames(fleet.edges).join(', ')} (mgmt hosts the core site)`,
    ],
    ['kubectl get edgesites', 'region, role, RTT, readiness, Kubernetes version'],
    [`kubectl -n ${ns} get distributedclouds`, 'topology, sites, ready, progress'],
    [`kubectl -n ${ns} get dc ${name} -o yaml`, 'conditions, per-site summary, the units not Ready'],
    [
      `kubectl -n ${ns} get configmaps -l discovery.beyondtheclouds.io/unit-ledger=${name} -o yaml`,
      "every unit's phase and start/Ready times, one ConfigMap per site",
    ],
    [`kubectl -n ${ns} get events --sort-by=.lastTimestamp`, 'what the operator did'],
    [
      `kubectl --context edge-1 get deploy,sts,ds,jobs -A -l discovery.beyondtheclouds.io/dc=${name}`,
      "edge-1's units (in the DC's member namespace there, one per DC and site)",
    ],
    [`kubectl -n ${ns} wait --for=condition=Ready dc/${name}`, 'what GitOps tools and scripts wait on'],
    ['curl -s http://127.0.0.1:18080/metrics | grep ^discovery_', "the operator's metrics"],
    ['npm run fleet -- down', 'stop the operator and every cluster'],
  ];
  console.log(`\n${stamp(t0)} Explore it:\n`);
  for (const [cmd, what] of explore) console.log(`  # ${what}\n  ${cmd}`);
  return 0;
}

/** The OpenStack client against the real cloud: what a user of the cloud sees. */
async function showOpenStack(fleetDir: string, dc: string, tag: string, log: (m: string) => void): Promise<void> {
  const member = await memberNamespace(kubectl, dc);
  log(`starting an OpenStack client (kolla-toolbox) in ${member} on the core site`);
  const client = await startOpenStackClient({
    kubeConfig: loadKubeConfig(fleetDir, MANAGEMENT_CLUSTER),
    kubectl: (args) => kubectl(args),
    namespace: member,
    tag,
    region: 'paris',
  });
  for (const [what, cmd] of [
    ['a token', 'openstack token issue -c expires -c project_id -c user_id'],
    ['the catalog', 'openstack catalog list'],
    ['the compute services', 'openstack compute service list -c Binary -c Host -c Zone -c State'],
    ['the resource providers', 'openstack resource provider list -c name -c generation'],
    ['the servers', 'openstack server list'],
  ] as const) {
    console.log(`\n$ ${cmd}    # ${what}`);
    process.stdout.write((await client.exec(cmd)) || '(none)\n');
  }
  console.log(`\n  # more: kubectl --context mgmt -n ${member} exec -it osclient -- openstack ...`);
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
