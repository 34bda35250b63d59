// The test guest (`npm run images -- --group guest`): files for Glance, not a container image. Debian's cloud kernel
// plus a busybox initramfs whose /init prints GUEST_MARKER on the serial console and powers off on the ACPI power
// button, and a small raw root disk, packaged AMI-style (kernel `aki`, ramdisk `ari`, disk with kernel_id/ramdisk_id)
// so that nova's libvirt driver boots the kernel directly. Built offline from the Debian archive with the host's
// apt-get (a private configuration and state, no root needed), cached in ${cache}/guest/ by the hash of its inputs;
// ${cache}/guest.json describes the current build.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { newcArchive, type CpioEntry } from './cpio.js';
import { acquireLock, onCleanup, run, say, seconds, which } from './host.js';
import { imageKey, sha256 } from './keys.js';
import { imagesCacheDir } from './manifest.js';
import { DEBIAN_SUITE, digestOfFile } from './specs.js';

const HERE = path.dirname(new URL(import.meta.url).pathname);

/** `npm run images -- --group guest` builds the guest (a group of files, not of images). */
export const GUEST_GROUP = 'guest';
export const GUEST_NAME = 'discovery-guest';
/** The line /init prints on the serial console once the guest runs user space. */
export const GUEST_MARKER = 'discovery-guest: booted';
/** What /init prints when the ACPI power button was pressed, just before it powers off. */
export const GUEST_POWEROFF_MARKER = 'discovery-guest: power button, powering off';
/** The root disk's os_command_line property (nova's default would end with console=hvc0). */
export const GUEST_CMDLINE = 'console=ttyS0';
/** Debian's cloud kernel: virtio, serial and ACPI built in; 35 MB to download instead of 108 MB. */
export const GUEST_KERNEL_PACKAGE = 'linux-image-cloud-amd64';
export const GUEST_BUSYBOX_PACKAGE = 'busybox-static';
/** Kernel modules the initramfs carries (paths under the kernel's module tree): the power button and its /dev node. */
export const GUEST_MODULES = { button: 'kernel/drivers/acpi/button.ko.xz', evdev: 'kernel/drivers/input/evdev.ko.xz' };
/** Size of the raw root disk (zeros): nova needs an image to boot from; the guest never reads it. */
export const GUEST_DISK_BYTES = 1 << 20;
const ARCH = 'amd64';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** One file of the guest, as Glance takes it. */
export interface GuestFile {
  path: string;
  bytes: number;
  sha256: string;
  diskFormat: string;
  containerFormat: string;
}

/** ${cache}/guest.json: the current build. */
export interface GuestImage {
  name: string;
  key: string;
  dir: string;
  marker: string;
  poweroffMarker: string;
  kernel: GuestFile;
  ramdisk: GuestFile;
  /** The root disk; its Glance image also gets kernel_id and ramdisk_id (the ids of the two above) and these. */
  disk: GuestFile & { properties: Record<string, string> };
  /** Debian packages used, name -> version (resolved at build time: the key does not cover the archive's state). */
  packages: Record<string, string>;
  kernelRelease: string;
  builtAt: string;
  buildSeconds: number;
}

export interface GuestInputs {
  suite: string;
  mirror: string;
  securityMirror: string;
  /** Digests of the files that make the guest: /init and the builder's own code. */
  files: Record<string, string>;
}

/** The guest's cache key: its inputs as an image key (same format, so the same rules hold). */
export function guestKey(inputs: GuestInputs): string {
  return imageKey({
    name: GUEST_NAME,
    version: inputs.suite,
    files: inputs.files,
    params: {
      mirror: inputs.mirror,
      securityMirror: inputs.securityMirror,
      arch: ARCH,
      kernelPackage: GUEST_KERNEL_PACKAGE,
      busyboxPackage: GUEST_BUSYBOX_PACKAGE,
      modules: JSON.stringify(GUEST_MODULES),
      cmdline: GUEST_CMDLINE,
      diskBytes: String(GUEST_DISK_BYTES),
    },
    bases: {},
  });
}

/** The inputs on this machine: the suite and mirrors the images use, /init and this builder's sources. */
export function guestInputs(env: NodeJS.ProcessEnv = process.env): GuestInputs {
  const mirror = env.DISCOVERY_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
  return {
    suite: DEBIAN_SUITE,
    mirror,
    securityMirror: env.DISCOVERY_DEBIAN_SECURITY_MIRROR ?? `${mirror}-security`,
    files: {
      init: digestOfFile(path.join(HERE, 'guest', 'init')),
      'guest.ts': digestOfFile(path.join(HERE, 'guest.ts')),
      'cpio.ts': digestOfFile(path.join(HERE, 'cpio.ts')),
    },
  };
}

export function guestManifestPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(imagesCacheDir(env), 'guest.json');
}

/** The current guest build; throws (saying how to build it) when there is none or its files are gone. */
export function readGuestImage(file = guestManifestPath()): GuestImage {
  if (!existsSync(file)) throw new Error(`no guest at ${file}: run \`npm run images -- --group guest\``);
  const guest = JSON.parse(readFileSync(file, 'utf8')) as GuestImage;
  for (const f of [guest.kernel, guest.ramdisk, guest.disk])
    if (!f?.path || !existsSync(f.path))
      throw new Error(`${file} names ${f?.path}, which is gone: run \`npm run images -- --group guest --rebuild\``);
  return guest;
}

/**
 * The initramfs's members: busybox (and /bin/sh), /init, the two modules, and the device nodes the kernel needs before
 * /init mounts devtmpfs (it opens /dev/console for init's stdio).
 */
export function initramfsEntries(parts: {
  busybox: Buffer;
  init: Buffer | string;
  modules: Record<string, Buffer>;
}): CpioEntry[] {
  const dirs = ['bin', 'dev', 'lib', 'lib/modules', 'proc', 'sys', 'tmp'];
  return [
    ...dirs.map((p): CpioEntry => ({ type: 'dir', path: p, mode: p === 'tmp' ? 0o1777 : 0o755 })),
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'char', path: 'dev/ttyS0', major: 4, minor: 64, mode: 0o600 },
    { type: 'file', path: 'bin/busybox', data: parts.busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'init', data: parts.init, mode: 0o755 },
    ...Object.entries(parts.modules)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, data]): CpioEntry => ({ type: 'file', path: `lib/modules/${name}.ko.xz`, data })),
  ];
}

/** A bzImage: "MZ" (its EFI stub), "HdrS" at 0x202 (the boot protocol header). */
export function isBzImage(head: Buffer): boolean {
  return (
    head.length >= 0x206 && head.toString('latin1', 0, 2) === 'MZ' && head.toString('latin1', 0x202, 0x206) === 'HdrS'
  );
}

function fileInfo(file: string, diskFormat: string, containerFormat: string): GuestFile {
  return { path: file, bytes: statSync(file).size, sha256: sha256(readFileSync(file)), diskFormat, containerFormat };
}

export interface GuestBuildOptions {
  cacheDir?: string;
  rebuild?: boolean;
  verbose?: boolean;
}

/** Builds the guest unless the cache has it for the current key; returns the current build. */
export async function buildGuest(opts: GuestBuildOptions = {}): Promise<GuestImage> {
  const cache = opts.cacheDir ?? imagesCacheDir();
  const t0 = Date.now();
  const inputs = guestInputs();
  const key = guestKey(inputs);
  const name = `${GUEST_NAME}-${key.slice(0, 12)}`;
  const manifest = path.join(cache, 'guest.json');
  const dir = path.join(cache, 'guest', name);
  const previous = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as GuestImage) : undefined;
  if (!opts.rebuild && previous?.key === key && existsSync(path.join(dir, 'guest.json'))) {
    try {
      const guest = readGuestImage(manifest);
      say(`${GUEST_NAME} cached  ${dir} (kernel ${guest.kernelRelease})`);
      return guest;
    } catch {
      // a file is gone: build again
    }
  }
  for (const tool of ['apt-get', 'apt-cache', 'dpkg-deb', 'tar'])
    if (!which(tool)) throw new Error(`the guest is built with Debian's ${tool}, which is not on PATH`);
  if (!existsSync(KEYRING))
    throw new Error(`${KEYRING} is missing: apt-get install debian-archive-keyring (it verifies the Debian archive)`);

  mkdirSync(cache, { recursive: true });
  const release = acquireLock(cache);
  const work = path.join(cache, 'work', 'guest');
  const unregister = onCleanup(() => {
    rmSync(work, { recursive: true, force: true });
    release();
  });
  const logFile = path.join(cache, 'logs', 'guest.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  writeFileSync(logFile, '');
  try {
    rmSync(work, { recursive: true, force: true });
    const apt = privateApt(path.join(work, 'apt'), inputs);
    say(`${GUEST_NAME}: apt-get update (${inputs.suite}, private state under ${work})`);
    await run('apt-get', ['update', '-q'], { env: apt.env, logFile, echo: opts.verbose });
    const meta = await run('apt-cache', ['show', '--no-all-versions', GUEST_KERNEL_PACKAGE], { env: apt.env });
    const kernelPackage = /^Depends:.*?\b(linux-image-[0-9][^\s,]*)/m.exec(meta)?.[1];
    if (!kernelPackage) throw new Error(`${GUEST_KERNEL_PACKAGE} names no linux-image-<version> package:\n${meta}`);
    const debs = path.join(work, 'debs');
    mkdirSync(debs);
    say(`${GUEST_NAME}: apt-get download ${kernelPackage} ${GUEST_BUSYBOX_PACKAGE}`);
    await run('apt-get', ['download', '-q', kernelPackage, GUEST_BUSYBOX_PACKAGE], {
      env: apt.env,
      cwd: debs,
      logFile,
    });
    const deb = (pkg: string) => {
      const f = readdirSync(debs).find((x) => x.startsWith(`${pkg}_`) && x.endsWith('.deb'));
      if (!f) throw new Error(`apt-get download left no ${pkg}_*.deb in ${debs}`);
      return path.join(debs, f);
    };
    const packages: Record<string, string> = {};
    for (const pkg of [kernelPackage, GUEST_BUSYBOX_PACKAGE])
      packages[pkg] = (await run('dpkg-deb', ['-f', deb(pkg), 'Version'])).trim();

    // The kernel and the two modules from the kernel package; busybox from its own.
    const kernelTree = await extract(deb(kernelPackage), path.join(work, 'kernel'), (members) => {
      const vmlinuz = members.filter((m) => /^\.\/boot\/vmlinuz-/.test(m));
      if (vmlinuz.length !== 1) throw new Error(`expected one ./boot/vmlinuz-* in ${kernelPackage}, found ${vmlinuz}`);
      return [
        vmlinuz[0]!,
        ...Object.values(GUEST_MODULES).map((rel) => {
          const m = members.find((x) => /^\.(\/usr)?\/lib\/modules\/[^/]+\//.test(x) && x.endsWith(`/${rel}`));
          if (!m) throw new Error(`${kernelPackage} has no ${rel}`);
          return m;
        }),
      ];
    });
    const vmlinuz = kernelTree.files[0]!;
    const kernelRelease = path.basename(vmlinuz).replace(/^vmlinuz-/, '');
    const bbTree = await extract(deb(GUEST_BUSYBOX_PACKAGE), path.join(work, 'busybox'), (members) => {
      const bb = members.find((m) => m === './usr/bin/busybox' || m === './bin/busybox');
      if (!bb) throw new Error(`${GUEST_BUSYBOX_PACKAGE} has no busybox binary`);
      return [bb];
    });

    const out = `${dir}.tmp`;
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const kernelFile = path.join(out, 'vmlinuz');
    copyFileSync(vmlinuz, kernelFile);
    const head = readFileSync(kernelFile).subarray(0, 0x400);
    if (!isBzImage(head)) throw new Error(`${vmlinuz} is not a bzImage`);
    const modules = Object.fromEntries(
      Object.keys(GUEST_MODULES).map((m, i) => [m, readFileSync(kernelTree.files[i + 1]!)]),
    );
    const cpio = newcArchive(
      initramfsEntries({
        busybox: readFileSync(bbTree.files[0]!),
        init: readFileSync(path.join(HERE, 'guest', 'init')),
        modules,
      }),
    );
    writeFileSync(path.join(out, 'initrd.img'), gzipSync(cpio, { level: 9 }));
    const diskFile = path.join(out, 'disk.raw');
    writeFileSync(diskFile, '');
    truncateSync(diskFile, GUEST_DISK_BYTES); // sparse zeros

    const final = (f: string) => path.join(dir, f);
    const info = (f: string, d: string, c: string) => ({ ...fileInfo(path.join(out, f), d, c), path: final(f) });
    const guest: GuestImage = {
      name: GUEST_NAME,
      key,
      dir,
      marker: GUEST_MARKER,
      poweroffMarker: GUEST_POWEROFF_MARKER,
      kernel: info('vmlinuz', 'aki', 'aki'),
      ramdisk: info('initrd.img', 'ari', 'ari'),
      disk: { ...info('disk.raw', 'raw', 'bare'), properties: { os_command_line: GUEST_CMDLINE } },
      packages,
      kernelRelease,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - t0) / 100) / 10,
    };
    writeFileSync(path.join(out, 'guest.json'), `${JSON.stringify(guest, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    const tmp = `${manifest}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(guest, null, 2)}\n`);
    renameSync(tmp, manifest);
    if (previous?.dir && previous.dir !== dir && path.dirname(previous.dir) === path.dirname(dir))
      rmSync(previous.dir, { recursive: true, force: true });
    const mb = (f: GuestFile) => `${(f.bytes / 1e6).toFixed(1)} MB`;
    say(
      `${GUEST_NAME} built in ${seconds(t0)}  ${dir}: kernel ${kernelRelease} (${mb(guest.kernel)}), ` +
        `initrd ${mb(guest.ramdisk)}, disk ${mb(guest.disk)}`,
    );
    return guest;
  } finally {
    rmSync(work, { recursive: true, force: true });
    unregister();
    release();
  }
}

/**
 * apt-get with a configuration and state of its own (APT_CONFIG: the host's apt.conf.d, sources and lists are not
 * read), the Debian archive keyring, amd64 whatever the host.
 */
function privateApt(root: string, inputs: GuestInputs): { env: NodeJS.ProcessEnv } {
  for (const d of ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'state/lists/partial'])
    mkdirSync(path.join(root, d), { recursive: true });
  for (const d of ['cache/archives/partial', 'log']) mkdirSync(path.join(root, d), { recursive: true });
  writeFileSync(path.join(root, 'status'), '');
  const signed = `[signed-by=${KEYRING}]`;
  writeFileSync(
    path.join(root, 'etc/apt/sources.list'),
    [
      `deb ${signed} ${inputs.mirror} ${inputs.suite} main`,
      `deb ${signed} ${inputs.mirror} ${inputs.suite}-updates main`,
      `deb ${signed} ${inputs.securityMirror} ${inputs.suite}-security main`,
      '',
    ].join('\n'),
  );
  const conf = path.join(root, 'apt.conf');
  writeFileSync(
    conf,
    [
      `Dir "${root}/";`,
      'Dir::Etc "etc/apt/";',
      'Dir::State "state/";',
      `Dir::State::status "${root}/status";`,
      'Dir::Cache "cache/";',
      'Dir::Log "log/";',
      `APT::Architecture "${ARCH}";`,
      `APT::Architectures { "${ARCH}"; };`,
      'Acquire::Languages "none";',
      // Downloads go to directories of this run; apt's _apt user may not be able to write them.
      'APT::Sandbox::User "root";',
      '',
    ].join('\n'),
  );
  return { env: { ...process.env, APT_CONFIG: conf, LC_ALL: 'C' } };
}

/** Extracts the members `pick` chooses (from the package's file list) into `dir`; returns their paths there. */
async function extract(deb: string, dir: string, pick: (members: string[]) => string[]): Promise<{ files: string[] }> {
  mkdirSync(dir, { recursive: true });
  const tarFile = `${dir}.tar`;
  await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" > "$2"', 'sh', deb, tarFile]);
  const members = (await run('tar', ['-tf', tarFile])).split('\n').filter(Boolean);
  const wanted = pick(members);
  await run('tar', ['-xf', tarFile, '-C', dir, ...wanted]);
  rmSync(tarFile, { force: true });
  return { files: wanted.map((m) => path.join(dir, m)) };
}
