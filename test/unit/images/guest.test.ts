// Unit tests of the test guest's pure parts: the newc cpio writer the initramfs is made with, the initramfs layout,
// the guest's cache key and the bzImage check.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { newcArchive, parseNewc, type CpioEntry } from '../../../hack/images/cpio.js';
import {
  GUEST_CMDLINE,
  GUEST_MARKER,
  guestKey,
  initramfsEntries,
  isBzImage,
  type GuestInputs,
} from '../../../hack/images/guest.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../hack/images/specs.js';

describe('newcArchive', () => {
  const entries: CpioEntry[] = [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1]), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'dir', path: 'dev' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    { type: 'file', path: 'init', data: '#!/bin/sh\n', mode: 0o755 },
  ];

  test('writes what the kernel unpacks: newc headers, 4-byte alignment, root-owned, device numbers, a trailer', () => {
    const buf = newcArchive(entries);
    expect(buf.toString('ascii', 0, 6)).toBe('070701');
    expect(buf.length % 4).toBe(0);
    expect(buf.includes('TRAILER!!!\0')).toBe(true);
    const back = parseNewc(buf);
    expect(back.map((m) => [m.path, m.mode.toString(8)])).toEqual([
      ['bin', '40755'],
      ['bin/busybox', '100755'],
      ['bin/sh', '120777'],
      ['dev', '40755'],
      ['dev/console', '20600'],
      ['init', '100755'],
    ]);
    expect(back.every((m) => m.uid === 0 && m.gid === 0)).toBe(true);
    expect(back[4]!.rdev).toEqual([5, 1]);
    expect(back[2]!.data.toString()).toBe('busybox');
    expect(back[5]!.data.toString()).toBe('#!/bin/sh\n');
  });

  test('is deterministic, and every member comes back byte for byte (any names and contents)', () => {
    expect(newcArchive(entries).equals(newcArchive(structuredClone(entries)))).toBe(true);
    const name = fc.stringMatching(/^[a-z0-9._-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, fc.uint8Array({ maxLength: 70 })), { selector: (t) => t[0] }),
        (files) => {
          const list: CpioEntry[] = files.map(([p, d]) => ({ type: 'file', path: p, data: Buffer.from(d) }));
          const back = parseNewc(newcArchive(list));
          expect(back.map((m) => m.path)).toEqual(files.map(([p]) => p));
          back.forEach((m, i) => expect(Buffer.compare(m.data, Buffer.from(files[i]![1]))).toBe(0));
        },
      ),
    );
  });

  test('refuses absolute or escaping paths, duplicates and members before their directory', () => {
    expect(() => newcArchive([{ type: 'dir', path: '/bin' }])).toThrow(/bad member path/);
    expect(() => newcArchive([{ type: 'dir', path: 'a/../b' }])).toThrow(/bad member path/);
    expect(() => newcArchive([{ type: 'file', path: 'bin/sh', data: '' }])).toThrow(/before its directory/);
    expect(() =>
      newcArchive([
        { type: 'dir', path: 'a' },
        { type: 'dir', path: 'a' },
      ]),
    ).toThrow(/twice/);
  });
});

describe('the initramfs', () => {
  const init = readFileSync(path.join(REPO_ROOT, 'hack/images/guest/init'), 'utf8');

  test('has busybox, an executable /init, the modules, and the device nodes the kernel opens before devtmpfs', () => {
    const members = parseNewc(
      newcArchive(
        initramfsEntries({
          busybox: Buffer.from('bb'),
          init,
          modules: { evdev: Buffer.from('e'), button: Buffer.from('b') },
        }),
      ),
    );
    const byPath = new Map(members.map((m) => [m.path, m]));
    expect(byPath.get('init')!.mode).toBe(0o100755);
    expect(byPath.get('bin/busybox')!.mode).toBe(0o100755);
    expect(byPath.get('bin/sh')!.data.toString()).toBe('busybox');
    expect(byPath.get('dev/console')!.rdev).toEqual([5, 1]);
    expect(byPath.get('dev/ttyS0')!.rdev).toEqual([4, 64]);
    expect(byPath.get('lib/modules/button.ko.xz')!.data.toString()).toBe('b');
    expect(byPath.get('lib/modules/evdev.ko.xz')!.data.toString()).toBe('e');
  });

  test('/init prints the marker on the serial port and powers off on the power button, never exiting', () => {
    expect(init.startsWith('#!/bin/sh\n')).toBe(true);
    expect(init).toContain(`echo "${GUEST_MARKER}"`);
    expect(init).toMatch(/exec <\/dev\/null >\/dev\/ttyS0 2>&1/);
    expect(init).toMatch(/poweroff -f/);
    expect(init.trimEnd().split('\n').at(-1)).toBe('while :; do sleep 3600; done');
    expect(GUEST_CMDLINE).toBe('console=ttyS0');
  });
});

describe('guestKey', () => {
  const base: GuestInputs = {
    suite: 'trixie',
    mirror: 'http://deb.debian.org/debian',
    securityMirror: 'http://deb.debian.org/debian-security',
    files: { init: 'x1', 'guest.ts': 'x2', 'cpio.ts': 'x3' },
  };

  test('is stable, and changes with the suite, a mirror or any file', () => {
    expect(guestKey(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(guestKey(structuredClone(base))).toBe(guestKey(base));
    const variants: GuestInputs[] = [
      { ...base, suite: 'forky' },
      { ...base, mirror: 'http://mirror.example/debian' },
      { ...base, securityMirror: 'http://mirror.example/debian-security' },
      { ...base, files: { ...base.files, init: 'x9' } },
      { ...base, files: { ...base.files, 'cpio.ts': 'x9' } },
    ];
    const keys = new Set([base, ...variants].map(guestKey));
    expect(keys.size).toBe(variants.length + 1);
  });
});

describe('isBzImage', () => {
  test('wants the MZ stub and the HdrS boot header', () => {
    const head = Buffer.alloc(0x400);
    head.write('MZ', 0, 'latin1');
    head.write('HdrS', 0x202, 'latin1');
    expect(isBzImage(head)).toBe(true);
    expect(isBzImage(head.subarray(0, 0x100))).toBe(false);
    const gz = Buffer.from(head);
    gz.write('\x1f\x8b', 0, 'latin1');
    expect(isBzImage(gz)).toBe(false);
  });
});
