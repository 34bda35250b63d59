// A private dockerd (Debian's docker.io) that lives only while images are built or checked: its own data root in the
// image cache, exec root, socket and pidfile under /run/dimg-<id>, no iptables, no bridge, no IP forwarding; stop()
// removes every process, mount, cgroup and directory it left behind, and a run finding one left by a killed run
// removes that first.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { sha256 } from './keys.js';
import {
  cgroupMounts,
  mountsUnder,
  onCleanup,
  pidAlive,
  pidsMentioning,
  run,
  say,
  unmountUnder,
  which,
  type RunOptions,
} from './host.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where a daemon for a given cache lives; one cache, one daemon (the cache lock keeps it so). */
export interface DaemonPaths {
  id: string;
  dataRoot: string;
  execRoot: string;
  socket: string;
  pidfile: string;
  cgroupParent: string;
  logFile: string;
}

export function daemonPaths(cacheDir: string): DaemonPaths {
  const id = sha256(path.resolve(cacheDir)).slice(0, 8);
  const execRoot = `/run/dimg-${id}`;
  return {
    id,
    dataRoot: path.join(cacheDir, 'docker'),
    execRoot,
    socket: path.join(execRoot, 'docker.sock'),
    pidfile: path.join(execRoot, 'docker.pid'),
    cgroupParent: `dimg-${id}`,
    logFile: path.join(cacheDir, 'logs', 'dockerd.log'),
  };
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await sleep(100);
  }
  return !pidAlive(pid);
}

/** Stops processes by pid: SIGTERM, then SIGKILL after `graceMs`. */
async function stopPids(pids: number[], graceMs: number): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  for (const pid of pids) {
    if (!(await waitGone(pid, graceMs))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await waitGone(pid, 5000);
    }
  }
}

/** Removes the daemon's cgroup parent (and any container cgroups left in it) from every hierarchy. */
function removeCgroups(parent: string): string[] {
  const removed: string[] = [];
  const rmTree = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) rmTree(path.join(dir, entry.name));
    rmdirSync(dir);
    removed.push(dir);
  };
  for (const mount of cgroupMounts()) {
    const dir = path.join(mount, parent);
    if (!existsSync(dir)) continue;
    try {
      rmTree(dir);
    } catch {
      // a process still in it: left for the next run's cleanup
    }
  }
  return removed;
}

/**
 * Removes what a daemon of these paths may have left: its processes (dockerd, its containerd, shims), mounts under
 * its exec and data roots, its cgroups and exec root. Safe to call when nothing is left.
 */
export async function cleanupDaemon(paths: DaemonPaths): Promise<string[]> {
  const left: string[] = [];
  const pids = pidsMentioning(paths.execRoot);
  if (pids.length) {
    left.push(`processes ${pids.join(', ')}`);
    await stopPids(pids, 20_000);
  }
  const mounts = await unmountUnder([paths.execRoot, paths.dataRoot]);
  if (mounts.length) left.push(`mounts ${mounts.join(', ')}`);
  if (existsSync(paths.execRoot)) rmSync(paths.execRoot, { recursive: true, force: true });
  const cgroups = removeCgroups(paths.cgroupParent);
  if (cgroups.length) left.push(`cgroups ${paths.cgroupParent}`);
  return left;
}

/** The docker CLI matching the daemon (Debian's /usr/bin/docker) when present, else whatever `docker` is on PATH. */
function dockerCli(): string {
  if (existsSync('/usr/bin/docker')) return '/usr/bin/docker';
  const cli = which('docker');
  if (!cli) throw new Error('no docker CLI found (Debian package docker.io provides /usr/bin/docker)');
  return cli;
}

export class DockerDaemon {
  readonly paths: DaemonPaths;
  private child: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;
  private unregister: (() => void) | undefined;
  private readonly cli: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly cacheDir: string) {
    this.paths = daemonPaths(cacheDir);
    this.cli = dockerCli();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DOCKER_HOST: `unix://${this.paths.socket}`,
      // The Dockerfiles use nothing BuildKit-only; the classic builder needs no buildx plugin and never pulls a
      // `# syntax=` frontend image.
      DOCKER_BUILDKIT: '0',
      DOCKER_CONFIG: path.join(cacheDir, 'docker-cli'),
    };
    for (const k of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete env[k];
    this.env = env;
  }

  /** Starts dockerd (cleaning up what an earlier, killed run left first) and waits until it answers. */
  async start(): Promise<void> {
    const p = this.paths;
    const left = await cleanupDaemon(p);
    if (left.length) say(`removed what an earlier run left behind: ${left.join('; ')}`);
    mkdirSync(p.execRoot, { recursive: true, mode: 0o700 });
    mkdirSync(p.dataRoot, { recursive: true });
    mkdirSync(path.dirname(p.logFile), { recursive: true });
    mkdirSync(this.env.DOCKER_CONFIG!, { recursive: true });
    const log = openSync(p.logFile, 'a');
    const args = [
      `--data-root=${p.dataRoot}`,
      `--exec-root=${p.execRoot}`,
      `--host=unix://${p.socket}`,
      `--pidfile=${p.pidfile}`,
      // Our own config file, so a host's /etc/docker/daemon.json cannot conflict with these flags.
      `--config-file=${path.join(this.cacheDir, 'dockerd.json')}`,
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--bridge=none',
      `--cgroup-parent=${p.cgroupParent}`,
      '--log-level=warn',
    ];
    // The config file: nothing but the trust key's path, which would otherwise be created as /etc/docker/key.json.
    const config = { 'deprecated-key-path': path.join(this.cacheDir, 'dockerd-key.json') };
    writeFileSync(path.join(this.cacheDir, 'dockerd.json'), `${JSON.stringify(config)}\n`);
    // Debian's containerd and runc from /usr/bin, never another containerd that happens to be on PATH.
    const env = { PATH: '/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root' };
    const dockerd = which('dockerd');
    if (!dockerd) throw new Error('dockerd not found (Debian package docker.io)');
    this.child = spawn(dockerd, args, { detached: true, stdio: ['ignore', log, log], env });
    closeSync(log);
    this.unregister = onCleanup(() => this.stop());
    const exited = new Promise<string>((resolve) =>
      this.child!.once('exit', (code, sig) => resolve(sig ?? `exit ${code}`)),
    );
    let gone: string | undefined;
    void exited.then((why) => (gone = why));
    const deadline = Date.now() + 60_000;
    while (!(await ping(p.socket))) {
      if (gone) throw new Error(`dockerd stopped at start (${gone}); see ${p.logFile}\n${this.logTail()}`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`dockerd did not answer on ${p.socket} within 60 s; see ${p.logFile}\n${this.logTail()}`);
      }
      await sleep(100);
    }
  }

  private logTail(): string {
    try {
      return readFileSync(this.paths.logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  }

  /** Stops dockerd and removes everything it left (idempotent; also runs on Ctrl-C). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const child = this.child;
      if (child?.pid && child.exitCode === null && child.signalCode === null) await stopPids([child.pid], 30_000);
      const left = await cleanupDaemon(this.paths);
      if (left.length) say(`dockerd left ${left.join('; ')}: removed`);
      const mounts = mountsUnder([this.paths.execRoot, this.paths.dataRoot]);
      if (mounts.length) throw new Error(`mounts still present after stopping dockerd: ${mounts.join(', ')}`);
      this.unregister?.();
    })();
    return this.stopping;
  }

  /** Runs the docker CLI against this daemon. */
  docker(args: string[], opts: RunOptions = {}): Promise<string> {
    return run(this.cli, args, { ...opts, env: { ...this.env, ...opts.env } });
  }

  async version(): Promise<string> {
    return (await this.docker(['version', '--format', '{{.Server.Version}}'])).trim();
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      await this.docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
      return true;
    } catch {
      return false;
    }
  }
}

/** Starts a private dockerd for `cacheDir`, runs `fn`, and always stops it and cleans up. */
export async function withDocker<T>(cacheDir: string, fn: (docker: DockerDaemon) => Promise<T>): Promise<T> {
  const daemon = new DockerDaemon(cacheDir);
  try {
    await daemon.start();
    return await fn(daemon);
  } finally {
    await daemon.stop();
  }
}
