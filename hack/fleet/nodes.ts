// Real worker nodes of the local fleet, the I/O part: the WAN bridge and one network namespace per cluster, node
// certificates, containerd / kubelet / kube-proxy started inside the namespace, images imported into containerd,
// and a teardown that removes every process, mount, cgroup, namespace, link and iptables rule it created
// (realNodeLeftovers() says what, if anything, is left). Needs root, iproute2, nsenter, iptables, openssl, runc
// and the CNI plugins (hack/lib.sh ensure_real_node_packages installs them).
import { execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CNI_BIN_DIR,
  certKubeconfig,
  cniConfig,
  containerdConfig,
  kubeProxyConfig,
  kubeletConfig,
  type NodeLayout,
  type RealNetwork,
} from './node-config.js';
import { processAlive } from './operator-process.js';

const execFileP = promisify(execFile);

/** Runs a command; rejects with its stderr (first lines) in the message. */
export async function sh(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const detail = (e.stderr ?? '').trim().split('\n').slice(0, 5).join('\n') || e.message;
    throw new Error(`${cmd} ${args.join(' ')}: ${detail}`, { cause: err });
  }
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    await execFileP(cmd, args, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** argv prefix running a command in a node's network namespace (mounts stay the host's, so cgroups stay visible). */
export function inNetns(netns: string, cmd: string, args: string[]): [string, string[]] {
  return ['nsenter', [`--net=/run/netns/${netns}`, '--', cmd, ...args]];
}

export const REAL_NODE_COMMANDS = ['ip', 'nsenter', 'iptables', 'iptables-save', 'openssl', 'runc', 'mount', 'umount'];

/** Checks root, host commands, CNI plugins and tool binaries; throws one message listing what is missing. */
export function requireRealNodeHost(binDir: string): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('real nodes need root (network namespaces, mounts, cgroups)');
  const pathDirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin']);
  for (const c of REAL_NODE_COMMANDS)
    if (!pathDirs.some((d) => existsSync(path.join(d, c)))) problems.push(`command ${c} not found`);
  for (const p of ['bridge', 'host-local', 'portmap', 'loopback'])
    if (!existsSync(path.join(CNI_BIN_DIR, p))) problems.push(`CNI plugin ${CNI_BIN_DIR}/${p} not found`);
  for (const b of ['kubelet', 'kube-proxy', 'containerd', 'containerd-shim-runc-v2', 'ctr'])
    if (!existsSync(path.join(binDir, b))) problems.push(`${binDir}/${b} not found`);
  if (problems.length > 0) {
    throw new Error(
      `cannot run real nodes:\n  - ${problems.join('\n  - ')}\n` +
        'Install with: bash hack/tools/build.sh kubernetes-node containerd && ' +
        'apt-get install -y runc containernetworking-plugins iptables conntrack',
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Network

async function linkExists(name: string, netns?: string): Promise<boolean> {
  return succeeds('ip', [...(netns ? ['-n', netns] : []), 'link', 'show', name]);
}

async function netnsExists(name: string): Promise<boolean> {
  return existsSync(`/run/netns/${name}`);
}

const FORWARD_RULE = (net: RealNetwork) => [
  'FORWARD',
  '-i',
  net.bridge,
  '-o',
  net.bridge,
  '-m',
  'comment',
  '--comment',
  `discovery-fleet ${net.tag}`,
  '-j',
  'ACCEPT',
];

/**
 * The WAN bridge with the host's address on it. Bridged traffic passes the host's iptables (br_netfilter), so an
 * ACCEPT rule keeps sites talking even when something (a Docker daemon) sets the FORWARD policy to DROP.
 */
export async function ensureWan(net: RealNetwork): Promise<void> {
  if (!(await linkExists(net.bridge))) {
    await sh('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
  }
  await sh('ip', ['addr', 'replace', `${net.hostIp}/24`, 'dev', net.bridge]);
  await sh('ip', ['link', 'set', net.bridge, 'up']);
  if (!(await succeeds('iptables', ['-C', ...FORWARD_RULE(net)]))) await sh('iptables', ['-I', ...FORWARD_RULE(net)]);
}

/** The node's network namespace: eth0 on the WAN bridge with the node address, default route via the host. */
export async function ensureNodeNetwork(net: RealNetwork, node: NodeLayout): Promise<void> {
  if (!(await netnsExists(node.netns))) await sh('ip', ['netns', 'add', node.netns]);
  if (!(await linkExists(node.hostVeth))) {
    await sh('ip', ['link', 'add', node.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns]);
  }
  await sh('ip', ['link', 'set', node.hostVeth, 'master', net.bridge, 'up']);
  const n = ['-n', node.netns];
  await sh('ip', [...n, 'addr', 'replace', `${node.ip}/24`, 'dev', 'eth0']);
  await sh('ip', [...n, 'link', 'set', 'eth0', 'up']);
  await sh('ip', [...n, 'link', 'set', 'lo', 'up']);
  await sh('ip', [...n, 'route', 'replace', 'default', 'via', net.hostIp]);
  const [cmd, args] = inNetns(node.netns, 'sysctl', [
    '-q',
    '-w',
    'net.ipv4.ip_forward=1',
    'net.bridge.bridge-nf-call-iptables=1',
    'net.ipv4.conf.all.route_localnet=1',
  ]);
  await sh(cmd, args);
  // The host reaches pods directly (debugging, tests) through the node.
  await sh('ip', ['route', 'replace', node.podCidr, 'via', node.ip, 'dev', net.bridge]);
}

// ---------------------------------------------------------------------------------------------------------------
// Certificates

/**
 * Issues a client (or serving, with IP SANs) certificate signed by the cluster CA; keeps an existing one only while
 * it still verifies against that CA (a re-created cluster has a new CA).
 */
async function issueCert(
  dir: string,
  name: string,
  ca: { crt: string; key: string },
  subject: string,
  ipSans: string[] = [],
): Promise<{ crt: string; key: string }> {
  const crt = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  if (existsSync(crt) && existsSync(key) && (await succeeds('openssl', ['verify', '-CAfile', ca.crt, crt])))
    return { crt, key };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  await sh('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  await sh('openssl', ['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  const lines = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
  lines.push(ipSans.length ? 'extendedKeyUsage=serverAuth,clientAuth' : 'extendedKeyUsage=clientAuth');
  if (ipSans.length) lines.push(`subjectAltName=${ipSans.map((ip) => `IP:${ip}`).join(',')}`);
  writeFileSync(ext, `${lines.join('\n')}\n`);
  await sh('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.crt,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-CAserial',
    path.join(dir, 'ca.srl'),
    '-days',
    '3650',
    '-extfile',
    ext,
    '-out',
    crt,
  ]);
  rmSync(csr, { force: true });
  rmSync(ext, { force: true });
  return { crt, key };
}

// ---------------------------------------------------------------------------------------------------------------
// Daemons

function pidFile(node: NodeLayout, name: string): string {
  return path.join(node.confDir, `${name}.pid`);
}

export function daemonPid(node: NodeLayout, name: string): number | undefined {
  const f = pidFile(node, name);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return processAlive(pid) ? pid : undefined;
}

/** Starts a daemon inside the node's network namespace (detached, logging to <confDir>/<name>.log) unless running. */
function startDaemon(node: NodeLayout, name: string, cmd: string, args: string[]): number {
  const running = daemonPid(node, name);
  if (running) return running;
  const log = openSync(path.join(node.confDir, `${name}.log`), 'a');
  const [c, a] = inNetns(node.netns, cmd, args);
  const child = spawn(c, a, {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, PATH: `${path.dirname(cmd)}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
  });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile(node, name), `${child.pid}\n`);
  return child.pid!;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message.split('\n')[0] ?? '';
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${last}` : ''}`);
}

async function stopPid(pid: number, graceMs: number): Promise<void> {
  if (!processAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && processAlive(pid)) await new Promise((r) => setTimeout(r, 100));
  if (processAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Node start

export interface ImageArchive {
  ref: string;
  archive: string;
}

export interface StartNodeInput {
  net: RealNetwork;
  node: NodeLayout;
  binDir: string;
  /** Cluster CA (kwokctl's pki): signs the node's client certificates and verifies the API server. */
  ca: { crt: string; key: string };
  /** API server URL as seen from inside the node's namespace. */
  server: string;
  sandboxImage: string;
  images: ImageArchive[];
  nodeLabels: Record<string, string>;
  log: (m: string) => void;
}

function ctr(input: { binDir: string; node: NodeLayout }, args: string[], timeoutMs = 600_000): Promise<string> {
  return sh(path.join(input.binDir, 'ctr'), ['-a', input.node.containerdSocket, '-n', 'k8s.io', ...args], timeoutMs);
}

/** Imports every image whose ref the node's containerd does not have yet. */
async function importImages(input: StartNodeInput): Promise<number> {
  const present = new Set((await ctr(input, ['images', 'ls', '-q'])).split('\n').map((s) => s.trim()));
  let imported = 0;
  for (const img of input.images) {
    if (present.has(img.ref)) continue;
    present.add(img.ref);
    if (!existsSync(img.archive))
      throw new Error(`image archive ${img.archive} (${img.ref}) is missing: run npm run images`);
    await ctr(input, ['images', 'import', '--snapshotter', 'overlayfs', img.archive]);
    imported++;
  }
  return imported;
}

/** Writes the node's configuration and starts containerd, kubelet and kube-proxy in its namespace (idempotent). */
export async function startRealNode(input: StartNodeInput): Promise<void> {
  const { node, binDir } = input;
  for (const d of [node.confDir, node.cniConfDir, node.runDir, node.dataDir, node.kubeletRoot, node.podLogsDir])
    mkdirSync(d, { recursive: true });
  mkdirSync(node.volumesDir, { recursive: true, mode: 0o755 });
  for (const h of cgroupHierarchies()) mkdirSync(path.join(h, node.cgroupRoot), { recursive: true });
  recordHostPaths();
  raiseHostLimits();

  const pki = path.join(node.confDir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const caPem = readFileSync(input.ca.crt, 'utf8');
  const kubelet = await issueCert(pki, 'kubelet', input.ca, `/O=system:nodes/CN=system:node:${node.nodeName}`);
  const serving = await issueCert(pki, 'kubelet-serving', input.ca, `/CN=${node.nodeName}`, [node.ip]);
  const proxy = await issueCert(pki, 'kube-proxy', input.ca, '/CN=system:kube-proxy');
  const file = (name: string, content: string, mode = 0o600) => {
    const p = path.join(node.confDir, name);
    writeFileSync(p, content, { mode });
    return p;
  };
  const read = (p: string) => readFileSync(p, 'utf8');
  const kubeletKc = file(
    'kubelet.kubeconfig',
    certKubeconfig(node.cluster, input.server, caPem, read(kubelet.crt), read(kubelet.key)),
  );
  const proxyKc = file(
    'kube-proxy.kubeconfig',
    certKubeconfig(node.cluster, input.server, caPem, read(proxy.crt), read(proxy.key)),
  );
  const caFile = file('ca.crt', caPem, 0o644);
  const containerdToml = file('containerd.toml', containerdConfig(node, input.sandboxImage), 0o644);
  writeFileSync(path.join(node.cniConfDir, '10-fleet.conflist'), cniConfig(node));
  const kubeletYaml = file(
    'kubelet.yaml',
    kubeletConfig(node, { caFile, tlsCertFile: serving.crt, tlsPrivateKeyFile: serving.key }),
    0o644,
  );
  const proxyYaml = file('kube-proxy.yaml', kubeProxyConfig(node, proxyKc), 0o644);

  const t0 = Date.now();
  startDaemon(node, 'containerd', path.join(binDir, 'containerd'), ['--config', containerdToml]);
  await waitFor(`containerd of ${node.nodeName}`, 30_000, async () => {
    await ctr(input, ['version'], 5_000);
    return true;
  });
  const imported = await importImages(input);
  input.log(
    `[fleet] ${node.cluster}: containerd up, ${imported} image(s) imported in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
  const labels = Object.entries(input.nodeLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  startDaemon(node, 'kubelet', path.join(binDir, 'kubelet'), [
    `--config=${kubeletYaml}`,
    `--kubeconfig=${kubeletKc}`,
    `--root-dir=${node.kubeletRoot}`,
    `--cert-dir=${path.join(node.kubeletRoot, 'pki')}`,
    `--node-ip=${node.ip}`,
    `--hostname-override=${node.nodeName}`,
    `--node-labels=${labels}`,
    '--v=1',
  ]);
  startDaemon(node, 'kube-proxy', path.join(binDir, 'kube-proxy'), [`--config=${proxyYaml}`, '--v=1']);
}

// ---------------------------------------------------------------------------------------------------------------
// Teardown and leftovers

/** Mounted cgroup hierarchies (v1 controllers, named ones and the unified v2 one). */
export function cgroupHierarchies(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep > 0 && (parts[sep + 1] === 'cgroup' || parts[sep + 1] === 'cgroup2')) out.push(unescapeMount(parts[4]!));
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points under any of the prefixes, deepest first. */
export function mountsUnder(prefixes: string[]): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = unescapeMount(mp);
    if (prefixes.some((pre) => p === pre || p.startsWith(`${pre}/`))) out.push(p);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** Removes a cgroup tree bottom-up (directories only: cgroupfs refuses to delete files). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    // still populated (a process survived): reported by realNodeLeftovers
  }
}

function pidsWithArg(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out.filter((p) => p !== process.pid);
}

/** Stops one node: daemons, every container (through its runc root), shims, then mounts and cgroups. */
export async function stopRealNode(node: NodeLayout): Promise<void> {
  for (const name of ['kube-proxy', 'kubelet']) {
    const pid = daemonPid(node, name);
    if (pid) await stopPid(pid, 5_000);
    rmSync(pidFile(node, name), { force: true });
  }
  // containerd's shim runs runc with --root <Root>/<namespace>: every container of every namespace.
  if (existsSync(node.runcRoot)) {
    for (const ns of readdirSync(node.runcRoot, { withFileTypes: true })) {
      if (!ns.isDirectory()) continue;
      const root = path.join(node.runcRoot, ns.name);
      const ids = (await sh('runc', ['--root', root, 'list', '-q']).catch(() => ''))
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean);
      for (const id of ids) await sh('runc', ['--root', root, 'delete', '--force', id]).catch(() => '');
    }
  }
  for (const pid of pidsWithArg(node.containerdSocket)) await stopPid(pid, 2_000);
  const containerd = daemonPid(node, 'containerd');
  if (containerd) await stopPid(containerd, 5_000);
  rmSync(pidFile(node, 'containerd'), { force: true });
  // Anything else still inside the namespace (a process a container forked off, a stray daemon).
  if (await netnsExists(node.netns)) {
    const pids = (await sh('ip', ['netns', 'pids', node.netns]).catch(() => '')).split('\n').filter(Boolean);
    for (const p of pids) await stopPid(Number(p), 2_000);
  }
  // Whatever still runs under the node's cgroup root (a container runc did not know about) is killed too.
  await killCgroupProcesses(node.cgroupRoot);
  for (const m of mountsUnder([node.runDir, node.dataDir]))
    await sh('umount', [m]).catch(() => sh('umount', ['-l', m]).catch(() => ''));
  for (const h of cgroupHierarchies()) removeCgroupTree(path.join(h, node.cgroupRoot));
}

/** Process ids in a cgroup tree (every hierarchy; cgroup.procs files). */
function cgroupPids(cgroupRoot: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    try {
      for (const l of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n'))
        if (l.trim()) pids.add(Number(l));
    } catch {
      // not readable: gone
    }
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(dir, e.name));
  };
  for (const h of cgroupHierarchies()) walk(path.join(h, cgroupRoot));
  return [...pids].filter((p) => p !== process.pid);
}

/** SIGKILLs every process under the cgroup root until none is left (or 10 s pass). */
async function killCgroupProcesses(cgroupRoot: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let pids = cgroupPids(cgroupRoot); pids.length > 0 && Date.now() < deadline; pids = cgroupPids(cgroupRoot)) {
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Removes the node's namespace (and with it its veth pair and every iptables rule kube-proxy wrote there). */
export async function removeNodeNetwork(net: RealNetwork, node: NodeLayout): Promise<void> {
  await sh('ip', ['route', 'del', node.podCidr]).catch(() => '');
  if (await linkExists(node.hostVeth)) await sh('ip', ['link', 'del', node.hostVeth]).catch(() => '');
  if (await netnsExists(node.netns)) await sh('ip', ['netns', 'del', node.netns]);
  rmSync(node.runDir, { recursive: true, force: true });
  rmSync(node.dataDir, { recursive: true, force: true });
  rmSync(path.join(node.confDir, 'pki'), { recursive: true, force: true });
  await sh('ip', ['route', 'del', node.podCidr, 'dev', net.bridge]).catch(() => '');
}

/**
 * Host paths every kubelet uses whatever its --root-dir (the device-plugin socket directory, the container log
 * links), and the hostPath volumes of the nova-compute DaemonSet (nova's instances, libvirt's state, socket and
 * domain definitions: real nodes share the VM's filesystem). Those that did not exist before the first real node of
 * any fleet are recorded, and removed when the last fleet leaves the host.
 */
export const KUBELET_HOST_PATHS = [
  '/var/lib/kubelet',
  '/var/log/containers',
  '/var/log/pods',
  '/var/lib/nova',
  '/var/lib/libvirt',
  '/run/libvirt',
  '/etc/libvirt',
];
const SHARED_ROOTS = ['/run/discovery-fleet', '/var/lib/discovery-fleet'];
const HOST_CREATED = '/var/lib/discovery-fleet/host-created.json';

/**
 * Host-wide kernel limits real nodes need more of: every kubelet, containerd, kube-proxy and CoreDNS holds inotify
 * instances, and the default 128 per user is used up by a few clusters (kube-proxy then fails with "too many open
 * files"). Raised while fleets run; the previous values are recorded and put back when the last fleet leaves.
 */
const HOST_SYSCTLS: Record<string, number> = {
  '/proc/sys/fs/inotify/max_user_instances': 1024,
  '/proc/sys/fs/inotify/max_user_watches': 524288,
};
const HOST_SYSCTLS_SAVED = '/var/lib/discovery-fleet/host-sysctls.json';

export function raiseHostLimits(): void {
  mkdirSync(path.dirname(HOST_SYSCTLS_SAVED), { recursive: true });
  const saved: Record<string, string> = existsSync(HOST_SYSCTLS_SAVED)
    ? (JSON.parse(readFileSync(HOST_SYSCTLS_SAVED, 'utf8')) as Record<string, string>)
    : {};
  for (const [file, want] of Object.entries(HOST_SYSCTLS)) {
    const now = readFileSync(file, 'utf8').trim();
    if (Number(now) >= want) continue;
    saved[file] ??= now;
    writeFileSync(file, `${want}\n`);
  }
  writeFileSync(HOST_SYSCTLS_SAVED, `${JSON.stringify(saved)}\n`);
}

function restoreHostLimits(): void {
  if (!existsSync(HOST_SYSCTLS_SAVED)) return;
  const saved = JSON.parse(readFileSync(HOST_SYSCTLS_SAVED, 'utf8')) as Record<string, string>;
  for (const [file, value] of Object.entries(saved)) if (file in HOST_SYSCTLS) writeFileSync(file, `${value}\n`);
}

/**
 * The cgroup libvirtd (in a nova-compute pod, with the host's /sys/fs/cgroup) puts its guests under: `machine` at
 * the root of every hierarchy. Removed like the host paths when the last fleet leaves, if a fleet created it.
 */
export function libvirtCgroups(): string[] {
  return cgroupHierarchies().map((h) => path.join(h, 'machine'));
}

/** Records which host paths do not exist yet (once, before the first real node on this host starts). */
export function recordHostPaths(): void {
  if (existsSync(HOST_CREATED)) return;
  mkdirSync(path.dirname(HOST_CREATED), { recursive: true });
  const absent = [...KUBELET_HOST_PATHS, ...libvirtCgroups()].filter((p) => !existsSync(p));
  writeFileSync(HOST_CREATED, `${JSON.stringify(absent)}\n`);
}

/** Fleet tags with state on this host. */
function fleetsOnHost(): string[] {
  const tags = new Set<string>();
  for (const root of SHARED_ROOTS)
    if (existsSync(root))
      for (const e of readdirSync(root, { withFileTypes: true })) if (e.isDirectory()) tags.add(e.name);
  return [...tags];
}

/** Removes what the fleet shares on the host: the bridge, its iptables rule, and the /run and /var/lib roots. */
export async function removeWan(net: RealNetwork): Promise<void> {
  while (await succeeds('iptables', ['-C', ...FORWARD_RULE(net)])) await sh('iptables', ['-D', ...FORWARD_RULE(net)]);
  if (await linkExists(net.bridge)) await sh('ip', ['link', 'del', net.bridge]);
  for (const m of mountsUnder([net.runDir, net.dataDir]))
    await sh('umount', [m]).catch(() => sh('umount', ['-l', m]).catch(() => ''));
  rmSync(net.runDir, { recursive: true, force: true });
  rmSync(net.dataDir, { recursive: true, force: true });
  if (fleetsOnHost().length > 0) return; // another fleet still runs real nodes here
  restoreHostLimits();
  if (existsSync(HOST_CREATED)) {
    const created = JSON.parse(readFileSync(HOST_CREATED, 'utf8')) as string[];
    const ours = created.filter((p) => KUBELET_HOST_PATHS.includes(p));
    for (const m of mountsUnder(ours)) await sh('umount', [m]).catch(() => sh('umount', ['-l', m]).catch(() => ''));
    for (const p of ours) rmSync(p, { recursive: true, force: true });
    const cgroups = libvirtCgroups();
    for (const p of created) if (cgroups.includes(p)) removeCgroupTree(p);
  }
  for (const root of SHARED_ROOTS) rmSync(root, { recursive: true, force: true });
}

/**
 * What a fleet's real nodes left on the host: processes, mounts, network namespaces, links, iptables rules,
 * cgroups and directories carrying the fleet's tag. Empty after a clean `fleet down`.
 */
export async function realNodeLeftovers(net: RealNetwork): Promise<string[]> {
  const out: string[] = [];
  for (const needle of [net.runDir, net.dataDir])
    for (const pid of pidsWithArg(needle)) {
      try {
        out.push(`process ${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3).join(' ')}`);
      } catch {
        // exited meanwhile
      }
    }
  for (const m of mountsUnder([net.runDir, net.dataDir])) out.push(`mount ${m}`);
  if (existsSync('/run/netns'))
    for (const ns of readdirSync('/run/netns')) if (ns.startsWith(`${net.tag}-`)) out.push(`network namespace ${ns}`);
  const links = await sh('ip', ['-o', 'link', 'show']).catch(() => '');
  for (const line of links.split('\n')) {
    const name = line.split(': ')[1]?.split('@')[0];
    if (name?.startsWith(`${net.tag}-`)) out.push(`link ${name}`);
  }
  for (const table of ['filter', 'nat', 'mangle', 'raw']) {
    const rules = await sh('iptables-save', ['-t', table]).catch(() => '');
    for (const line of rules.split('\n')) if (line.includes(net.tag)) out.push(`iptables -t ${table}: ${line}`);
  }
  const routes = await sh('ip', ['route', 'show']).catch(() => '');
  for (const line of routes.split('\n')) if (line.startsWith(`${net.prefix16}.`)) out.push(`route ${line}`);
  for (const h of cgroupHierarchies()) {
    if (!existsSync(h)) continue;
    for (const e of readdirSync(h)) if (e.startsWith(`${net.tag}-`)) out.push(`cgroup ${path.join(h, e)}`);
  }
  for (const d of [net.runDir, net.dataDir]) if (existsSync(d)) out.push(`directory ${d}`);
  return out;
}

/** Whether a path is one of this fleet's (its tag, its /run or /var/lib directory). */
export function belongsToFleet(net: RealNetwork, text: string): boolean {
  return text.includes(net.runDir) || text.includes(net.dataDir) || text.includes(`${net.tag}-`);
}

/** Pod log symlinks the kubelets left in /var/log/containers that point into this fleet's pod log directories. */
export function removePodLogLinks(net: RealNetwork): void {
  const dir = '/var/log/containers';
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    try {
      if (readlinkSync(p).startsWith(net.dataDir)) rmSync(p, { force: true });
    } catch {
      // not a link
    }
  }
}
