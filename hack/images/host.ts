// Host-side plumbing of the image builder: running commands (tracked, so Ctrl-C can stop them), progress lines,
// the cache lock, mounts left under a directory, cleanup on signals, and installing missing tools with apt.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

// ---- progress ----

const started = Date.now();

function elapsed(): string {
  return `${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(6);
}

/** One progress line, prefixed with the time since the command started. */
export function say(message: string): void {
  process.stdout.write(`[images ${elapsed()}] ${message}\n`);
}

export function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

// ---- commands ----

const running = new Set<ChildProcess>();

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Append stdout and stderr to this file instead of keeping them (stdout is still returned). */
  logFile?: string;
  /** Write this to the command's stdin. */
  input?: string | Buffer;
  /** Stream stdin from this file. */
  stdinFile?: string;
  /** Print the output live (--verbose). */
  echo?: boolean;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly output: string,
  ) {
    super(message);
  }
}

/** Runs a command to completion; rejects with the last lines of its output when it fails. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdinFd = opts.stdinFile ? openSync(opts.stdinFile, 'r') : undefined;
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let tail = '';
    const keep = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString();
      if (isStdout && !opts.logFile) stdout += text;
      else if (isStdout) stdout = (stdout + text).slice(-65536);
      tail = (tail + text).slice(-8192);
      if (opts.logFile) appendFileSync(opts.logFile, chunk);
      if (opts.echo) process.stdout.write(chunk);
    };
    child.stdout!.on('data', (c: Buffer) => keep(c, true));
    child.stderr!.on('data', (c: Buffer) => keep(c, false));
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
    }
    child.on('error', (err) => {
      running.delete(child);
      if (stdinFd !== undefined) closeSync(stdinFd);
      reject(new CommandError(`${cmd}: ${err.message}`, null, tail));
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      if (stdinFd !== undefined) closeSync(stdinFd);
      if (code === 0) resolve(stdout);
      else {
        const lines = tail.trimEnd().split('\n').slice(-25).join('\n');
        const where = opts.logFile ? ` (full log: ${opts.logFile})` : '';
        reject(
          new CommandError(
            `${cmd} ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' …' : ''} failed (${signal ?? `exit ${code}`})${where}\n${lines}`,
            code,
            tail,
          ),
        );
      }
    });
  });
}

/** Stops every command started through run() (on Ctrl-C). */
export function killRunning(): void {
  for (const child of running) child.kill('SIGTERM');
}

// ---- cleanup on exit and signals ----

const cleanups: (() => Promise<void> | void)[] = [];

/** Registers work to undo on a signal (dockerd to stop, mounts to remove); the returned function unregisters it. */
export function onCleanup(fn: () => Promise<void> | void): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** On SIGINT/SIGTERM/SIGHUP: stop running commands, run the registered cleanups (newest first), exit 130. */
export function installSignalHandlers(): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping, cleaning up what this run started`);
    killRunning();
    void (async () => {
      for (const fn of [...cleanups].reverse()) {
        try {
          await fn();
        } catch (e) {
          process.stderr.write(`cleanup: ${(e as Error).message}\n`);
        }
      }
      process.exit(130);
    })();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, handler);
}

// ---- lock ----

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `${dir}/lock` for this process (a stale lock of a dead process is taken over); returns its release. */
export function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        if (existsSync(file) && readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && pidAlive(holder))
        throw new Error(`another \`npm run images\` (pid ${holder}) is using ${dir}; wait for it to finish`, {
          cause: e,
        });
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

// ---- mounts and processes ----

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or below any of the given directories, deepest first. */
export function mountsUnder(dirs: string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => unescapeMount(line.split(' ')[4]!));
  const inside = points.filter((p) => dirs.some((d) => p === d || p.startsWith(`${d.replace(/\/$/, '')}/`)));
  return [...new Set(inside)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below the given directories (lazily if a mount is busy). */
export async function unmountUnder(dirs: string[]): Promise<string[]> {
  const points = mountsUnder(dirs);
  for (const p of points) {
    try {
      await run('umount', [p]);
    } catch {
      await run('umount', ['-l', p]).catch(() => {});
    }
  }
  return points;
}

/** Mount points of the cgroup hierarchies (v1 controllers and the unified one). */
export function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => unescapeMount(line.split(' ')[4]!));
}

/** Pids of processes whose command line mentions `needle` (a path unique to this run), excluding this process. */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

// ---- tools on this machine ----

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Full path of a command on PATH (or in the sbin directories a non-login root shell may miss), else undefined. */
export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const candidate = path.join(dir, cmd);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Commands the builder needs from Debian's packages. */
export const HOST_PACKAGES: { cmd: string; pkg: string; why: string }[] = [
  // docker.io depends on Debian's containerd and runc, which dockerd runs from /usr/bin (see docker.ts).
  { cmd: 'dockerd', pkg: 'docker.io', why: 'the image builder (a private dockerd, only while building)' },
  { cmd: 'debootstrap', pkg: 'debootstrap', why: 'the Debian root filesystem of the base image' },
  { cmd: 'setcap', pkg: 'libcap2-bin', why: "CoreDNS's cap_net_bind_service file capability" },
  { cmd: 'tar', pkg: 'tar', why: 'packing the root filesystem' },
];

/**
 * Installs the missing packages with apt-get when running as root, without letting the packages start services
 * (docker.io would otherwise start a system dockerd that rewrites iptables); otherwise explains what to install.
 */
export async function ensureHostPackages(): Promise<void> {
  const missing = HOST_PACKAGES.filter((p) => !which(p.cmd));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((p) => p.pkg))];
  const list = missing.map((p) => `  ${p.cmd} (${p.pkg}): ${p.why}`).join('\n');
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error(
      `missing tools:\n${list}\ninstall them as root: apt-get install --no-install-recommends ${pkgs.join(' ')}`,
    );
  }
  say(`installing from apt: ${pkgs.join(' ')} (missing: ${missing.map((p) => p.cmd).join(', ')})`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy)
    writeFileSync(policy, '#!/bin/sh\n# written by hack/images while it installs packages\nexit 101\n', {
      mode: 0o755,
    });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update', '-qq'], { env });
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  const still = HOST_PACKAGES.filter((p) => !which(p.cmd));
  if (still.length) throw new Error(`still missing after apt-get install: ${still.map((p) => p.cmd).join(', ')}`);
}

/** Go builds the pause binary (and hack/tools builds CoreDNS); Debian 12's golang-go is too old for the pinned go.mod. */
export function requireGo(): string {
  const go = which('go');
  if (!go)
    throw new Error(
      "the Go toolchain ('go') is not on PATH: the pause and CoreDNS images are built from Go sources; install Go >= 1.26",
    );
  return go;
}
