// Images the fleet's real nodes run (pause, CoreDNS, the local-path provisioner and its helper, the operator), read
// from the image manifest that `npm run images` writes; nodes import them into containerd (never pulled).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ImageEntry {
  name: string;
  ref: string;
  archive: string;
  key: string;
}

export function imageCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'discovery-images');
}

function manifest(): ImageEntry[] {
  const f = path.join(imageCacheDir(), 'manifest.json');
  if (!existsSync(f)) throw new Error(`no image manifest at ${f}: build the images with: npm run images`);
  const data = JSON.parse(readFileSync(f, 'utf8')) as { images?: ImageEntry[] } | ImageEntry[];
  return Array.isArray(data) ? data : (data.images ?? []);
}

/** Images every real node needs; the management cluster's node also runs the operator. */
export const NODE_IMAGES = ['pause', 'coredns', 'local-path-provisioner', 'toolbox'] as const;

export function fleetImageRef(name: string): string {
  const e = manifest().find((i) => i.name === name);
  if (!e) throw new Error(`image "${name}" is not in the image manifest: run npm run images`);
  return e.ref;
}

export function fleetImageArchives(role: 'management' | 'member'): { ref: string; archive: string }[] {
  const want: string[] = [...NODE_IMAGES, ...(role === 'management' ? ['discovery-operator'] : [])];
  const all = manifest();
  return want.map((n) => {
    const e = all.find((i) => i.name === n);
    if (!e) throw new Error(`image "${n}" is not in the image manifest: run npm run images`);
    return { ref: e.ref, archive: e.archive };
  });
}
