// The images' manifest and the small API the fleet imports to find them: where the cache is, which ref and archive
// each image has. `npm run images` writes ${cache}/manifest.json; nothing here builds or runs anything.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One built image. `use: 'node'` images run on the fleet's real nodes; `use: 'build'` ones are base images. */
export interface ImageEntry {
  name: string;
  /** `localhost/discovery/<name>:<version>-<key12>`, never pulled: import the archive, use IfNotPresent/Never. */
  ref: string;
  /** Absolute path of a docker-save tarball (`ctr -n k8s.io images import` and `docker load` accept it). */
  archive: string;
  /** SHA-256 of the image's inputs (see hack/images/keys.ts). */
  key: string;
  version: string;
  tag: string;
  use: 'node' | 'build';
  /** Size of the archive in bytes. */
  bytes: number;
  builtAt: string;
  /** How long its last build took (building, then saving the archive). */
  buildSeconds: number;
}

/** `$DISCOVERY_IMAGES_CACHE`, else `${XDG_CACHE_HOME:-$HOME/.cache}/discovery-images`. */
export function imagesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DISCOVERY_IMAGES_CACHE) return path.resolve(env.DISCOVERY_IMAGES_CACHE);
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'discovery-images');
}

export function imageManifestPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(imagesCacheDir(env), 'manifest.json');
}

const FIELDS: Record<keyof ImageEntry, 'string' | 'number'> = {
  name: 'string',
  ref: 'string',
  archive: 'string',
  key: 'string',
  version: 'string',
  tag: 'string',
  use: 'string',
  bytes: 'number',
  builtAt: 'string',
  buildSeconds: 'number',
};

/** Checks the manifest's shape; throws with the first problem found. */
export function parseImageManifest(text: string, source = 'manifest'): ImageEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message})`, { cause: e });
  }
  if (!Array.isArray(data)) throw new Error(`${source}: expected a JSON array of images`);
  const seen = new Set<string>();
  return data.map((item, i) => {
    if (typeof item !== 'object' || item === null) throw new Error(`${source}[${i}]: expected an object`);
    const rec = item as Record<string, unknown>;
    for (const [field, type] of Object.entries(FIELDS)) {
      if (typeof rec[field] !== type) throw new Error(`${source}[${i}]: '${field}' must be a ${type}`);
    }
    const entry = rec as unknown as ImageEntry;
    if (entry.use !== 'node' && entry.use !== 'build') throw new Error(`${source}[${i}]: 'use' must be node or build`);
    if (!path.isAbsolute(entry.archive)) throw new Error(`${source}[${i}]: 'archive' must be an absolute path`);
    if (!entry.ref.endsWith(`/${entry.name}:${entry.tag}`))
      throw new Error(`${source}[${i}]: ref '${entry.ref}' does not end with /${entry.name}:${entry.tag}`);
    if (seen.has(entry.name)) throw new Error(`${source}: image '${entry.name}' is listed twice`);
    seen.add(entry.name);
    return entry;
  });
}

/** The images `npm run images` built, in build order. Throws (saying how to build them) when there is no manifest. */
export function readImageManifest(file = imageManifestPath()): ImageEntry[] {
  if (!existsSync(file)) throw new Error(`no image manifest at ${file}: run \`npm run images\` first`);
  return parseImageManifest(readFileSync(file, 'utf8'), file);
}

/** The manifest entry of one image; throws if it was never built. */
export function imageEntry(name: string, entries: ImageEntry[] = readImageManifest()): ImageEntry {
  const entry = entries.find((e) => e.name === name);
  if (!entry) {
    const known = entries.map((e) => e.name).join(', ') || 'none';
    throw new Error(
      `image '${name}' is not in the manifest (built: ${known}); run \`npm run images -- --only ${name}\``,
    );
  }
  return entry;
}

/** The ref of one image, e.g. imageRef('pause') -> 'localhost/discovery/pause:1-0123456789ab'. */
export function imageRef(name: string, entries: ImageEntry[] = readImageManifest()): string {
  return imageEntry(name, entries).ref;
}

/** Helm's image.repository and image.tag for an image, e.g. `--set image.repository=…,image.tag=…`. */
export function helmImage(
  name: string,
  entries: ImageEntry[] = readImageManifest(),
): { repository: string; tag: string } {
  const { ref, tag } = imageEntry(name, entries);
  return { repository: ref.slice(0, ref.length - tag.length - 1), tag };
}

/** The images the fleet's real nodes run (what to import into each node's containerd). */
export function nodeImages(entries: ImageEntry[] = readImageManifest()): ImageEntry[] {
  return entries.filter((e) => e.use === 'node');
}

/** Writes the manifest atomically (a reader never sees half a file). */
export function writeImageManifest(entries: ImageEntry[], file = imageManifestPath()): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(entries, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Registry prefix of every image built here (refs are `<this>/<name>:<tag>`): a DistributedCloud's spec.images.registry. */
export const LOCAL_REGISTRY = 'localhost/discovery';

/** The OpenStack group's node images (`npm run images -- --group openstack`): Kolla names, one release. */
export function openstackImages(entries: ImageEntry[], release = '2025.1'): ImageEntry[] {
  return entries.filter((e) => e.use === 'node' && e.version.startsWith(`${release}-`));
}

/**
 * One tag for the whole OpenStack group, so that a DistributedCloud names every image with
 * `spec.images: {registry: localhost/discovery, tag: <this>}`: `<release>-local-<12 hex>`, a hash of every image's
 * name and key — any rebuilt image gives a new tag (and a rollout), an unchanged group the same one. The fleet tags
 * each imported image `localhost/discovery/<name>:<this>` on the nodes.
 */
export function openstackGroupTag(entries: ImageEntry[], release = '2025.1'): string {
  const images = openstackImages(entries, release);
  if (!images.length)
    throw new Error(`no OpenStack ${release} image in the manifest: run \`npm run images -- --group openstack\``);
  const sum = createHash('sha256')
    .update(
      images
        .map((e) => `${e.name}@${e.key}`)
        .sort()
        .join('\n'),
    )
    .digest('hex');
  return `${release}-local-${sum.slice(0, 12)}`;
}
