// A throwaway containerd v2 (the fleet nodes' runtime, from hack/tools) with its own root, state, socket and cgroup
// parent, for importing image archives and running them as a node would; stop() ends it and its shims and removes
// every mount, cgroup and directory it made.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupMounts, mountsUnder, pidsMentioning, run, unmountUnder } from '../../../hack/images/host.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ThrowawayContainerd {
  /** ctr against this containerd. */
  ctr(args: string[]): Promise<string>;
  /** A cgroup path for `ctr run --cgroup` under this containerd's own parent (removed by stop()). */
  cgroup(name: string): string;
  /** What was left and had to be removed (processes, mounts, cgroups); empty when everything ended cleanly. */
  stop(): Promise<string[]>;
}

function removeCgroupTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  rmdirSync(dir);
}

/** Processes in a cgroup parent (any hierarchy) and below it. */
function cgroupPids(parent: string): number[] {
  const pids: number[] = [];
  const walk = (dir: string) => {
    try {
      pids.push(...readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(dir, e.name));
    } catch {
      // not there
    }
  };
  for (const m of cgroupMounts()) walk(path.join(m, parent));
  return pids;
}

/**
 * Ends a container and its task: SIGKILL, then `tasks delete` until the task is gone (a killed task takes a moment
 * to be reaped), then `containers delete`. `ctr` runs in the container's namespace. Never throws.
 */
export async function removeContainer(ctr: (args: string[]) => Promise<string>, id: string): Promise<void> {
  await ctr(['tasks', 'kill', '-s', 'SIGKILL', id]).catch(() => {});
  for (let i = 0; i < 20; i++) {
    const deleted = await ctr(['tasks', 'delete', id]).then(
      () => true,
      () => false,
    );
    if (deleted) break;
    await sleep(250);
  }
  await ctr(['containers', 'delete', id]).catch(() => {});
}

export async function startThrowawayContainerd(binDir: string): Promise<ThrowawayContainerd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dimg-containerd-'));
  const name = `dimg-ctrd-${process.pid}`;
  const state = `/run/${name}`;
  const socket = path.join(state, 'containerd.sock');
  mkdirSync(state, { recursive: true });
  // Only what importing and running need: no CRI (it would look for CNI and a sandbox image).
  writeFileSync(
    path.join(dir, 'config.toml'),
    [
      'version = 3',
      `root = "${dir}/root"`,
      `state = "${state}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '',
    ].join('\n'),
  );
  const log = openSync(path.join(dir, 'containerd.log'), 'a');
  // The shim comes from binDir; runc from Debian's package.
  const env = { ...process.env, PATH: `${binDir}:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin` };
  const child = spawn(path.join(binDir, 'containerd'), ['--config', path.join(dir, 'config.toml')], {
    stdio: ['ignore', log, log],
    detached: true,
    env,
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ctr = (args: string[]) => run(path.join(binDir, 'ctr'), ['--address', socket, ...args]);

  let stopped: Promise<string[]> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const left: string[] = [];
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if ((await Promise.race([exited, sleep(10_000).then(() => 'timeout')])) === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
      // Shims outlive containerd: any task not deleted leaves one, and its container's processes in our cgroups.
      const pids = [...new Set([...pidsMentioning(state), ...cgroupPids(name)])];
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      if (pids.length) left.push(`processes ${pids.join(', ')}`);
      await sleep(pids.length ? 500 : 0);
      const mounts = await unmountUnder([dir, state]);
      if (mounts.length) left.push(`mounts ${mounts.join(', ')}`);
      for (const m of cgroupMounts()) {
        const cg = path.join(m, name);
        if (!existsSync(cg)) continue;
        try {
          removeCgroupTree(cg);
        } catch {
          left.push(`cgroup ${cg} (busy)`);
        }
      }
      if (mountsUnder([dir, state]).length === 0) {
        rmSync(dir, { recursive: true, force: true });
        rmSync(state, { recursive: true, force: true });
      }
      return left;
    })());

  try {
    const deadline = Date.now() + 30_000;
    while (
      !existsSync(socket) ||
      !(await ctr(['version']).then(
        () => true,
        () => false,
      ))
    ) {
      if (child.exitCode !== null) throw new Error(`containerd exited at start; see ${dir}/containerd.log`);
      if (Date.now() > deadline) throw new Error(`containerd did not answer within 30 s; see ${dir}/containerd.log`);
      await sleep(200);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { ctr, cgroup: (n) => `/${name}/${n}`, stop };
}
