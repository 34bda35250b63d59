// Runs `npm run images` (cold or warm), then checks every image for real: under the builder's private dockerd (toolbox
// serves and fetches HTTP, the operator prints its usage as uid 65532, pause reaps orphans and exits on SIGTERM,
// CoreDNS answers as non-root on port 53), in a throwaway containerd (every node image's archive imports), and that
// nothing the builder started is left behind. Run with `npm run test:images`.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { daemonPaths, DockerDaemon } from '../../../hack/images/docker.js';
import { acquireLock, cgroupMounts, mountsUnder, pidsMentioning, run } from '../../../hack/images/host.js';
import { imagesCacheDir, imageRef, readImageManifest, type ImageEntry } from '../../../hack/images/manifest.js';
import { REPO_ROOT } from '../../../hack/images/specs.js';
import { removeContainer, startThrowawayContainerd, type ThrowawayContainerd } from './containerd.js';

// Containers start in about a second, more when the machine is busy.
jest.setTimeout(120_000);

const cacheDir = imagesCacheDir();
const paths = daemonPaths(cacheDir);
const IMAGES = [
  'debian',
  'node-build',
  'node-runtime',
  'toolbox',
  'pause',
  'coredns',
  'local-path-provisioner',
  'discovery-operator',
];

interface CliRun {
  code: number | null;
  output: string;
  seconds: number;
}

/** `npm run images -- ARGS` as a user runs it; its output is forwarded to stderr (a cold build takes minutes). */
function images(args: string[] = []): Promise<CliRun> {
  const t = Date.now();
  return new Promise((resolve) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), ['hack/images/cli.ts', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (c: Buffer) => {
      output += c.toString();
      process.stderr.write(c);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ code, output, seconds: (Date.now() - t) / 1000 }));
  });
}

function iptablesForwardPolicy(): Promise<string> {
  return run('iptables', ['-S', 'FORWARD']).then((s) => s.split('\n').find((l) => l.startsWith('-P')) ?? '');
}

let entries: ImageEntry[];
let warm: CliRun;
let docker: DockerDaemon;
let release: (() => void) | undefined;
let forwardBefore: string;
let ipForwardBefore: string;
// Other dockerds on a shared machine may create /etc/docker/key.json; ours must not touch it (its key is in the cache).
const etcKey = () => (existsSync('/etc/docker/key.json') ? statSync('/etc/docker/key.json').mtimeMs : 0);
let etcKeyBefore: number;
const ipForward = () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
const ref = (name: string) => imageRef(name, entries);

beforeAll(async () => {
  forwardBefore = await iptablesForwardPolicy();
  ipForwardBefore = ipForward();
  etcKeyBefore = etcKey();
  const first = await images();
  expect(first.code).toBe(0);
  warm = await images();
  // The default set only: opt-in groups (`--group openstack`) built into the same cache have tests of their own.
  entries = readImageManifest(path.join(cacheDir, 'manifest.json')).filter((e) => IMAGES.includes(e.name));
  release = acquireLock(cacheDir);
  docker = new DockerDaemon(cacheDir);
  await docker.start();
}, 45 * 60_000);

afterAll(async () => {
  await docker?.stop();
  release?.();
}, 120_000);

describe('npm run images', () => {
  test('a second run finds every image cached, starts no daemon and takes seconds', () => {
    expect(warm.code).toBe(0);
    expect(warm.output).toContain(`all ${IMAGES.length} images cached`);
    expect(warm.output).not.toContain('dockerd');
    expect(warm.seconds).toBeLessThan(30);
  });

  test('the manifest lists every image with a content-derived tag under localhost/discovery and its archive', () => {
    expect(entries.map((e) => e.name)).toEqual(IMAGES);
    for (const e of entries) {
      expect(e.ref).toBe(`localhost/discovery/${e.name}:${e.version}-${e.key.slice(0, 12)}`);
      expect(e.tag).toBe(`${e.version}-${e.key.slice(0, 12)}`);
      expect(e.key).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(e.archive).size).toBe(e.bytes);
    }
    expect(entries.filter((e) => e.use === 'node').map((e) => e.name)).toEqual([
      'toolbox',
      'pause',
      'coredns',
      'local-path-provisioner',
      'discovery-operator',
    ]);
  });

  test('every archive loads into docker and carries its key as a label', async () => {
    for (const e of entries) {
      await docker.docker(['load', '-q', '-i', e.archive]);
      const label = await docker.docker([
        'image',
        'inspect',
        '-f',
        '{{index .Config.Labels "io.discovery.images.key"}}',
        e.ref,
      ]);
      expect(label.trim()).toBe(e.key);
    }
  }, 300_000);
});

describe('toolbox', () => {
  test('serves a file over HTTP with busybox httpd and fetches it with wget, without a network', async () => {
    const script = [
      'set -e',
      'mkdir -p /srv/www && echo hello-from-toolbox >/srv/www/index.html',
      'httpd -p 127.0.0.1:8080 -h /srv/www',
      'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/ && exit 0; sleep 0.2; done',
      'exit 1',
    ].join('\n');
    const out = await docker.docker(['run', '--rm', '--network', 'none', ref('toolbox'), 'sh', '-c', script]);
    expect(out.trim()).toBe('hello-from-toolbox');
  });

  const TOOLS = ['sh', 'bash', 'wget', 'nc', 'nslookup', 'httpd', 'getent', 'cat', 'sleep'];
  test('has the tools the real-node tests use', async () => {
    const out = await docker.docker([
      'run',
      '--rm',
      '--network',
      'none',
      ref('toolbox'),
      'sh',
      '-c',
      `for t in ${TOOLS.join(' ')}; do command -v $t; done`,
    ]);
    expect(out.trim().split('\n')).toHaveLength(TOOLS.length);
  });
});

describe('discovery-operator', () => {
  test('prints its usage and exits 0, on a read-only root filesystem', async () => {
    const out = await docker.docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      ref('discovery-operator'),
      '--help',
    ]);
    expect(out).toContain('discovery-operator:');
    expect(out).toContain('--kubeconfig');
  });

  test('runs as uid 65532 with the Dockerfile entrypoint', async () => {
    const id = await docker.docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'id',
      ref('discovery-operator'),
    ]);
    expect(id.trim()).toBe('uid=65532(nonroot) gid=65532(nonroot) groups=65532(nonroot)');
    const config = JSON.parse(
      await docker.docker(['image', 'inspect', '-f', '{{json .Config}}', ref('discovery-operator')]),
    ) as { User: string; Entrypoint: string[]; WorkingDir: string };
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['/nodejs/bin/node', '/app/dist/operator/src/main.js']);
    expect(config.WorkingDir).toBe('/app');
  });
});

describe('pause', () => {
  test('reaps an orphan of its pod and exits 0 on SIGTERM within a second', async () => {
    const id = (
      await docker.docker(['run', '-d', '--network', 'none', '--name', `dimg-pause-${process.pid}`, ref('pause')])
    ).trim();
    try {
      // A process of another container in the pod's PID namespace leaves an orphan: PID 1 (pause) must reap it.
      const script = [
        'sh -c "sleep 1 & echo \\$! >/tmp/orphan"',
        'sleep 0.3; o=$(cat /tmp/orphan)',
        'echo "ppid=$(cut -d" " -f4 /proc/$o/stat)"',
        'sleep 1.5',
        'if [ -e /proc/$o ]; then echo "left=$(cut -d" " -f3 /proc/$o/stat)"; else echo reaped; fi',
      ].join('\n');
      const out = await docker.docker([
        'run',
        '--rm',
        '--network',
        'none',
        '--pid',
        `container:${id}`,
        ref('toolbox'),
        'sh',
        '-c',
        script,
      ]);
      expect(out.trim().split('\n')).toEqual(['ppid=1', 'reaped']);
      const t = Date.now();
      await docker.docker(['stop', '-t', '10', id]);
      expect(Date.now() - t).toBeLessThan(5000);
      expect((await docker.docker(['inspect', '-f', '{{.State.ExitCode}}', id])).trim()).toBe('0');
      expect((await docker.docker(['inspect', '-f', '{{.Config.User}}', id])).trim()).toBe('65535:65535');
    } finally {
      await docker.docker(['rm', '-f', id]).catch(() => {});
    }
  });

  test('exits 0 on SIGINT too', async () => {
    const id = (await docker.docker(['run', '-d', '--network', 'none', ref('pause')])).trim();
    try {
      await docker.docker(['kill', '-s', 'INT', id]);
      expect((await docker.docker(['wait', id])).trim()).toBe('0');
    } finally {
      await docker.docker(['rm', '-f', id]).catch(() => {});
    }
  });
});

describe('coredns', () => {
  test('-version reports CoreDNS 1.15.0', async () => {
    const out = await docker.docker(['run', '--rm', '--network', 'none', ref('coredns'), '-version']);
    expect(out).toContain('CoreDNS-1.15.0');
  });

  // Under dockerd the file capability is what grants the bind: dockerd gives a non-root process capabilities in its
  // bounding set only (none permitted), and here the kernel's unprivileged-port limit applies. (no_new_privs would
  // cap the file capability at that empty permitted set; containerd, the nodes' runtime, is checked with it below.)
  test('answers on port 53 as uid 65532 with only NET_BIND_SERVICE, through its file capability', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dimg-corefile-'));
    writeFileSync(path.join(dir, 'Corefile'), '.:53 {\n  hosts {\n    192.0.2.10 probe.discovery.test\n  }\n}\n');
    chmodSync(dir, 0o755); // CoreDNS reads it as uid 65532
    const name = `dimg-coredns-${process.pid}`;
    try {
      await docker.docker([
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'none',
        '--read-only',
        '--cap-drop',
        'ALL',
        '--cap-add',
        'NET_BIND_SERVICE',
        // dockerd lowers this to 0 by default; containerd's CRI (the nodes) keeps the kernel's 1024.
        '--sysctl',
        'net.ipv4.ip_unprivileged_port_start=1024',
        '-v',
        `${dir}:/etc/coredns:ro`,
        ref('coredns'),
        '-conf',
        '/etc/coredns/Corefile',
      ]);
      const query =
        'for i in $(seq 20); do nslookup probe.discovery.test 127.0.0.1 && exit 0; sleep 0.25; done; exit 1';
      const out = await docker.docker([
        'run',
        '--rm',
        '--network',
        `container:${name}`,
        ref('toolbox'),
        'sh',
        '-c',
        query,
      ]);
      expect(out).toContain('192.0.2.10');
      expect((await docker.docker(['inspect', '-f', '{{.Config.User}}', name])).trim()).toBe('65532:65532');
    } finally {
      await docker.docker(['rm', '-f', name]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('local-path-provisioner', () => {
  test('runs as 65532, found through PATH as the fleet starts it (command: local-path-provisioner …)', async () => {
    const image = ref('local-path-provisioner');
    const out = await docker.docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '--entrypoint',
      'local-path-provisioner',
      image,
      '--help',
    ]);
    expect(out).toContain('Local Path Provisioner');
    expect(out).toMatch(/start/);
    expect((await docker.docker(['image', 'inspect', '-f', '{{.Config.User}}', image])).trim()).toBe('65532:65532');
  });
});

const ctrBin = path.join(REPO_ROOT, '.tools/bin');
const haveContainerd = existsSync(path.join(ctrBin, 'containerd')) && existsSync(path.join(ctrBin, 'ctr'));

describe('in containerd v2, as on the nodes', () => {
  // The fleet's nodes run containerd v2 from hack/tools (`bash hack/tools/build.sh containerd`).
  const maybe = haveContainerd ? test : test.skip;
  let containerd: ThrowawayContainerd | undefined;
  const ctr = (args: string[]) => containerd!.ctr(['-n', 'k8s.io', ...args]);

  afterAll(async () => {
    // containerd 2.x keeps a mount of `ctr images mount` in its mount manager after the unmount: stop() removes it.
    const removed = (await containerd?.stop()) ?? [];
    expect(removed.filter((r) => !r.includes('io.containerd.mount-manager'))).toEqual([]);
  }, 120_000);

  maybe(
    'every node image imports (ctr -n k8s.io images import) under its ref, CoreDNS with its file capability',
    async () => {
      containerd = await startThrowawayContainerd(ctrBin);
      for (const e of entries.filter((x) => x.use === 'node')) await ctr(['images', 'import', e.archive]);
      const listed = (await ctr(['images', 'ls', '-q'])).split('\n');
      for (const e of entries.filter((x) => x.use === 'node')) expect(listed).toContain(e.ref);
      const mnt = mkdtempSync(path.join(os.tmpdir(), 'dimg-mnt-'));
      try {
        await ctr(['images', 'mount', ref('coredns'), mnt]);
        expect(await run('getcap', [path.join(mnt, 'coredns')])).toContain('cap_net_bind_service=ep');
      } finally {
        await ctr(['images', 'unmount', mnt]).catch(() => {});
        rmSync(mnt, { recursive: true, force: true });
      }
    },
    600_000,
  );

  maybe(
    'CoreDNS answers on port 53 as uid 65532 with no-new-privileges and only NET_BIND_SERVICE in its bounding set',
    async () => {
      expect(containerd).toBeDefined();
      const dir = mkdtempSync(path.join(os.tmpdir(), 'dimg-corefile-'));
      writeFileSync(path.join(dir, 'Corefile'), '.:53 {\n  hosts {\n    192.0.2.10 probe.discovery.test\n  }\n}\n');
      chmodSync(dir, 0o755);
      const id = `dimg-coredns-${process.pid}`;
      try {
        // ctr sets no_new_privs by default; containerd's default capabilities minus all but NET_BIND_SERVICE.
        const drop = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP']
          .concat(['SETPCAP', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'])
          .flatMap((c) => ['--cap-drop', `CAP_${c}`]);
        const mount = `type=bind,src=${dir},dst=/etc/coredns,options=rbind:ro`;
        await ctr(
          [
            'run',
            '-d',
            '--cgroup',
            containerd!.cgroup('coredns'),
            ...drop,
            '--mount',
            mount,
            ref('coredns'),
            id,
          ].concat(['/coredns', '-conf', '/etc/coredns/Corefile']),
        );
        let pid = '';
        for (let i = 0; i < 40 && !pid; i++) {
          pid = /^\S+\s+(\d+)\s+RUNNING/m.exec(await ctr(['tasks', 'ls']))?.[1] ?? '';
          if (!pid) await new Promise((r) => setTimeout(r, 250));
        }
        expect(pid).not.toBe('');
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        expect(status).toMatch(/^Uid:\s+65532\s/m);
        expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
        expect(status).toMatch(/^CapBnd:\s+0000000000000400$/m);
        // A second container in CoreDNS's network namespace (a pod's sidecar) brings loopback up and resolves.
        const query =
          'ip link set lo up; for i in $(seq 20); do nslookup probe.discovery.test 127.0.0.1 && exit 0; sleep 0.25; done; exit 1';
        const out = await ctr(
          ['run', '--rm', '--cgroup', containerd!.cgroup('query'), '--cap-add', 'CAP_NET_ADMIN'].concat([
            '--with-ns',
            `network:/proc/${pid}/ns/net`,
            ref('toolbox'),
            `${id}-q`,
            'sh',
            '-c',
            query,
          ]),
        );
        expect(out).toContain('192.0.2.10');
      } finally {
        await removeContainer(ctr, id);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('cleanup', () => {
  test('stopping the daemon leaves no process, mount, cgroup, link, iptables change or file in /etc behind', async () => {
    await docker.stop();
    expect(pidsMentioning(paths.execRoot)).toEqual([]);
    expect(mountsUnder([cacheDir, paths.execRoot])).toEqual([]);
    expect(existsSync(paths.execRoot)).toBe(false);
    for (const m of cgroupMounts()) {
      expect(existsSync(path.join(m, paths.cgroupParent))).toBe(false);
      expect(existsSync(path.join(m, `dimg-ctrd-${process.pid}`))).toBe(false);
    }
    expect(existsSync(`/run/dimg-ctrd-${process.pid}`)).toBe(false);
    expect(await iptablesForwardPolicy()).toBe(forwardBefore);
    expect(await run('iptables', ['-S'])).not.toMatch(/DOCKER/);
    expect(await run('ip', ['-o', 'link'])).not.toMatch(/docker0|dimg/);
    expect(etcKey()).toBe(etcKeyBefore);
    expect(existsSync(path.join(cacheDir, 'dockerd-key.json'))).toBe(true);
    expect(ipForward()).toBe(ipForwardBefore);
  }, 120_000);
});
