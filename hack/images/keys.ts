// Pure parts of the image builder: cache keys from an image's declared inputs, tags and refs derived from them,
// and the .dockerignore matching that decides which files of a build context feed the key.
import { createHash } from 'node:crypto';

/** Every locally built image lives under this prefix; nothing is ever pulled from it. */
export const REF_PREFIX = 'localhost/discovery';

/** Bumped when the way inputs are combined changes, so every key changes with it. */
export const KEY_FORMAT = 'discovery-images/v1';

/** What an image is built from. Two builds with equal inputs give the same key; any difference changes it. */
export interface KeyInputs {
  name: string;
  version: string;
  /** Build-context files: path inside the context -> content digest (see fileDigest). */
  files: Record<string, string>;
  /** Scalar inputs: tool versions, suite, mirror, build flags, ... */
  params: Record<string, string>;
  /** Base images: build-arg name -> the base image's key. */
  bases: Record<string, string>;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Digest of one context file: its content and whether it is executable (COPY keeps the mode). */
export function fileDigest(content: Buffer | string, executable: boolean): string {
  return `${executable ? 'x' : '-'}${sha256(content)}`;
}

/** Digest of a symbolic link: its target. */
export function linkDigest(target: string): string {
  return `l${sha256(target)}`;
}

function sortedEntries(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The cache key of an image: a SHA-256 over its inputs, independent of the order in which they were collected. */
export function imageKey(inputs: KeyInputs): string {
  const canonical = JSON.stringify([
    KEY_FORMAT,
    inputs.name,
    inputs.version,
    sortedEntries(inputs.files),
    sortedEntries(inputs.params),
    sortedEntries(inputs.bases),
  ]);
  return sha256(canonical);
}

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const NAME_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** `<version>-<first 12 hex digits of the key>`: changes whenever the content's inputs change, so pods roll. */
export function imageTag(version: string, key: string): string {
  if (!/^[0-9a-f]{12,}$/.test(key)) throw new Error(`not a hex key: '${key}'`);
  const tag = `${version}-${key.slice(0, 12)}`;
  if (!TAG_RE.test(tag)) throw new Error(`'${tag}' is not a valid image tag (version '${version}')`);
  return tag;
}

/** `localhost/discovery/<name>:<tag>`. */
export function imageRefFor(name: string, tag: string): string {
  if (!NAME_RE.test(name)) throw new Error(`'${name}' is not a valid image name`);
  if (!TAG_RE.test(tag)) throw new Error(`'${tag}' is not a valid image tag`);
  return `${REF_PREFIX}/${name}:${tag}`;
}

// ---- what a Dockerfile reads from its context ----

/**
 * The context paths a Dockerfile's COPY/ADD instructions read (those without --from), normalized ('./a/' -> 'a');
 * undefined when that cannot be told statically (the whole context, a variable, a heredoc), which means "all".
 */
export function copySources(dockerfile: string): string[] | undefined {
  const sources: string[] = [];
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const line of lines) {
    const m = /^\s*(?:COPY|ADD)\s+(.*)$/i.exec(line);
    if (!m) continue;
    let rest = m[1]!.trim();
    let fromStage = false;
    for (let flag = /^--(\S+)\s*/.exec(rest); flag; flag = /^--(\S+)\s*/.exec(rest)) {
      if (flag[1]!.startsWith('from=')) fromStage = true;
      rest = rest.slice(flag[0].length);
    }
    if (fromStage) continue;
    if (rest.includes('<<')) return undefined;
    let args: string[];
    if (rest.startsWith('[')) {
      try {
        args = JSON.parse(rest) as string[];
      } catch {
        return undefined;
      }
    } else args = rest.split(/\s+/).filter(Boolean);
    for (const src of args.slice(0, -1)) {
      if (/^[a-z]+:\/\//i.test(src)) continue; // ADD from a URL
      if (src.includes('$')) return undefined;
      const clean = src
        .split('/')
        .filter((seg) => seg !== '' && seg !== '.')
        .join('/');
      if (!clean) return undefined;
      sources.push(clean);
    }
  }
  return sources;
}

/** Whether a context file (slash-separated relative path) is read by one of the COPY/ADD sources. */
export function isCopied(sources: string[] | undefined, relPath: string): boolean {
  if (!sources) return true;
  const parts = relPath.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  return sources.some((src) => {
    const re = globToRegex(src);
    return prefixes.some((p) => p === src || re.test(p));
  });
}

/** Whether a directory may hold a file one of the sources reads (so the walk must enter it). */
export function mayHoldCopied(sources: string[] | undefined, relDir: string): boolean {
  if (!sources) return true;
  return sources.some((src) => /[*?[\\]/.test(src) || src.startsWith(`${relDir}/`)) || isCopied(sources, relDir);
}

// ---- .dockerignore ----

export interface IgnorePattern {
  /** true for a `!pattern` line, which re-includes what earlier lines excluded */
  exception: boolean;
  regex: RegExp;
  source: string;
}

function globToRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**` spans directories; `**/` also matches no directory at all.
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      i++;
      re += glob[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Parses a .dockerignore: comments, blank lines, `!` exceptions, leading `/` and `./` dropped, paths cleaned. */
export function parseDockerignore(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    const cleaned = line
      .split('/')
      .filter((seg) => seg !== '' && seg !== '.')
      .join('/');
    if (!cleaned) continue;
    patterns.push({ exception, regex: globToRegex(cleaned), source: raw.trim() });
  }
  return patterns;
}

/**
 * Whether Docker leaves `relPath` (slash-separated, relative to the context root) out of the build context: the last
 * pattern matching the path or one of its parent directories decides.
 */
export function isIgnored(patterns: IgnorePattern[], relPath: string): boolean {
  const parts = relPath.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const p of patterns) {
    if (prefixes.some((prefix) => p.regex.test(prefix))) ignored = !p.exception;
  }
  return ignored;
}

/** Whether a directory can be skipped whole: it is ignored and no exception could bring back anything below it. */
export function canPruneDir(patterns: IgnorePattern[], relDir: string): boolean {
  return isIgnored(patterns, relDir) && !patterns.some((p) => p.exception);
}
