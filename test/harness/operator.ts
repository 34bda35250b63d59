// Operator end-to-end harness: runs the real operator as a subprocess against the local fleet (logs captured as JSON
// lines under .fleet/test-logs/), and helpers to install CRDs and sample EdgeSites, create DistributedClouds in fresh
// namespaces, wait for status with readable failures, and list the objects a DistributedCloud owns in member clusters.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { dump, loadAll } from 'js-yaml';
import type { DistributedCloud, EdgeSite, UnitCounts } from '../../operator/src/api/types.js';
import { GROUP, VERSION } from '../../operator/src/api/types.js';
import { validateDistributedCloud } from '../../operator/src/api/validate.js';
import { FINALIZER } from '../../operator/src/controllers/context.js';
import { exposedNodePorts } from '../../operator/src/controllers/dc-render.js';
import { readUnitLedger } from '../../operator/src/controllers/unit-ledger.js';
import type { LiveObject } from '../../operator/src/engine/readiness.js';
import { KIND_RESOURCES } from '../../operator/src/engine/resources.js';
import {
  ANNOTATION_INPUT_HASH,
  LABEL_DC,
  LABEL_DC_NAMESPACE,
  LABEL_SITE,
  LABEL_UNIT,
} from '../../operator/src/render/labels.js';
import { buildPlan, type Plan } from '../../operator/src/planner/index.js';
import { kubeGetJson, resourcePath } from '../../operator/src/runtime/kube-http.js';
import { REPO_ROOT, siteForCluster } from '../../hack/fleet/fleet.js';
import type { Cluster, TestFleet } from './fleet.js';

export { REPO_ROOT };
const run = promisify(execFile);

export { GROUP, VERSION };
export const DC_LABEL = LABEL_DC;
export const DC_NAMESPACE_LABEL = LABEL_DC_NAMESPACE;
export const SITE_LABEL = LABEL_SITE;
export const UNIT_LABEL = LABEL_UNIT;
export const INPUT_HASH_ANNOTATION = ANNOTATION_INPUT_HASH;
export { FINALIZER };
export const LEASE_NAMESPACE = 'discovery-system';
export const KUBECTL = path.join(REPO_ROOT, '.tools', 'bin', 'kubectl');
export const LOG_DIR = path.join(REPO_ROOT, '.fleet', 'test-logs');
const NODE = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');
const MAIN = path.join(REPO_ROOT, 'operator', 'src', 'main.ts');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs kubectl against one cluster's kubeconfig; rejects with kubectl's stderr. */
export async function kubectl(cluster: Cluster, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(KUBECTL, ['--kubeconfig', cluster.kubeconfigPath, ...args], {
      cwd: REPO_ROOT,
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** A free TCP port on 127.0.0.1 (released before returning; good enough for a test process picking its own). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (comments skipped; label values unescaped). */
export function parseMetrics(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = labelRe.exec(m[3] ?? ''); l; l = labelRe.exec(m[3] ?? ''))
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const v = m[4]!;
    out.push({ name: m[1]!, labels, value: v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  }
  return out;
}

/** Sum of every sample of `name` whose labels include `match`. */
export function metricSum(samples: MetricSample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// The operator subprocess

export interface OperatorOptions {
  fleet: TestFleet;
  /** Short name used in the identity and log file name, e.g. "ready". */
  scenario: string;
  identity?: string;
  /** Watched namespaces (--namespaces); empty = all. */
  namespaces?: string[];
  /** Lease name; defaults to one per scenario and test process, so leftover or parallel operators never share it. */
  leaderElectionId?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /**
   * Whose credentials the operator runs with: `chart` (default) — a ServiceAccount token bound to exactly the RBAC the
   * Helm chart ships (rendered from charts/discovery-operator), so every scenario proves the chart grants what the
   * code needs; `admin` — the fleet's admin kubeconfig.
   */
  credentials?: 'chart' | 'admin';
}

const HELM = path.join(REPO_ROOT, '.tools', 'bin', 'helm');
const CHART = path.join(REPO_ROOT, 'charts', 'discovery-operator');
const chartKubeconfigs = new Map<string, Promise<string>>();

/**
 * A kubeconfig for the operator under the chart's identity: the chart's ServiceAccount and RBAC (templates
 * serviceaccount.yaml and rbac.yaml, rendered by `helm template` with this scenario's Lease name) applied to the
 * management cluster, and a token of that ServiceAccount (`kubectl create token`). The file is 0600 under LOG_DIR.
 */
export function chartIdentityKubeconfig(fleet: TestFleet, scenario: string, leaseId: string): Promise<string> {
  const key = `${scenario}/${leaseId}`;
  let made = chartKubeconfigs.get(key);
  if (!made) {
    made = makeChartIdentityKubeconfig(fleet, scenario, leaseId);
    chartKubeconfigs.set(key, made);
    made.catch(() => chartKubeconfigs.delete(key));
  }
  return made;
}

async function makeChartIdentityKubeconfig(fleet: TestFleet, scenario: string, leaseId: string): Promise<string> {
  const mgmt = fleet.management;
  const name = `discovery-e2e-${scenario}`;
  const { stdout: manifests } = await run(
    HELM,
    [
      'template',
      name,
      CHART,
      '--namespace',
      LEASE_NAMESPACE,
      '--set',
      `fullnameOverride=${name}`,
      '--set',
      `operator.leaderElection.id=${leaseId}`,
      '--show-only',
      'templates/serviceaccount.yaml',
      '--show-only',
      'templates/rbac.yaml',
    ],
    { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const file = path.join(LOG_DIR, `rbac-${scenario}.yaml`);
  mkdirSync(LOG_DIR, { recursive: true });
  writeFileSync(file, manifests);
  await kubectl(mgmt, 'create', 'namespace', LEASE_NAMESPACE).catch(() => undefined);
  await kubectl(mgmt, 'apply', '--server-side', '--force-conflicts', '--field-manager=e2e-tests', '-f', file);
  const token = (await kubectl(mgmt, '-n', LEASE_NAMESPACE, 'create', 'token', name, '--duration=4h')).trim();
  const admin = mgmt.kubeConfig();
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`no current cluster in ${mgmt.kubeconfigPath}`);
  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'mgmt',
        cluster: { server: cluster.server, ...(caData ? { 'certificate-authority-data': caData } : {}) },
      },
    ],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: 'mgmt', user: name } }],
    'current-context': name,
  };
  const out = path.join(LOG_DIR, `kubeconfig-${scenario}-${process.pid}.yaml`);
  writeFileSync(out, dump(kubeconfig), { mode: 0o600 });
  return out;
}

export interface LogEntry {
  level?: string;
  message?: string;
  timestamp?: string;
  [k: string]: unknown;
}

const liveOperators = new Set<OperatorProcess>();
process.once('exit', () => {
  for (const op of liveOperators) op.child?.kill('SIGKILL');
});

export class OperatorProcess {
  child?: ChildProcess;
  port = 0;
  readonly identity: string;
  readonly logPath: string;
  readonly leaderElectionId: string;
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited?: { code: number | null; signal: NodeJS.Signals | null };
  private starts = 0;
  /** The kubeconfig the process runs with (see OperatorOptions.credentials). */
  kubeconfigPath?: string;

  constructor(readonly options: OperatorOptions) {
    this.identity = options.identity ?? `e2e-${options.scenario}-${process.pid}`;
    this.leaderElectionId = options.leaderElectionId ?? `discovery-e2e-${options.scenario}-${process.pid}`;
    mkdirSync(LOG_DIR, { recursive: true });
    this.logPath = path.join(LOG_DIR, `operator-${options.scenario}-${this.identity}-${Date.now()}.log`);
  }

  args(): string[] {
    const o = this.options;
    return [
      '--kubeconfig',
      this.kubeconfigPath ?? o.fleet.management.kubeconfigPath,
      '--http-port',
      String(this.port),
      '--identity',
      this.identity,
      '--leader-election-namespace',
      LEASE_NAMESPACE,
      '--leader-election-id',
      this.leaderElectionId,
      '--log-level',
      'debug',
      ...(o.namespaces?.length ? ['--namespaces', o.namespaces.join(',')] : []),
      ...(o.extraArgs ?? DEFAULT_EXTRA_ARGS),
    ];
  }

  /** Starts (or restarts, after kill/stop) the process; the log file is appended to. */
  async start(): Promise<this> {
    if (this.child && !this.exited) throw new Error(`operator ${this.identity} already running`);
    if (!existsSync(MAIN)) throw new Error(`${MAIN} does not exist yet`);
    this.kubeconfigPath ??=
      this.options.credentials === 'admin'
        ? this.options.fleet.management.kubeconfigPath
        : await chartIdentityKubeconfig(this.options.fleet, this.options.scenario, this.leaderElectionId);
    if (!this.port || this.starts > 0) this.port = await freePort();
    this.starts++;
    const fd = openSync(this.logPath, 'a');
    // node --import tsx (one process), not the tsx CLI (which forks a child that SIGKILL would leave behind).
    const child = spawn(NODE, ['--import', 'tsx', MAIN, ...this.args()], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.options.env, POD_NAMESPACE: LEASE_NAMESPACE, POD_NAME: this.identity },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.child = child;
    this.exited = undefined;
    liveOperators.add(this);
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = { code, signal };
        liveOperators.delete(this);
        resolve({ code, signal });
      });
    });
    return this;
  }

  get running(): boolean {
    return !!this.child && !this.exited;
  }

  private url(p: string): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  /** Resolves once GET /readyz answers 200; fails early (with the log tail) if the process exits. */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.exited)
        throw new Error(
          `operator ${this.identity} exited (${JSON.stringify(this.exited)}) before ready\n${this.logTail(40)}`,
        );
      try {
        const res = await fetch(this.url('/readyz'), { signal: AbortSignal.timeout(2000) });
        last = `${res.status} ${await res.text()}`;
        if (res.status === 200) return;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(300);
    }
    throw new Error(
      `operator ${this.identity} not ready after ${timeoutMs}ms (last /readyz: ${last})\n${this.logTail(40)}`,
    );
  }

  async metricsText(): Promise<string> {
    const res = await fetch(this.url('/metrics'), { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  }

  async metrics(): Promise<MetricSample[]> {
    return parseMetrics(await this.metricsText());
  }

  /** Sends a signal; resolves when the process has exited. */
  async kill(
    signal: NodeJS.Signals = 'SIGKILL',
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.child || this.exited) return this.exited ?? { code: null, signal: null };
    this.child.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const res = await Promise.race([this.exit!, timer]);
    if (res === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exit;
      throw new Error(`operator ${this.identity} did not exit within ${timeoutMs}ms of ${signal} (SIGKILLed)`);
    }
    return res;
  }

  /** Graceful stop (SIGTERM, SIGKILL after 20s). Never throws: for afterAll. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM', 20_000).catch(() => undefined);
  }

  logText(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  logEntries(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const line of this.logText().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as LogEntry);
      } catch {
        // partial last line
      }
    }
    return out;
  }

  /** The last n log lines (warn/error first if filterErrors), for failure messages. */
  logTail(n = 30, filter?: (line: string) => boolean): string {
    const lines = this.logText()
      .split('\n')
      .filter((l) => l && (!filter || filter(l)));
    return `--- ${this.logPath} (last ${Math.min(n, lines.length)} of ${lines.length} lines) ---\n${lines
      .slice(-n)
      .map((l) => (l.length > 600 ? `${l.slice(0, 600)}…` : l))
      .join('\n')}`;
  }

  errorLines(n = 20): string {
    return this.logTail(n, (l) => /"level":"(error|warn)"/.test(l));
  }
}

/** Flags every test operator gets (short probe interval so reachability changes show quickly). */
export const DEFAULT_EXTRA_ARGS: string[] = ['--probe-interval', '2s'];

/** Deletes a leader-election Lease (cleanup; never throws). */
export async function deleteLease(fleet: TestFleet, name: string): Promise<void> {
  await fleet.management
    .kubeConfig()
    .makeApiClient(CoordinationV1Api)
    .deleteNamespacedLease({ name, namespace: LEASE_NAMESPACE })
    .catch(() => undefined);
}

/** holderIdentity of a Lease in discovery-system (undefined when absent or released). */
export async function leaseHolder(fleet: TestFleet, name: string): Promise<string | undefined> {
  try {
    const lease = await fleet.management
      .kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name, namespace: LEASE_NAMESPACE });
    return lease.spec?.holderIdentity || undefined;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/**
 * afterAll of a scenario: tears the namespace down (through a live operator when there is one), stops every operator
 * and deletes their leader-election Leases. Never throws.
 */
export async function finishScenario(
  fleet: TestFleet,
  ns: TestNamespace | undefined,
  ...operators: (OperatorProcess | undefined)[]
): Promise<void> {
  const ops = operators.filter((o): o is OperatorProcess => !!o);
  await ns?.cleanup(ops.find((o) => o.running)).catch(() => undefined);
  await Promise.all(ops.map((o) => o.stop()));
  for (const id of new Set(ops.map((o) => o.leaderElectionId))) await deleteLease(fleet, id);
}

/** Starts an operator and waits for /readyz. */
export async function startOperator(options: OperatorOptions): Promise<OperatorProcess> {
  const op = new OperatorProcess(options);
  await op.start();
  await op.waitReady();
  return op;
}

// ---------------------------------------------------------------------------------------------------------------
// Management-cluster set-up

/** Server-side applies the CRDs and the sample EdgeSites (idempotent) and waits for the CRDs to be Established. */
export async function installCrdsAndSites(fleet: TestFleet): Promise<void> {
  const mgmt = fleet.management;
  await kubectl(mgmt, 'apply', '--server-side', '--force-conflicts', '--field-manager=e2e-tests', '-f', 'crds/');
  // kubectl wait fails at once (".status.conditions accessor error") on a CRD the API server has not given a status
  // yet, as happens right after a first apply on a loaded machine: retried until the deadline.
  for (const crd of ['edgesites', 'distributedclouds'])
    await eventually(
      `CRD ${crd} Established`,
      async () => {
        await kubectl(mgmt, 'wait', '--for=condition=Established', '--timeout=10s', `crd/${crd}.${GROUP}`);
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  await kubectl(
    mgmt,
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=e2e-tests',
    '-f',
    'crds/samples/sites.yaml',
  );
}

export function sampleObjects(file: string): Record<string, unknown>[] {
  return loadAll(readFileSync(path.join(REPO_ROOT, 'crds', 'samples', file), 'utf8')).filter(
    (o): o is Record<string, unknown> => !!o && typeof o === 'object',
  );
}

export function sampleEdgeSites(): EdgeSite[] {
  return sampleObjects('sites.yaml') as unknown as EdgeSite[];
}

/** A DistributedCloud from a sample file, renamed into the given namespace. */
export function sampleDistributedCloud(
  name: string,
  namespace: string,
  file = 'dc-distributed.yaml',
): DistributedCloud {
  const dc = structuredClone(sampleObjects(file)[0]) as unknown as DistributedCloud;
  dc.metadata = { ...dc.metadata, name, namespace };
  return dc;
}

/**
 * The distributed sample with only Keystone (41 units instead of 117): databases, bus, kv-store, memcached and a
 * keystone control plane at every site, so scenarios that do not need the whole rollout stay quick.
 */
export function smallDistributedCloud(name: string, namespace: string): DistributedCloud {
  const dc = sampleDistributedCloud(name, namespace);
  dc.spec.services = { glance: { enabled: false }, placement: { enabled: false }, nova: { enabled: false } };
  dc.spec.siteOverrides = [];
  return dc;
}

export interface TestNamespace {
  name: string;
  /** Deletes the DistributedClouds in the namespace (waiting for the operator's teardown while it runs), then the
   * namespace in every cluster. Never throws. */
  cleanup(operator?: OperatorProcess): Promise<void>;
}

/** The label the sample EdgeSites admit namespaces by (crds/samples/sites.yaml spec.tenancy.namespaceSelector). */
export const TENANT_LABEL = { 'discovery.beyondtheclouds.io/fleet': 'demo' };

/**
 * A fresh namespace `e2e-<scenario>-<pid>` in the management cluster (claims are bound by the fleet's provisioner),
 * labelled so the sample EdgeSites admit its DistributedClouds (`tenant: false`: not labelled, admitted nowhere).
 */
export async function createTestNamespace(
  fleet: TestFleet,
  scenario: string,
  options: { tenant?: boolean; suffix?: string } = {},
): Promise<TestNamespace> {
  const name = `e2e-${scenario}-${process.pid}${options.suffix ?? ''}`;
  const core = fleet.management.kubeConfig().makeApiClient(CoreV1Api);
  const labels = { 'discovery.beyondtheclouds.io/e2e': scenario, ...(options.tenant === false ? {} : TENANT_LABEL) };
  await core.createNamespace({ body: { metadata: { name, labels } } });
  return {
    name,
    cleanup: async (operator) => {
      const api = dcApi(fleet);
      const list = (await api
        .listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: name, plural: 'distributedclouds' })
        .catch(() => ({ items: [] }))) as { items: DistributedCloud[] };
      for (const dc of list.items) {
        const dcName = dc.metadata.name!;
        await api
          .deleteNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: name,
            plural: 'distributedclouds',
            name: dcName,
          })
          .catch(() => undefined);
        if (operator?.running) await waitGone(fleet, name, dcName, 120_000).catch(() => undefined);
        // Operator gone or stuck: drop the finalizer so the namespace can go.
        await api
          .patchNamespacedCustomObject(
            {
              group: GROUP,
              version: VERSION,
              namespace: name,
              plural: 'distributedclouds',
              name: dcName,
              body: [{ op: 'replace', path: '/metadata/finalizers', value: [] }],
            },
            jsonPatch(),
          )
          .catch(() => undefined);
      }
      // the DCs' member namespaces (normally gone with the teardown), then the namespace itself
      for (const c of fleet.all) {
        const api = c.kubeConfig().makeApiClient(CoreV1Api);
        const members = await api
          .listNamespace({ labelSelector: `${DC_NAMESPACE_LABEL}=${name}` })
          .catch(() => ({ items: [] as { metadata?: { name?: string } }[] }));
        for (const m of members.items)
          await api.deleteNamespace({ name: m.metadata?.name ?? '' }).catch(() => undefined);
        await api.deleteNamespace({ name }).catch(() => undefined);
      }
    },
  };
}

function jsonPatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
}

export function mergePatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}

export function dcApi(fleet: TestFleet): CustomObjectsApi {
  return fleet.management.kubeConfig().makeApiClient(CustomObjectsApi);
}

export async function createDistributedCloud(fleet: TestFleet, dc: DistributedCloud): Promise<DistributedCloud> {
  return (await dcApi(fleet).createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: dc.metadata.namespace!,
    plural: 'distributedclouds',
    body: dc,
  })) as DistributedCloud;
}

export async function getDistributedCloud(
  fleet: TestFleet,
  namespace: string,
  name: string,
): Promise<DistributedCloud | undefined> {
  try {
    return (await dcApi(fleet).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: 'distributedclouds',
      name,
    })) as DistributedCloud;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** JSON merge patch of a DistributedCloud's spec (or metadata). */
export async function patchDistributedCloud(
  fleet: TestFleet,
  namespace: string,
  name: string,
  body: Record<string, unknown>,
): Promise<DistributedCloud> {
  return (await dcApi(fleet).patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace, plural: 'distributedclouds', name, body },
    mergePatch(),
  )) as DistributedCloud;
}

export async function listEdgeSites(fleet: TestFleet): Promise<EdgeSite[]> {
  const list = (await dcApi(fleet).listClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'edgesites',
  })) as {
    items: EdgeSite[];
  };
  return list.items;
}

/** The plan the operator should be executing: built from the server's (defaulted) DC and the EdgeSites. */
export async function planOf(fleet: TestFleet, dc: DistributedCloud): Promise<Plan> {
  const v = validateDistributedCloud(structuredClone(dc));
  if (!v.ok) throw new Error(`DistributedCloud does not validate: ${JSON.stringify(v.errors)}`);
  return buildPlan(v.value, await listEdgeSites(fleet));
}

// ---------------------------------------------------------------------------------------------------------------
// Status

export interface UnitStatus {
  name: string;
  site?: string;
  component?: string;
  step?: string;
  phase?: string;
  message?: string;
  inputHash?: string;
  startedAt?: string;
  readyAt?: string;
  lastTransitionTime?: string;
}

export interface DcStatus {
  conditions?: { type: string; status: string; reason?: string; message?: string; observedGeneration?: number }[];
  observedGeneration?: number;
  /** The units not Ready (capped; unitsOmitted counts the rest); every unit: unitsOf. */
  units?: UnitStatus[];
  unitsOmitted?: number;
  unitCounts?: UnitCounts;
  sitesOmitted?: number;
  sites?: { name: string; reachable?: boolean; unitsReady?: number; unitsTotal?: number; message?: string }[];
  readySites?: string;
  progress?: string;
  plan?: Record<string, unknown>;
}

/**
 * Every unit's entry of a DistributedCloud (phase, inputHash, startedAt, readyAt, lastTransitionTime; no message),
 * read from its unit ledger (ConfigMaps `<dc>-units-<site>` in its namespace): status lists only the units not Ready.
 */
export async function unitsOf(fleet: TestFleet, dc: DistributedCloud): Promise<Map<string, UnitStatus>> {
  const core = fleet.management.kubeConfig().makeApiClient(CoreV1Api);
  return new Map((await readUnitLedger(core, dc)).map((u) => [u.name, u as UnitStatus]));
}

/**
 * Phase of a planned unit as status says it: listed (not Ready), or Ready when status lists every unit not Ready
 * (no unitsOmitted) and not this one; undefined when status cannot tell (use unitsOf).
 */
export function unitPhaseOf(dc: DistributedCloud | undefined, id: string): string | undefined {
  const s = statusOf(dc);
  const listed = s.units?.find((u) => u.name === id);
  if (listed) return listed.phase;
  return s.unitCounts && !s.unitsOmitted ? 'Ready' : undefined;
}

export function statusOf(dc: DistributedCloud | undefined): DcStatus {
  return ((dc as unknown as { status?: DcStatus } | undefined)?.status ?? {}) as DcStatus;
}

export function conditionOf(dc: DistributedCloud | undefined, type: string) {
  return statusOf(dc).conditions?.find((c) => c.type === type);
}

/** Ready=True for the DC's current generation. */
export function isReady(dc: DistributedCloud | undefined): boolean {
  const c = conditionOf(dc, 'Ready');
  const gen = dc?.metadata.generation;
  return c?.status === 'True' && (c.observedGeneration === undefined || c.observedGeneration === gen);
}

/** A readable dump: generation, conditions, progress, sites, and the units that are not Ready. */
export function describeDc(dc: DistributedCloud | undefined, maxUnits = 25): string {
  if (!dc) return '(DistributedCloud not found)';
  const s = statusOf(dc);
  const lines = [
    `DistributedCloud ${dc.metadata.namespace}/${dc.metadata.name} generation=${dc.metadata.generation} ` +
      `observedGeneration=${s.observedGeneration} progress=${s.progress} readySites=${s.readySites} ` +
      `finalizers=${JSON.stringify(dc.metadata.finalizers ?? [])} deleting=${!!dc.metadata.deletionTimestamp}`,
  ];
  for (const c of s.conditions ?? [])
    lines.push(`  condition ${c.type}=${c.status} reason=${c.reason} gen=${c.observedGeneration}: ${c.message}`);
  for (const site of s.sites ?? [])
    lines.push(
      `  site ${site.name} reachable=${site.reachable} ${site.unitsReady}/${site.unitsTotal}${site.message ? `: ${site.message}` : ''}`,
    );
  const counts = s.unitCounts;
  if (counts)
    lines.push(
      `  units: ${counts.total} (ready ${counts.ready}, applying ${counts.applying}, pending ${counts.pending}, ` +
        `failed ${counts.failed}, deleting ${counts.deleting})`,
    );
  const notReady = (s.units ?? []).filter((u) => u.phase !== 'Ready');
  lines.push(`  units not Ready listed: ${notReady.length}${s.unitsOmitted ? ` (+${s.unitsOmitted} omitted)` : ''}`);
  for (const u of notReady.slice(0, maxUnits))
    lines.push(`    ${u.name} ${u.phase}${u.message ? `: ${u.message}` : ''}`);
  if (notReady.length > maxUnits) lines.push(`    … ${notReady.length - maxUnits} more`);
  return lines.join('\n');
}

export async function waitGone(fleet: TestFleet, namespace: string, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dc: DistributedCloud | undefined;
  while (Date.now() < deadline) {
    dc = await getDistributedCloud(fleet, namespace, name);
    if (!dc) return;
    await sleep(1000);
  }
  throw new Error(`DistributedCloud ${namespace}/${name} still exists after ${timeoutMs}ms\n${describeDc(dc)}`);
}

/**
 * Polls the DC until predicate holds; on timeout throws with `what`, the status dump and the operator's recent
 * warnings/errors. Returns the DC that satisfied the predicate.
 */
export async function waitForDc(
  fleet: TestFleet,
  namespace: string,
  name: string,
  what: string,
  predicate: (dc: DistributedCloud) => boolean,
  opts: { timeoutMs?: number; operators?: OperatorProcess[]; intervalMs?: number } = {},
): Promise<DistributedCloud> {
  const timeoutMs = opts.timeoutMs ?? 240_000;
  const deadline = Date.now() + timeoutMs;
  let dc: DistributedCloud | undefined;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      dc = await getDistributedCloud(fleet, namespace, name);
      if (dc && predicate(dc)) return dc;
    } catch (err) {
      lastError = (err as Error).message;
    }
    for (const op of opts.operators ?? [])
      if (op.exited)
        throw new Error(
          `operator ${op.identity} exited ${JSON.stringify(op.exited)} while waiting for ${what}\n${op.logTail(40)}`,
        );
    await sleep(opts.intervalMs ?? 1000);
  }
  const logs = (opts.operators ?? []).map((op) => op.errorLines(15)).join('\n');
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}\n` +
      `${describeDc(dc)}\n${logs}`,
  );
}

export async function waitForCondition(
  fleet: TestFleet,
  namespace: string,
  name: string,
  type: string,
  status: 'True' | 'False',
  opts: { timeoutMs?: number; operators?: OperatorProcess[]; message?: RegExp } = {},
): Promise<DistributedCloud> {
  return waitForDc(
    fleet,
    namespace,
    name,
    `condition ${type}=${status}${opts.message ? ` with message ~ ${opts.message}` : ''}`,
    (dc) => {
      const c = conditionOf(dc, type);
      if (c?.status !== status) return false;
      if (c.observedGeneration !== undefined && c.observedGeneration !== dc.metadata.generation) return false;
      return !opts.message || opts.message.test(c.message ?? '');
    },
    opts,
  );
}

export async function waitForReady(
  fleet: TestFleet,
  namespace: string,
  name: string,
  opts: { timeoutMs?: number; operators?: OperatorProcess[] } = {},
): Promise<DistributedCloud> {
  return waitForDc(fleet, namespace, name, 'Ready=True for the current generation', isReady, opts);
}

// ---------------------------------------------------------------------------------------------------------------
// Owned objects in member clusters

export interface OwnedKind {
  kind: string;
  path: string;
  namespaced: boolean;
}

/** Every kind the operator may leave in a member cluster: what it renders (the engine's list), plus pods and namespaces. */
export const OWNED_KINDS: OwnedKind[] = [
  ...Object.entries(KIND_RESOURCES).map(([kind, r]) => ({ kind, path: resourcePath(r), namespaced: r.namespaced })),
  { kind: 'Pod', path: '/api/v1/pods', namespaced: true },
  { kind: 'Namespace', path: '/api/v1/namespaces', namespaced: false },
];

export interface K8sObj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    creationTimestamp?: string;
    resourceVersion?: string;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  status?: Record<string, unknown>;
}

export interface OwnedObject {
  cluster: string;
  site: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  object: K8sObj;
}

/**
 * The nodePorts of the DC's live `-wan` Services among `owned` (listOwnedEverywhere), as the operator reads them back:
 * what a test renders with to get the objects the operator applied (RenderInput.exposed).
 */
export function exposedOf(owned: readonly OwnedObject[]): Map<string, number> {
  const observed = new Map<string, { state: { live: Map<string, LiveObject> } }>();
  for (const o of owned) {
    if (o.kind !== 'Service') continue;
    const site = observed.get(o.site) ?? { state: { live: new Map<string, LiveObject>() } };
    site.state.live.set(`${o.namespace}/${o.name}`, o.object as unknown as LiveObject);
    observed.set(o.site, site);
  }
  return exposedNodePorts(observed);
}

/** "Kind ns/name@cluster", for messages. */
export function ref(o: OwnedObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}@${o.cluster}`;
}

/**
 * Objects of the DC `namespace/name` in one member cluster, across kinds and namespaces: label dc=<name>, and the
 * dc-namespace label (or, without it, the object's namespace / the Namespace's name) equal to the DC's namespace.
 * The management cluster's copy of the DC's own namespace is not counted (it holds the DC itself).
 */
export async function listOwnedObjects(
  cluster: Cluster,
  dc: { namespace: string; name: string },
  kinds: OwnedKind[] = OWNED_KINDS,
): Promise<OwnedObject[]> {
  const kc: KubeConfig = cluster.kubeConfig();
  const out: OwnedObject[] = [];
  for (const k of kinds) {
    const list = await kubeGetJson<{ items: K8sObj[] }>(kc, k.path, { labelSelector: `${DC_LABEL}=${dc.name}` });
    for (const o of list.items) {
      const owner = o.metadata.labels?.[DC_NAMESPACE_LABEL] ?? (k.namespaced ? o.metadata.namespace : o.metadata.name);
      if (owner !== dc.namespace) continue;
      if (k.kind === 'Namespace' && cluster.name === 'mgmt' && o.metadata.name === dc.namespace) continue;
      out.push({
        cluster: cluster.name,
        site: siteForCluster(cluster.name),
        kind: k.kind,
        namespace: o.metadata.namespace,
        name: o.metadata.name,
        uid: o.metadata.uid,
        object: { ...o, kind: k.kind },
      });
    }
  }
  return out;
}

export async function listOwnedEverywhere(
  fleet: TestFleet,
  dc: { namespace: string; name: string },
  kinds: OwnedKind[] = OWNED_KINDS,
): Promise<OwnedObject[]> {
  const all = await Promise.all(fleet.all.map((c) => listOwnedObjects(c, dc, kinds)));
  return all.flat();
}

/** Polls until check() returns true; throws `what` plus describe() on timeout. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; describe?: () => Promise<string> } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastError = '';
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(opts.intervalMs ?? 1000);
  }
  const detail = opts.describe ? await opts.describe().catch((e: Error) => `(describe failed: ${e.message})`) : '';
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}\n${detail}`,
  );
}

/** Site name -> fleet cluster (core is hosted by mgmt). */
export function clusterForSite(fleet: TestFleet, site: string): Cluster {
  return fleet.cluster(site === 'core' ? 'mgmt' : site);
}
