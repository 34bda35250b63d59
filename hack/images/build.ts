// Builds the images `npm run images` is asked for: computes each one's key, skips those whose archive for that key
// is in the cache, builds the others with a private dockerd (started only when something must be built), saves each
// as a docker-save archive and records it in ${cache}/manifest.json.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DockerDaemon } from './docker.js';
import { acquireLock, ensureHostPackages, onCleanup, requireGo, run, say, seconds, unmountUnder } from './host.js';
import { imageKey, imageRefFor, imageTag } from './keys.js';
import { imageManifestPath, parseImageManifest, writeImageManifest, type ImageEntry } from './manifest.js';
import {
  checkSpecs,
  DEFAULT_GROUP,
  digestOfFile,
  imageGroup,
  imageSpecs,
  OPTIONAL_GROUPS,
  type DebootstrapRecipe,
  type ImportRecipe,
  type DockerfileRecipe,
  type ImageSpec,
} from './specs.js';

export interface BuildOptions {
  cacheDir: string;
  /** Build only these images (and the bases they need); default: the default group. */
  only?: string[];
  /** Build these groups' images (and the bases they need), e.g. ['openstack']; with `only`, both. */
  groups?: string[];
  /** Rebuild the selected images (with --only/--group: just those named) even when their archive is cached. */
  rebuild?: boolean;
  /** Print build output live instead of only to ${cache}/logs/<image>.log. */
  verbose?: boolean;
}

export interface PlannedImage {
  spec: ImageSpec;
  key: string;
  tag: string;
  ref: string;
  archive: string;
  cached: boolean;
}

export interface BuildResult {
  entries: ImageEntry[];
  built: string[];
  cached: string[];
  seconds: number;
}

/** The images named by `only` and `groups` (without either: the default group), in build order, no bases. */
export function namedImages(specs: ImageSpec[], only: string[] = [], groups: string[] = []): string[] {
  const known = new Set<string>([DEFAULT_GROUP, ...OPTIONAL_GROUPS]);
  for (const g of groups)
    if (!known.has(g)) throw new Error(`unknown image group '${g}' (known: ${[...known].join(', ')})`);
  const inGroups = (wanted: string[]) => specs.filter((s) => wanted.includes(imageGroup(s))).map((s) => s.name);
  if (!only.length && !groups.length) return inGroups([DEFAULT_GROUP]);
  return [...new Set([...only, ...inGroups(groups)])];
}

/**
 * The selected images and every base they build on, in build order: those `only` names and those of `groups`;
 * without either, the default group (the opt-in groups are left out).
 */
export function selectImages(specs: ImageSpec[], only?: string[], groups?: string[]): ImageSpec[] {
  const names = namedImages(specs, only, groups);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const wanted = new Set<string>();
  const add = (name: string) => {
    const spec = byName.get(name);
    if (!spec) throw new Error(`unknown image '${name}' (known: ${specs.map((s) => s.name).join(', ')})`);
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const base of Object.values(spec.bases)) add(base);
  };
  for (const name of names) add(name);
  return specs.filter((s) => wanted.has(s.name));
}

function readManifestLenient(file: string): ImageEntry[] {
  if (!existsSync(file)) return [];
  try {
    return parseImageManifest(readFileSync(file, 'utf8'), file);
  } catch (e) {
    say(`ignoring an unreadable manifest (${(e as Error).message})`);
    return [];
  }
}

function human(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export async function buildImages(opts: BuildOptions): Promise<BuildResult> {
  const t0 = Date.now();
  const cache = opts.cacheDir;
  const specs = imageSpecs();
  checkSpecs(specs);
  const selected = selectImages(specs, opts.only, opts.groups);
  const width = Math.max(...specs.map((s) => s.name.length));
  // --rebuild alone: the default set with its bases; with --only/--group: the images they name, not their bases.
  const explicit = Boolean(opts.only?.length || opts.groups?.length);
  const forced = new Set(
    opts.rebuild ? (explicit ? namedImages(specs, opts.only, opts.groups) : selected.map((s) => s.name)) : [],
  );

  await ensureHostPackages();
  requireGo();
  mkdirSync(cache, { recursive: true });
  const release = acquireLock(cache);
  const unregisterLock = onCleanup(release);
  const logs = path.join(cache, 'logs');
  const archives = path.join(cache, 'archives');
  mkdirSync(logs, { recursive: true });
  mkdirSync(archives, { recursive: true });
  const manifestFile = imageManifestPath({ ...process.env, DISCOVERY_IMAGES_CACHE: cache });
  const known = new Set(specs.map((s) => s.name));
  const entries = new Map(
    readManifestLenient(manifestFile)
      .filter((e) => known.has(e.name))
      .map((e) => [e.name, e]),
  );
  const built: string[] = [];
  const cachedNames: string[] = [];
  let daemon: DockerDaemon | undefined;

  try {
    // 1. Keys: every selected image, bases first (a base's key is an input of its dependents).
    const plan = new Map<string, PlannedImage>();
    for (const spec of selected) {
      const logFile = path.join(logs, `${spec.name}.log`);
      if (spec.prepare) {
        writeFileSync(logFile, '');
        await spec.prepare(logFile);
      }
      const files =
        spec.recipe.type === 'debootstrap'
          ? { 'finalize.sh': digestOfFile(spec.recipe.finalize) }
          : spec.recipe.context().digests();
      const params: Record<string, string> = { ...(await spec.params()) };
      if (spec.recipe.type !== 'dockerfile') params.changes = JSON.stringify(spec.recipe.changes);
      if (spec.recipe.type === 'debootstrap') {
        const r = spec.recipe;
        Object.assign(params, {
          suite: r.suite,
          variant: r.variant,
          mirror: r.mirror,
          securityMirror: r.securityMirror,
        });
      }
      const bases = Object.fromEntries(Object.entries(spec.bases).map(([arg, base]) => [arg, plan.get(base)!.key]));
      const key = imageKey({ name: spec.name, version: spec.version, files, params, bases });
      const tag = imageTag(spec.version, key);
      const ref = imageRefFor(spec.name, tag);
      const archive = path.join(archives, `${spec.name}-${tag}.tar`);
      const prev = entries.get(spec.name);
      const cached = !forced.has(spec.name) && prev?.key === key && existsSync(prev.archive) && existsSync(archive);
      plan.set(spec.name, { spec, key, tag, ref, archive, cached });
      if (cached) cachedNames.push(spec.name);
    }

    const stale = [...plan.values()].filter((p) => !p.cached);
    for (const p of plan.values())
      if (p.cached) say(`${p.spec.name.padEnd(width)} cached  ${p.ref} (${human(entries.get(p.spec.name)!.bytes)})`);
    if (stale.length === 0) {
      say(`all ${plan.size} images cached; manifest ${manifestFile}`);
      return { entries: [...entries.values()], built, cached: cachedNames, seconds: (Date.now() - t0) / 1000 };
    }
    say(`to build: ${stale.map((p) => p.spec.name).join(', ')}`);

    // 2. Builds, with a private dockerd.
    if (process.getuid?.() !== 0)
      throw new Error(
        `building ${stale.map((p) => p.spec.name).join(', ')} needs root (debootstrap, dockerd); run as root`,
      );
    const tStart = Date.now();
    daemon = new DockerDaemon(cache);
    await daemon.start();
    say(`dockerd ${await daemon.version()} up in ${seconds(tStart)} (data root ${daemon.paths.dataRoot})`);
    // Containers of an interrupted build stay in the data root, stopped: nothing else runs here, so they all go.
    await daemon.docker(['container', 'prune', '-f']);

    for (const p of stale) {
      const t = Date.now();
      const logFile = path.join(logs, `${p.spec.name}.log`);
      if (!p.spec.prepare) writeFileSync(logFile, '');
      for (const base of Object.values(p.spec.bases)) {
        const b = plan.get(base)!;
        if (!(await daemon.hasImage(b.ref))) {
          say(`${p.spec.name}: loading base ${b.ref} from its archive`);
          await daemon.docker(['load', '-q', '-i', b.archive], { logFile });
        }
      }
      if (p.spec.recipe.type === 'debootstrap') await buildDebootstrap(daemon, p, p.spec.recipe, cache, logFile, opts);
      else if (p.spec.recipe.type === 'import') await buildImport(daemon, p, p.spec.recipe, cache, logFile);
      else await buildDockerfile(daemon, p, p.spec.recipe, plan, cache, logFile, opts, forced.has(p.spec.name));

      say(`${p.spec.name}: saving ${path.basename(p.archive)}`);
      const tmp = `${p.archive}.tmp`;
      await daemon.docker(['save', '-o', tmp, p.ref], { logFile });
      chmodSync(tmp, 0o644); // docker save writes 0600; the fleet may read archives as another user
      renameSync(tmp, p.archive);
      const prev = entries.get(p.spec.name);
      const entry: ImageEntry = {
        name: p.spec.name,
        ref: p.ref,
        archive: p.archive,
        key: p.key,
        version: p.spec.version,
        tag: p.tag,
        use: p.spec.use,
        bytes: statSync(p.archive).size,
        builtAt: new Date().toISOString(),
        buildSeconds: Math.round((Date.now() - t) / 100) / 10,
      };
      entries.set(p.spec.name, entry);
      writeImageManifest(orderEntries(specs, entries), manifestFile);
      if (prev && prev.archive !== p.archive) rmSync(prev.archive, { force: true });
      if (prev && prev.ref !== p.ref) await daemon.docker(['rmi', prev.ref], { logFile }).catch(() => {});
      built.push(p.spec.name);
      say(`${p.spec.name.padEnd(width)} built in ${seconds(t)}  ${p.ref} (${human(entry.bytes)})`);
    }

    // 3. Drop refs of this prefix that no manifest entry names. Untagged images are the classic builder's cache (the
    // operator's build and deps stages end in one, with `npm ci` under it): only those unused for a week go.
    const current = new Set([...entries.values()].map((e) => e.ref));
    const listed = (await daemon.docker(['images', '--format', '{{.Repository}}:{{.Tag}}', 'localhost/discovery/*']))
      .split('\n')
      .filter((r) => r && !current.has(r));
    if (listed.length) await daemon.docker(['rmi', ...listed]).catch(() => {});
    await daemon.docker(['image', 'prune', '-f', '--filter', 'until=168h']).catch(() => {});
  } finally {
    if (daemon) {
      const t = Date.now();
      await daemon.stop();
      say(`dockerd stopped and cleaned up in ${seconds(t)}`);
    }
    unregisterLock();
    release();
  }
  const all = orderEntries(specs, entries);
  writeImageManifest(all, manifestFile);
  say(`done in ${seconds(t0)}: built ${built.join(', ') || 'nothing'}; manifest ${manifestFile}`);
  return { entries: all, built, cached: cachedNames, seconds: (Date.now() - t0) / 1000 };
}

function orderEntries(specs: ImageSpec[], entries: Map<string, ImageEntry>): ImageEntry[] {
  return specs.map((s) => entries.get(s.name)).filter((e): e is ImageEntry => e !== undefined);
}

/** The Debian base: debootstrap into ${cache}/work/<name>/rootfs, finalize inside it, `docker import` the tree. */
async function buildDebootstrap(
  daemon: DockerDaemon,
  p: PlannedImage,
  r: DebootstrapRecipe,
  cache: string,
  logFile: string,
  opts: BuildOptions,
): Promise<void> {
  const work = path.join(cache, 'work', p.spec.name);
  const rootfs = path.join(work, 'rootfs');
  await unmountUnder([rootfs]);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // debootstrap mounts proc, sys and devpts inside the tree; whatever happens, none of them stays.
  const unregister = onCleanup(() => unmountUnder([rootfs]).then(() => {}));
  try {
    const t = Date.now();
    say(`${p.spec.name}: debootstrap --variant=${r.variant} ${r.suite} from ${r.mirror}`);
    await run('debootstrap', [`--variant=${r.variant}`, r.suite, rootfs, r.mirror], { logFile, echo: opts.verbose });
    say(`${p.spec.name}: debootstrap done in ${seconds(t)}; finalizing inside the tree (chroot)`);
  } finally {
    await unmountUnder([rootfs]);
    unregister();
  }
  // The tree has its own /dev nodes from debootstrap (mknod), nothing of the host's /dev is bound into it.
  await run(
    'chroot',
    [
      rootfs,
      '/usr/bin/env',
      '-i',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      `SUITE=${r.suite}`,
      `MIRROR=${r.mirror}`,
      `SECURITY_MIRROR=${r.securityMirror}`,
      '/bin/sh',
      '-s',
    ],
    { stdinFile: r.finalize, logFile, echo: opts.verbose },
  );
  await importTree(daemon, p, rootfs, r.changes, logFile);
  rmSync(work, { recursive: true, force: true });
}

/**
 * Packs a directory as the image's single layer and `docker import`s it with Dockerfile-style config changes. tar
 * keeps file capabilities (security.capability), which the classic builder's COPY would drop.
 */
async function importTree(daemon: DockerDaemon, p: PlannedImage, tree: string, changes: string[], logFile: string) {
  say(`${p.spec.name}: packing and importing the tree`);
  const tarFile = `${tree}.tar`;
  const excludes = ['--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*'];
  const tarArgs = ['--numeric-owner', '--sort=name', '--xattrs', '--xattrs-include=security.capability', ...excludes];
  await run('tar', [...tarArgs, '-C', tree, '-cf', tarFile, '.'], { logFile });
  const all = [...changes, `LABEL io.discovery.images.key=${p.key}`];
  await daemon.docker(['import', ...all.flatMap((c) => ['--change', c]), tarFile, p.ref], { logFile });
  rmSync(tarFile, { force: true });
}

/** A single-layer image from an assembled set of files (CoreDNS: its binary keeps its file capability). */
async function buildImport(daemon: DockerDaemon, p: PlannedImage, r: ImportRecipe, cache: string, logFile: string) {
  const work = path.join(cache, 'work', p.spec.name);
  const tree = path.join(work, 'tree');
  const ctx = r.context();
  say(`${p.spec.name}: assembling the layer (${ctx.entries.map((e) => e.dest).join(', ')})`);
  await ctx.materialize(tree, logFile);
  await importTree(daemon, p, tree, r.changes, logFile);
  rmSync(work, { recursive: true, force: true });
}

/** A Dockerfile image: assemble its context (or take the repository as it is), `docker build --network host`. */
async function buildDockerfile(
  daemon: DockerDaemon,
  p: PlannedImage,
  r: DockerfileRecipe,
  plan: Map<string, PlannedImage>,
  cache: string,
  logFile: string,
  opts: BuildOptions,
  noCache: boolean,
): Promise<void> {
  const ctx = r.context();
  let contextDir: string;
  let dockerfile = r.dockerfile;
  if (ctx.kind === 'assembled') {
    contextDir = path.join(cache, 'work', p.spec.name, 'context');
    say(`${p.spec.name}: assembling the build context (${ctx.entries.map((e) => e.dest).join(', ')})`);
    await ctx.materialize(contextDir, logFile);
    dockerfile = path.join(contextDir, 'Dockerfile');
  } else contextDir = ctx.dir;
  const buildArgs = Object.entries(p.spec.bases).flatMap(([arg, base]) => [
    '--build-arg',
    `${arg}=${plan.get(base)!.ref}`,
  ]);
  const shown = buildArgs.filter((_, i) => i % 2).join(' ');
  say(`${p.spec.name}: docker build${shown ? ` ${shown}` : ''} (log: ${logFile})`);
  await daemon.docker(
    [
      'build',
      '--network',
      'host',
      '--force-rm',
      // --rebuild means from scratch: fresh packages, nothing from the layer cache.
      ...(noCache ? ['--no-cache'] : []),
      '--label',
      `io.discovery.images.key=${p.key}`,
      ...buildArgs,
      '-f',
      dockerfile,
      '-t',
      p.ref,
      contextDir,
    ],
    { logFile, echo: opts.verbose },
  );
  if (ctx.kind === 'assembled') rmSync(path.dirname(contextDir), { recursive: true, force: true });
}
