// The nova-libvirt container the operator renders boots the test guest (`npm run images -- --group guest`) under QEMU
// TCG: the image runs in a throwaway containerd v2 exactly as the nova-compute DaemonSet's nova-libvirt container is
// rendered (its command, privileged, its volumes: the node's /dev, /sys/fs/cgroup and /lib/modules, the hostPath
// state directories as directories of this test, libvirtd.conf and qemu.conf from the rendered Secret). A domain shaped
// like the one nova's libvirt driver generates for an AMI-style image (kernel/ramdisk/os_command_line, a qcow2 root
// disk over a raw base, a pty serial console logging to the instance's console.log) is defined and started with
// virsh, as nova does (defineXML, then create); the guest's marker must appear in console.log; an ACPI shutdown (nova's
// clean power-off) must stop it; a second boot is then torn down as nova deletes a server (destroy, undefine) and
// nothing may be left: QEMU, the definition, its cgroups, the host's /dev/kvm as it was. Run with
// `npm run test:images:openstack -- --testPathPatterns guest-boot` (root; builds nova-libvirt and the guest if stale).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGuestImage, type GuestImage } from '../../../hack/images/guest.js';
import { cgroupMounts, mountsUnder, pidsMentioning, run } from '../../../hack/images/host.js';
import { imageEntry, imagesCacheDir, readImageManifest, type ImageEntry } from '../../../hack/images/manifest.js';
import { REPO_ROOT } from '../../../hack/images/specs.js';
import type { DistributedCloud } from '../../../operator/src/api/types.js';
import { renderUnit, type K8sObject } from '../../../operator/src/render/index.js';
import { parseIni } from '../../../operator/src/render/ini.js';
import { contextFor, sampleDc } from '../../unit/render/fixtures.js';
import { removeContainer, startThrowawayContainerd, type ThrowawayContainerd } from './containerd.js';

jest.setTimeout(600_000);

const ctrBin = path.join(REPO_ROOT, '.tools/bin');
const netns = `dimg-guest-${process.pid}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'dimg-guest-'));
const ID = 'nova-libvirt';
const SANDBOX = 'nova-compute-sandbox';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mount = { name: string; mountPath: string; subPath?: string; readOnly?: boolean };
type Container = { name: string; command: string[]; securityContext?: Record<string, unknown>; volumeMounts: Mount[] };
type Volume = { name: string; hostPath?: { path: string; type?: string }; secret?: unknown };
type PodSpec = { containers: Container[]; volumes: Volume[]; hostNetwork?: boolean; hostPID?: boolean };
type Probe = { exec: { command: string[] } };

/**
 * The edge site's nova-compute unit of the centralized sample, as the local fleet runs it: the DC's nova config with
 * `[libvirt] virt_type = qemu, cpu_mode = none` (KVM guests hang on this machine; see docs/research/guest-boot.md).
 */
function renderedCompute(): {
  pod: PodSpec;
  libvirt: Container & { readinessProbe: Probe };
  files: Map<string, string>;
} {
  const dc = sampleDc('centralized');
  const nova = dc.spec.services!.nova!;
  const withQemu: DistributedCloud = {
    ...dc,
    spec: {
      ...dc.spec,
      services: {
        ...dc.spec.services,
        nova: { ...nova, config: { ...nova.config, libvirt: { virt_type: 'qemu', cpu_mode: 'none' } } },
      },
    },
  };
  const ctx = contextFor(withQemu);
  const objects: K8sObject[] = renderUnit(ctx.plan.byId.get('nova-compute@edge-1')!, ctx);
  const ds = objects.find((o) => o.kind === 'DaemonSet')!;
  const pod = (ds.spec as { template: { spec: PodSpec } }).template.spec;
  const files = new Map<string, string>();
  for (const o of objects)
    if (o.kind === 'Secret')
      for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>))
        files.set(k, Buffer.from(v, 'base64').toString('utf8'));
  const libvirt = pod.containers.find((c) => c.name === 'nova-libvirt') as Container & { readinessProbe: Probe };
  return { pod, libvirt, files };
}

const rendered = renderedCompute();
const novaConf = parseIni(rendered.files.get('nova.conf')!);
const instancesPath = novaConf.DEFAULT!.instances_path!;

/** Where a hostPath of the pod lives for this test: the node's own /dev, cgroups and modules; the rest is ours. */
function hostPathFor(p: string): string {
  if (['/dev', '/sys/fs/cgroup', '/lib/modules'].includes(p)) return p;
  return path.join(work, 'node', p);
}

/** A path inside the libvirt container, as seen from the host (through the hostPath volume that holds it). */
function onNode(containerPath: string): string {
  const m = rendered.libvirt.volumeMounts
    .filter((x) => !x.subPath && (containerPath === x.mountPath || containerPath.startsWith(`${x.mountPath}/`)))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const vol = m && rendered.pod.volumes.find((v) => v.name === m.name);
  if (!m || !vol?.hostPath) throw new Error(`${containerPath} is on no hostPath volume of nova-libvirt`);
  return path.join(hostPathFor(vol.hostPath.path), path.relative(m.mountPath, containerPath));
}

let entries: ImageEntry[];
let guest: GuestImage;
let containerd: ThrowawayContainerd | undefined;
let execs = 0;
const started: string[] = [];
const kvmBefore = statSync('/dev/kvm', { throwIfNoEntry: false });
let libvirtCgroupsBefore: string[] = [];

const ctr = (args: string[]) => containerd!.ctr(['-n', 'k8s.io', ...args]);
const exec = (args: string[]) => ctr(['tasks', 'exec', '--exec-id', `guest-${++execs}`, ID, ...args]);
const virsh = (...args: string[]) => exec(['virsh', '-c', 'qemu:///system', ...args]);

function images(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), ['hack/images/cli.ts', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', resolve);
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T>, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await probe();
    } catch (e) {
      last = e;
      await sleep(intervalMs);
    }
  }
  const log = existsSync(path.join(work, `${ID}.log`)) ? readFileSync(path.join(work, `${ID}.log`), 'utf8') : '';
  throw new Error(`${what} not within ${timeoutMs / 1000} s: ${(last as Error)?.message}\n${log.slice(-3000)}`);
}

/**
 * Cgroups libvirt makes for its guests, anywhere in any hierarchy: with the node's /sys/fs/cgroup mounted it puts its
 * "machine" partition at the root of each hierarchy (outside the pod's cgroup) and never removes it, and a
 * qemu-N-<domain>.libvirt-qemu scope per running guest under it.
 */
function libvirtCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    let list: import('node:fs').Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of list) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (/^machine(\.slice)?$|qemu-\d+-/.test(e.name)) found.push(p);
      walk(p, depth + 1);
    }
  };
  for (const m of cgroupMounts()) walk(m, 0);
  return found.sort();
}

/**
 * Removes a cgroup and everything below it (a guest's scope holds emulator/ and vcpuN/), deepest first, retrying while
 * the processes of a killed guest are still exiting. What stays is reported by the caller's assertion.
 */
async function removeCgroupTree(dir: string): Promise<void> {
  const rm = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(d, e.name));
    rmdirSync(d);
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      rm(dir);
      return;
    } catch {
      await sleep(250);
    }
  }
}

/** The image's own /run, bind-mounted over ctr's tmpfs as CRI gives a pod the image's /run (see openstack.test.ts). */
async function imageRun(ref: string): Promise<string> {
  const mnt = path.join(work, 'mnt');
  const tree = path.join(work, 'run');
  mkdirSync(mnt);
  await ctr(['images', 'mount', ref, mnt]);
  try {
    await run('cp', ['-a', `${mnt}/run`, tree]);
  } finally {
    await ctr(['images', 'unmount', mnt]).catch(() => {});
    rmSync(mnt, { recursive: true, force: true });
  }
  return tree;
}

/** The pod's sandbox: pause, in the test's network namespace; its PID is the reaper of the pod's orphans. */
async function sandboxPid(): Promise<number> {
  started.push(SANDBOX);
  await ctr([
    'run',
    '-d',
    '--cgroup',
    containerd!.cgroup(SANDBOX),
    '--with-ns',
    `network:/var/run/netns/${netns}`,
    imageEntry('pause', entries).ref,
    SANDBOX,
  ]);
  const line = (await ctr(['tasks', 'ls'])).split('\n').find((l) => l.startsWith(`${SANDBOX} `));
  return Number(line!.trim().split(/\s+/)[1]);
}

/** `ctr run` mounts for the rendered container: hostPath volumes, the config Secret's files (subPath, read-only). */
function renderedMounts(): { src: string; dst: string; ro: boolean }[] {
  const out: { src: string; dst: string; ro: boolean }[] = [];
  for (const m of rendered.libvirt.volumeMounts) {
    const vol = rendered.pod.volumes.find((v) => v.name === m.name)!;
    if (vol.hostPath) {
      const src = hostPathFor(vol.hostPath.path);
      if (vol.hostPath.type === 'DirectoryOrCreate') mkdirSync(src, { recursive: true });
      expect(existsSync(src)).toBe(true); // type Directory: the kubelet refuses a missing one
      out.push({ src, dst: m.mountPath, ro: Boolean(m.readOnly) });
    } else if (m.subPath) {
      const content = rendered.files.get(m.subPath);
      if (content === undefined) throw new Error(`no rendered file ${m.subPath}`);
      const src = path.join(work, 'config', m.subPath);
      mkdirSync(path.dirname(src), { recursive: true });
      writeFileSync(src, content, { mode: 0o444 });
      out.push({ src, dst: m.mountPath, ro: true });
    } else throw new Error(`unhandled volume ${m.name} of nova-libvirt`);
  }
  // Parents before children (/run before /run/libvirt), as the kubelet orders them.
  return out.sort((a, b) => a.dst.split('/').length - b.dst.split('/').length);
}

beforeAll(async () => {
  expect(existsSync(path.join(ctrBin, 'containerd'))).toBe(true); // bash hack/tools/build.sh containerd
  expect(await images(['--only', 'nova-libvirt,pause', '--group', 'guest'])).toBe(0);
  entries = readImageManifest(path.join(imagesCacheDir(), 'manifest.json'));
  guest = readGuestImage();
  libvirtCgroupsBefore = libvirtCgroups();
  containerd = await startThrowawayContainerd(ctrBin);
  const t = Date.now();
  for (const name of ['pause', 'nova-libvirt']) await ctr(['images', 'import', imageEntry(name, entries).archive]);
  process.stderr.write(`imported pause, nova-libvirt in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}, 60 * 60_000);

afterAll(async () => {
  // A guest a failed test left running: QEMU sits in libvirt's cgroup, which the container's removal may not reach.
  const stray = qemuPids();
  for (const pid of stray) process.kill(pid, 'SIGKILL');
  for (const id of [...started].reverse()) await removeContainer(ctr, id);
  // What libvirt made and left (the machine partitions, a scope of a killed guest), when it was not there before.
  const libvirtMade = libvirtCgroups()
    .filter((d) => !libvirtCgroupsBefore.includes(d))
    .sort((a, b) => b.length - a.length);
  for (const dir of libvirtMade) await removeCgroupTree(dir);
  const left = (await containerd?.stop()) ?? [];
  await run('ip', ['netns', 'delete', netns]).catch(() => {});
  const mounts = mountsUnder([work]);
  if (mounts.length === 0) rmSync(work, { recursive: true, force: true });
  expect(stray).toEqual([]);
  expect(left.filter((r) => !r.includes('io.containerd.mount-manager'))).toEqual([]);
  expect(mounts).toEqual([]);
  expect(existsSync(`/var/run/netns/${netns}`)).toBe(false);
  for (const m of cgroupMounts()) expect(existsSync(path.join(m, `dimg-ctrd-${process.pid}`))).toBe(false);
  expect(libvirtCgroups().filter((d) => !libvirtCgroupsBefore.includes(d))).toEqual([]);
  expect(existsSync(work)).toBe(false);
  // The node's /dev was bound into a privileged container: nothing changed the host's KVM device.
  const kvmAfter = statSync('/dev/kvm', { throwIfNoEntry: false });
  expect([kvmAfter?.mode, kvmAfter?.uid, kvmAfter?.gid]).toEqual([kvmBefore?.mode, kvmBefore?.uid, kvmBefore?.gid]);
}, 180_000);

const UUID = randomUUID();
/** nova's instance_name_template (instance-%08x), with an id of this run: a node may run other nova guests. */
const NAME = `instance-${process.pid.toString(16).padStart(8, '0')}`;
const IMAGE_ID = randomUUID();
const inst = `${instancesPath}/${UUID}`;

/**
 * The domain nova 2025.1's libvirt driver (nova/virt/libvirt/driver.py _get_guest_config) writes for an instance of an
 * AMI-style image with virt_type=qemu, cpu_mode=none, [vnc] enabled=false, no serial_console, no network: a
 * <serial type="pty"> with <log file=console.log> (_create_consoles_qemu_kvm/_create_pty_device), the kernel,
 * ramdisk and image os_command_line (_set_guest_for_inst_kernel), ACPI/APIC (_set_features), nova's clock timers,
 * the x86 machine type default "pc", a qcow2 root disk over the raw base (cache "none" when the instances directory
 * supports O_DIRECT, else "writeback"), USB disabled, the memory balloon. Serialised the way nova's config objects do.
 */
function novaDomainXml(libvirt: Record<string, string>, cache: string): string {
  const cpu = libvirt.cpu_mode && libvirt.cpu_mode !== 'none' ? ` mode="${libvirt.cpu_mode}"` : '';
  return `<domain type="${libvirt.virt_type}">
  <uuid>${UUID}</uuid>
  <name>${NAME}</name>
  <memory>131072</memory>
  <vcpu>1</vcpu>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
      <nova:package version="31.0.0"/>
      <nova:name>discovery-guest</nova:name>
      <nova:flavor name="m1.nano">
        <nova:memory>128</nova:memory>
        <nova:disk>1</nova:disk>
        <nova:swap>0</nova:swap>
        <nova:ephemeral>0</nova:ephemeral>
        <nova:vcpus>1</nova:vcpus>
      </nova:flavor>
      <nova:root type="image" uuid="${IMAGE_ID}"/>
    </nova:instance>
  </metadata>
  <sysinfo type="smbios">
    <system>
      <entry name="manufacturer">OpenStack Foundation</entry>
      <entry name="product">OpenStack Nova</entry>
      <entry name="version">31.0.0</entry>
      <entry name="serial">${UUID}</entry>
      <entry name="uuid">${UUID}</entry>
      <entry name="family">Virtual Machine</entry>
    </system>
  </sysinfo>
  <os>
    <type machine="pc">hvm</type>
    <kernel>${inst}/kernel</kernel>
    <initrd>${inst}/ramdisk</initrd>
    <cmdline>${guest.disk.properties.os_command_line}</cmdline>
    <smbios mode="sysinfo"/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset="utc">
    <timer name="pit" tickpolicy="delay"/>
    <timer name="rtc" tickpolicy="catchup"/>
    <timer name="hpet" present="no"/>
  </clock>
  <cpu${cpu} match="exact">
    <topology sockets="1" cores="1" threads="1"/>
  </cpu>
  <devices>
    <disk type="file" device="disk">
      <driver name="qemu" type="qcow2" cache="${cache}"/>
      <source file="${inst}/disk"/>
      <target dev="vda" bus="virtio"/>
    </disk>
    <serial type="pty">
      <log file="${inst}/console.log" append="off"/>
    </serial>
    <controller type="usb" index="0" model="none"/>
    <memballoon model="virtio">
      <stats period="10"/>
    </memballoon>
  </devices>
</domain>
`;
}

/** What nova's _supports_direct_io finds for the instances directory: O_DIRECT works there, or not. */
function supportsDirectIo(dir: string): boolean {
  const probe = path.join(dir, '.directio.test');
  try {
    closeSync(openSync(probe, constants.O_CREAT | constants.O_WRONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

/** QEMU processes of this test's domain (hostPID: they are the node's processes). */
const qemuPids = () =>
  pidsMentioning(UUID).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('qemu-system');
    } catch {
      return false; // gone meanwhile
    }
  });
const consoleLog = () => onNode(`${inst}/console.log`);
const consoleText = () => (existsSync(consoleLog()) ? readFileSync(consoleLog(), 'utf8') : '');
const domState = async () => (await virsh('domstate', NAME)).trim();

async function bootToMarker(): Promise<number> {
  const t = Date.now();
  await virsh('start', NAME);
  await waitFor(
    `"${guest.marker}" in console.log`,
    async () => {
      if (consoleText().includes(guest.marker)) return;
      const qemuLog = await exec(['tail', '-n', '20', `/var/log/libvirt/qemu/${NAME}.log`]).catch(
        (e: Error) => e.message,
      );
      throw new Error(`${await domState()}; console.log so far:\n${consoleText().slice(-1500)}\nQEMU log:\n${qemuLog}`);
    },
    240_000,
    200,
  );
  return (Date.now() - t) / 1000;
}

describe('the rendered nova-libvirt container boots the test guest under QEMU TCG', () => {
  test('libvirtd starts from the rendered command and configuration, privileged, and answers its readiness probe', async () => {
    const { libvirt, pod } = rendered;
    expect(libvirt.securityContext).toMatchObject({ privileged: true, runAsUser: 0 });
    expect(pod.hostNetwork).toBe(true); // here: a network namespace of the test's own, not the host's
    expect(pod.hostPID).toBe(true);
    const ref = imageEntry('nova-libvirt', entries).ref;
    const mounts = [{ src: await imageRun(ref), dst: '/run', ro: false }, ...renderedMounts()];
    const t = Date.now();
    started.push(ID);
    await ctr([
      'run',
      '-d',
      '--privileged',
      '--log-uri',
      `file://${path.join(work, `${ID}.log`)}`,
      '--cgroup',
      containerd!.cgroup(ID),
      '--with-ns',
      `network:/var/run/netns/${netns}`,
      // hostPID: libvirtd is not PID 1, an orphan is reaped by someone else. QEMU daemonizes: on the node its orphans
      // go to the shim (a subreaper); as PID 1 of a namespace of its own libvirtd would leave them zombies, waiting
      // 40 s for each capability probe to die (242 s before the first answer, then no guest start). runc cannot join
      // the host's PID namespace here, so the container joins the sandbox's (pause reaps orphans as the shim does).
      '--with-ns',
      `pid:/proc/${await sandboxPid()}/ns/pid`,
      ...mounts.flatMap((m) => ['--mount', `type=bind,src=${m.src},dst=${m.dst},options=rbind:${m.ro ? 'ro' : 'rw'}`]),
      ref,
      ID,
      ...libvirt.command,
    ]);
    const probe = libvirt.readinessProbe.exec.command;
    const version = await waitFor('libvirtd readiness probe', () => exec(probe), 120_000);
    process.stderr.write(`libvirtd ready after ${((Date.now() - t) / 1000).toFixed(1)} s\n${version}`);
    expect(version).toMatch(/Running against daemon: 11\./);
    const caps = await virsh('domcapabilities', '--virttype', 'qemu', '--arch', 'x86_64');
    expect(caps).toMatch(/<domain>qemu<\/domain>/);
    // nova's default cpu_mode for virt_type=qemu is host-model: what libvirt offers for it under TCG.
    const hostModel = /<mode name='host-model' supported='(\w+)'>\s*<model[^>]*>([^<]+)</.exec(caps);
    process.stderr.write(`TCG host-model: supported=${hostModel?.[1]} model=${hostModel?.[2]}\n`);
  });

  test('Glance takes the three files as packaged and nova deep-inspects the root disk as raw (oslo.utils here)', async () => {
    // The logic of glance/location.py ImageProxy.set_data (Glance 30: only container_format "bare" uploads are
    // inspected; the detected format must match disk_format, "raw" passes anything, an uninspectable disk_format
    // like aki passes what is detected as raw; safety checks, "mbr" non-fatal for gpt) and of
    // nova/virt/images.py do_image_deep_inspection (the root disk only: kernel and ramdisk are fetched raw).
    const dir = onNode('/var/lib/nova/inspect');
    mkdirSync(dir, { recursive: true });
    const files = { kernel: guest.kernel, ramdisk: guest.ramdisk, disk: guest.disk };
    for (const [name, f] of Object.entries(files)) copyFileSync(f.path, path.join(dir, name));
    const cases = [
      ...Object.entries(files).map(([name, f]) => [name, f.diskFormat, f.containerFormat]),
      ['kernel', 'aki', 'bare'], // what the container format aki avoids
    ];
    const py = [
      'import json, sys',
      'from oslo_utils.imageutils import format_inspector as fi',
      'out = []',
      'for name, disk, container in json.loads(sys.argv[1]):',
      "    with open('/var/lib/nova/inspect/' + name, 'rb') as f:",
      '        w = fi.InspectWrapper(f)',
      '        while w.read(65536):',
      '            pass',
      '        w.close()',
      '    insp = w.format',
      '    got = str(insp)',
      "    if container != 'bare':",
      "        glance = 'accepted'",
      "    elif got == disk or (got == 'raw' and disk not in fi.ALL_FORMATS) or disk == 'raw':",
      '        try:',
      '            insp.safety_check()',
      "            glance = 'accepted'",
      '        except fi.SafetyCheckFailed as e:',
      "            fatal = set(e.failures) - {'mbr'}",
      "            glance = 'accepted' if got == 'gpt' and not fatal else 'rejected'",
      '    else:',
      "        glance = 'rejected'",
      '    out.append([name, disk, container, got, glance])',
      'print(json.dumps(out))',
    ].join('\n');
    const result = JSON.parse(await exec(['python3', '-c', py, JSON.stringify(cases)])) as string[][];
    process.stderr.write(`format inspection: ${JSON.stringify(result)}\n`);
    expect(result.map(([name, disk, container, , glance]) => [name, disk, container, glance])).toEqual([
      ['kernel', 'aki', 'aki', 'accepted'],
      ['ramdisk', 'ari', 'ari', 'accepted'],
      ['disk', 'raw', 'bare', 'accepted'],
      ['kernel', 'aki', 'bare', 'rejected'], // a bzImage looks like a GPT disk with a bad MBR to the inspector
    ]);
    // nova's deep inspection of the root disk: detected raw, as registered.
    expect(result[2]![3]).toBe('raw');
    rmSync(dir, { recursive: true, force: true });
  });

  test("a domain shaped like nova's (AMI kernel/ramdisk, pty serial logged to console.log) boots to the guest's marker", async () => {
    const libvirtConf = novaConf.libvirt!;
    expect(libvirtConf.virt_type).toBe('qemu');
    // What nova-compute (root in the rendered pod) leaves in the instance directory before it defines the domain:
    // kernel and ramdisk copied from the image cache, a qcow2 disk over the raw base image, an empty console.log.
    const dir = onNode(inst);
    const base = onNode(`${instancesPath}/_base`);
    mkdirSync(dir, { recursive: true });
    mkdirSync(base, { recursive: true });
    const baseName = createHash('sha1').update(IMAGE_ID).digest('hex');
    copyFileSync(guest.disk.path, path.join(base, baseName));
    copyFileSync(guest.kernel.path, path.join(dir, 'kernel'));
    copyFileSync(guest.ramdisk.path, path.join(dir, 'ramdisk'));
    writeFileSync(path.join(dir, 'console.log'), '');
    await exec([
      'qemu-img',
      'create',
      '-f',
      'qcow2',
      '-o',
      `backing_file=${instancesPath}/_base/${baseName},backing_fmt=raw`,
      `${inst}/disk`,
      '1G',
    ]);
    const cache = supportsDirectIo(dir) ? 'none' : 'writeback';
    writeFileSync(path.join(dir, 'libvirt.xml'), novaDomainXml(libvirtConf, cache));
    await virsh('define', `${inst}/libvirt.xml`);
    expect(await domState()).toBe('shut off');

    const seconds = await bootToMarker();
    process.stderr.write(`guest marker in console.log ${seconds.toFixed(1)} s after virsh start\n`);
    expect(await domState()).toBe('running');
    const text = consoleText();
    expect(text).toContain(guest.marker);
    expect(text).toContain(`cmdline: ${guest.disk.properties.os_command_line}`);
    // QEMU emulates (TCG) and writes the console log itself (stdio_handler = "file": no virtlogd).
    const [pid] = qemuPids();
    expect(pid).toBeDefined();
    const qemu = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    expect(qemu).toMatch(/accel=tcg|-accel tcg/);
    // libvirtd opens console.log itself and hands QEMU the descriptor (-add-fd … opaque=serial0-log,
    // -chardev pty,…,logfile=/dev/fdset/N): the file's owner and QEMU's uid do not matter.
    expect(qemu).toMatch(
      /-add-fd set=(\d+),fd=\d+,opaque=serial0-log -chardev pty,id=charserial0,logfile=\/dev\/fdset\/\1/,
    );
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    process.stderr.write(
      `QEMU runs as uid ${uid}; console.log ${statSync(consoleLog()).uid}:${statSync(consoleLog()).gid}\n`,
    );
    // The guest's scope: in libvirt's machine partition, which sits at the root of the node's hierarchies.
    const scopes = libvirtCgroups().filter((d) => d.includes(NAME));
    expect(scopes.length).toBeGreaterThan(0);
    process.stderr.write(`guest cgroups: ${scopes.join(' ')}\n`);
    await waitFor(
      'the guest watching its power button',
      async () => {
        if (!consoleText().includes('watching the power button on /dev/input/')) throw new Error(consoleText());
      },
      60_000,
    );
  });

  test('an ACPI shutdown (nova stop) powers the guest off', async () => {
    const t = Date.now();
    await virsh('shutdown', NAME);
    await waitFor(
      'shut off',
      async () => {
        if ((await domState()) !== 'shut off') throw new Error(await domState());
      },
      120_000,
    );
    process.stderr.write(`ACPI shutdown to "shut off": ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    expect(consoleText()).toContain(guest.poweroffMarker);
  });

  test('a second boot, then what nova does to delete a server (destroy, undefine) leaves nothing behind', async () => {
    const seconds = await bootToMarker();
    process.stderr.write(`second boot: marker ${seconds.toFixed(1)} s after virsh start\n`);
    // append="off": each start begins a new log.
    expect(consoleText().split(guest.marker).length - 1).toBe(1);
    await virsh('destroy', NAME);
    await virsh('undefine', '--managed-save', '--snapshots-metadata', '--nvram', NAME);
    expect((await virsh('list', '--all', '--name')).trim()).toBe('');
    expect(qemuPids()).toEqual([]);
    expect(readdirSync(onNode('/etc/libvirt/qemu')).filter((f) => f.endsWith('.xml'))).toEqual([]);
    expect(libvirtCgroups().filter((d) => d.includes(NAME))).toEqual([]);
    // nova's _cleanup then removes the instance directory.
    rmSync(onNode(inst), { recursive: true, force: true });
  });
});
