// The README's main job on the local default fleet: fleet up, CRDs installed, operator started in the background,
// sample EdgeSites and a DistributedCloud applied, rollout progress shown until Ready, then how to explore it.
import { spawn, execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import {
  REPO_ROOT,
  defaultFleetOptions,
  fleetUp,
  kubeconfigPath,
  loadKubeConfig,
  MANAGEMENT_CLUSTER,
} from './fleet/fleet.js';
import { operatorPidFile, processAlive } from './fleet/operator-process.js';

const run = promisify(execFile);
const SAMPLES = ['distributed', 'centralized', 'cells'] as const;

const HELP = `Usage: npm start -- [--sample distributed|centralized|cells] [--namespace NS] [--timeout SECONDS]

Brings the local fleet up (npm run fleet -- up), installs the CRDs in the management cluster, starts the operator
in the background (log: .fleet/operator.log), applies crds/samples/sites.yaml and crds/samples/dc-<sample>.yaml
into NS (default "openstack"), and shows the rollout until the DistributedCloud is Ready.
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
      sample: { type: 'string', default: 'distributed' },
      namespace: { type: 'string', default: 'openstack' },
      timeout: { type: 'string', default: '600' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const sample = values.sample as (typeof SAMPLES)[number];
  if (!SAMPLES.includes(sample))
    throw new Error(`--sample must be one of ${SAMPLES.join(', ')}, got "${values.sample}"`);
  const ns = values.namespace!;
  const t0 = Date.now();
  const fleet = defaultFleetOptions({ log: (m) => console.log(`${stamp(t0)} ${m}`) });

  await fleetUp(fleet);
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
  await kubectl([
    'apply',
    '--server-side',
    '--field-manager=discovery-quickstart',
    '-f',
    path.join(REPO_ROOT, 'crds', 'samples', 'sites.yaml'),
  ]);
  const dcFile = path.join(REPO_ROOT, 'crds', 'samples', `dc-${sample}.yaml`);
  await kubectl(['apply', '--server-side', '--field-manager=discovery-quickstart', '-n', ns, '-f', dcFile]);
  const name = /^\s{2}name:\s*(\S+)/m.exec(readFileSync(dcFile, 'utf8'))?.[1];
  if (!name) throw new Error(`cannot read metadata.name from ${dcFile}`);
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
  const explore: [string, string][] = [
    [`export KUBECONFIG=${path.join(fleet.dir, 'kubeconfig')}`, 'contexts: mgmt (core site), edge-1, edge-2, edge-3'],
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
  console.log(`\n${stamp(t0)} DistributedCloud ${ns}/${name} is Ready across the fleet. Explore it:\n`);
  for (const [cmd, what] of explore) console.log(`  # ${what}\n  ${cmd}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
