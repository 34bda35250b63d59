// A throwaway containerd v2 (the fleet nodes' runtime, from hack/tools) with its own root, state and socket, for
// checking that image archives import; it is stopped and every mount and directory it made is removed afterwards.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mountsUnder, run, unmountUnder } from '../../../hack/images/host.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withThrowawayContainerd(
  binDir: string,
  fn: (ctr: (args: string[]) => Promise<string>) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dimg-containerd-'));
  const state = `/run/dimg-ctrd-${process.pid}`;
  const socket = path.join(state, 'containerd.sock');
  mkdirSync(state, { recursive: true });
  // Only what importing needs: no CRI (it would look for CNI and a sandbox image), no metrics or tracing endpoints.
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
  const child = spawn(path.join(binDir, 'containerd'), ['--config', path.join(dir, 'config.toml')], {
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ctr = (args: string[]) => run(path.join(binDir, 'ctr'), ['--address', socket, ...args]);
  let left: string[];
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
    await fn(ctr);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timeout = sleep(10_000).then(() => 'timeout');
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await unmountUnder([dir, state]);
    left = mountsUnder([dir, state]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
  if (left.length) throw new Error(`containerd left mounts: ${left.join(', ')}`);
}
