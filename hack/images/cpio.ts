// A cpio archive in the "newc" format the Linux kernel unpacks as an initramfs, written without cpio(1) and without
// root: device nodes (/dev/console) are plain archive entries. Pure and deterministic: equal entries give equal bytes
// (inode numbers in order, fixed times and owners).

/** One archive member. Paths are relative ("bin/busybox"); directories must precede what they hold. */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

function member(ino: number, mode: number, nlink: number, name: string, data: Buffer, rdev = [0, 0], mtime = 0) {
  const nameBytes = Buffer.from(`${name}\0`);
  const header = Buffer.from(
    [
      '070701',
      hex8(ino),
      hex8(mode),
      hex8(0), // uid
      hex8(0), // gid
      hex8(nlink),
      hex8(mtime),
      hex8(data.length),
      hex8(0), // devmajor
      hex8(0), // devminor
      hex8(rdev[0]!),
      hex8(rdev[1]!),
      hex8(nameBytes.length),
      hex8(0), // check (newc: unused)
    ].join(''),
  );
  const head = Buffer.concat([header, nameBytes]);
  return Buffer.concat([head, pad4(head.length), data, pad4(data.length)]);
}

/** Checks a member path: relative, no empty, "." or ".." segments (the kernel would unpack it anywhere). */
function checkPath(p: string): void {
  if (!p || p.startsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new Error(`cpio: bad member path '${p}'`);
}

/** The newc archive of `entries`, owned by root, mtime `mtime` (seconds), ending with the trailer. */
export function newcArchive(entries: CpioEntry[], mtime = 0): Buffer {
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    checkPath(e.path);
    if (seen.has(e.path)) throw new Error(`cpio: '${e.path}' listed twice`);
    const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : undefined;
    if (parent !== undefined && !seen.has(parent)) throw new Error(`cpio: '${e.path}' comes before its directory`);
    seen.add(e.path);
    const ino = i + 1;
    switch (e.type) {
      case 'dir':
        parts.push(member(ino, S_IFDIR | (e.mode ?? 0o755), 2, e.path, Buffer.alloc(0), undefined, mtime));
        break;
      case 'file': {
        const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data;
        parts.push(member(ino, S_IFREG | (e.mode ?? 0o644), 1, e.path, data, undefined, mtime));
        break;
      }
      case 'symlink':
        parts.push(member(ino, S_IFLNK | 0o777, 1, e.path, Buffer.from(e.target), undefined, mtime));
        break;
      case 'char':
        parts.push(member(ino, S_IFCHR | (e.mode ?? 0o600), 1, e.path, Buffer.alloc(0), [e.major, e.minor], mtime));
        break;
    }
  });
  parts.push(member(0, 0, 1, TRAILER, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** A member read back by parseNewc (for tests and checks). */
export interface CpioMember {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  rdev: [number, number];
  data: Buffer;
}

/** Reads a newc archive back, up to its trailer. Throws on anything that is not newc. */
export function parseNewc(buf: Buffer): CpioMember[] {
  const out: CpioMember[] = [];
  let off = 0;
  const field = (i: number) => parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
  for (;;) {
    if (buf.toString('ascii', off, off + 6) !== '070701') throw new Error(`cpio: no newc header at ${off}`);
    const namesize = field(11);
    const filesize = field(6);
    const nameStart = off + 110;
    const name = buf.toString('utf8', nameStart, nameStart + namesize - 1);
    const dataStart = nameStart + namesize + ((4 - ((110 + namesize) % 4)) % 4);
    if (name === TRAILER) return out;
    out.push({
      path: name,
      mode: field(1),
      uid: field(2),
      gid: field(3),
      rdev: [field(9), field(10)],
      data: buf.subarray(dataStart, dataStart + filesize),
    });
    off = dataStart + filesize + ((4 - (filesize % 4)) % 4);
  }
}
