// `discovery render -f … -o DIR`: writes the Kubernetes manifests of a DistributedCloud, one directory per site plus
// management/, for GitOps pipelines. Generated credentials come from --secrets FILE or DIR/secrets.yaml (created once).
// Files are written only inside DIR (names checked, no symlink followed), Secret-bearing ones 0600, and stale-file
// removal touches only files a previous render recorded in DIR/.discovery-render as its own.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import type { DistributedCloud } from '../api/types.js';
import { buildPlan } from '../planner/index.js';
import {
  createRenderContext,
  generateMissingSecrets,
  renderPlan,
  requiredSecrets,
  toYaml,
  type GeneratedSecrets,
} from '../render/index.js';
import { sortKeysDeep } from '../render/hash.js';
import { parseCommandArgs, strings, type CliCommand } from './command.js';
import { cloudName, loadInputs, selectClouds } from './input.js';
import { InputError, UsageError, type CliIO } from './io.js';

const HELP = `Usage: discovery render -f FILE [-f FILE ...] -o DIR [--name [NAMESPACE/]NAME] [--namespace NS] [--secrets FILE]

Render every unit of one DistributedCloud into Kubernetes manifests, without contacting any cluster:
  DIR/<site>/00-namespace.yaml            the DistributedCloud's member Namespace on that site's cluster
  DIR/<site>/<NN>-<component>-<step>.yaml one file per unit (NN = dependency level, for reading order);
                                          units run on another site's cluster on a site's behalf get a
                                          -<site> suffix (global units: -global)
  DIR/management/generated-secrets.yaml   the generated-credentials Secret for the management cluster
  DIR/secrets.yaml                        the generated credentials (secret -> key -> value); KEEP IT PRIVATE
  DIR/.discovery-render                   the files this render wrote (the only ones a later render may remove)
Credentials are read from --secrets FILE, else from DIR/secrets.yaml; missing ones are generated once and
written back to that same file (never elsewhere), so rendering again is byte-identical.
Files holding credentials (secrets.yaml, any file with a Secret) are written with mode 0600, others 0644.
Files a previous render wrote (listed in DIR/.discovery-render) and no longer produced are removed; nothing
else in DIR is touched. Site, DistributedCloud and namespace names must be Kubernetes names (DNS-1123), so no
file lands outside DIR; a symbolic link inside DIR is never followed. EdgeSite spec.tenancy is not checked here
(the operator enforces it): render only what the sites admit.

Options:
  -f, --filename FILE   YAML/JSON file with EdgeSites and DistributedClouds (repeatable; - reads stdin)
  -o, --output DIR      output directory (created if missing)
  -n, --name NAME       the DistributedCloud NAME or NAMESPACE/NAME (required when the input has several)
      --namespace NS    namespace of the DistributedCloud when it has none (default: openstack); its objects go
                        to one member namespace per site, NS-<name>-<site>-<hash>
      --secrets FILE    YAML map of existing generated credentials (secret -> key -> value); credentials
                        missing from it are generated and written back to FILE (mode 0600)
  -h, --help            show this help

Exit status: 0 rendered, 1 invalid input or plan, 2 bad command line.`;

export const command: CliCommand = {
  name: 'render',
  summary: 'write per-site Kubernetes manifests of a DistributedCloud (for GitOps)',
  help: HELP,
  async run(argv, io) {
    const values = parseCommandArgs(
      command,
      argv,
      {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
        name: { type: 'string', short: 'n' },
        namespace: { type: 'string' },
        secrets: { type: 'string' },
      },
      io,
    );
    if (!values) return 0;
    const dir = values.output as string | undefined;
    if (!dir) throw new UsageError('-o/--output DIR is required');
    const input = await loadInputs(strings(values.filename), io);
    const clouds = selectClouds(input.clouds, values.name as string | undefined);
    if (clouds.length > 1) {
      throw new UsageError(
        `the input has ${clouds.length} DistributedClouds (${clouds.map(cloudName).join(', ')}): pick one with --name`,
      );
    }
    const original = clouds[0]!;
    const dc: DistributedCloud = {
      ...original,
      metadata: {
        ...original.metadata,
        namespace: original.metadata.namespace ?? ((values.namespace as string) || 'openstack'),
      },
    };
    checkName('DistributedCloud name', dc.metadata.name, DNS_SUBDOMAIN);
    checkName('DistributedCloud namespace', dc.metadata.namespace, DNS_LABEL);
    for (const site of input.sites) {
      checkName('EdgeSite name', site.metadata.name, DNS_SUBDOMAIN);
      if (site.metadata.name === MANAGEMENT_DIR)
        throw new InputError(
          `EdgeSite name "${MANAGEMENT_DIR}" is reserved by discovery render (DIR/${MANAGEMENT_DIR}/)`,
        );
    }
    const plan = buildPlan(dc, input.sites);

    const secretsFile = values.secrets as string | undefined;
    if (secretsFile === undefined) await checkTargets(dir, [SECRETS_FILE]); // never read through a symlink either
    const existing = await readSecrets(io, secretsFile ?? join(dir, SECRETS_FILE), secretsFile !== undefined);
    const secrets = generateMissingSecrets(existing, requiredSecrets(plan), (n) => randomBytes(n));
    const ctx = createRenderContext({
      dc,
      sites: new Map(input.sites.map((s) => [s.metadata.name ?? '', s])),
      plan,
      secrets,
    });
    const files = renderPlan(ctx);

    // Every target is checked before the first write: a refusal leaves DIR as it was.
    await checkTargets(dir, [...files.map((f) => f.path), SECRETS_FILE, MANIFEST_FILE]);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const previous = await readManifest(dir);
    const written = new Set<string>();
    for (const f of files) {
      const header = `${HEADER} for DistributedCloud ${cloudName(dc)}${f.unit ? `, unit ${f.unit}` : ''}. Do not edit.\n`;
      const holdsSecret = f.objects.some((o) => o.kind === 'Secret');
      await writeInside(dir, f.path, header + toYaml(f.objects), holdsSecret ? 0o600 : 0o644);
      written.add(f.path);
    }
    if (secretsFile === undefined) {
      await writeInside(dir, SECRETS_FILE, secretsYaml(secrets), 0o600);
      written.add(SECRETS_FILE);
    } else if (JSON.stringify(sortKeysDeep(secrets)) !== JSON.stringify(sortKeysDeep(existing))) {
      await writeFileMode(secretsFile, secretsYaml(secrets), 0o600, { followSymlink: true });
    }
    const removed = await removeStale(dir, previous, written);
    await writeInside(dir, MANIFEST_FILE, manifestText(cloudName(dc), written), 0o644);
    io.stdout(
      `rendered ${cloudName(dc)}: ${files.length} files, ${files.reduce((n, f) => n + f.objects.length, 0)} objects, ` +
        `${plan.sites.length} sites into ${dir}${removed ? ` (${removed} stale files removed)` : ''}\n`,
    );
    return 0;
  },
};

/** Serialises generated secrets with sorted keys (stable bytes). */
export function secretsYaml(secrets: GeneratedSecrets): string {
  return `# Generated credentials of \`discovery render\` (secret -> key -> value). Keep private; reused on every render.\n${yaml.dump(sortKeysDeep(secrets), { sortKeys: true, lineWidth: -1 })}`;
}

async function readSecrets(io: CliIO, path: string, required: boolean): Promise<GeneratedSecrets> {
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (err) {
    if (required) throw new InputError(`${path}: cannot read: ${(err as Error).message}`);
    return {};
  }
  const doc = yaml.load(text) as unknown;
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new InputError(`${path}: expected a map secret -> key -> value`);
  const out: GeneratedSecrets = {};
  for (const [name, values] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      throw new InputError(`${path}: ${name}: expected a map key -> value`);
    }
    out[name] = Object.fromEntries(Object.entries(values as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
  return out;
}

const HEADER = '# Generated by `discovery render`';
const MANAGEMENT_DIR = 'management';
const SECRETS_FILE = 'secrets.yaml';
const MANIFEST_FILE = '.discovery-render';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A path render may write or remove: `file` or `dir/file`, plain names only (no `..`, no absolute path). */
const SAFE_RELATIVE = /^([A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9.][A-Za-z0-9._-]*$/;

/** Names become directory names and YAML comments: only Kubernetes names keep every file inside -o. */
function checkName(what: string, value: string | undefined, pattern: RegExp): void {
  if (value !== undefined && pattern.test(value) && !value.includes('..')) return;
  const shown = JSON.stringify(value ?? '').slice(0, 80);
  throw new InputError(
    `${what} ${shown} is not a valid Kubernetes name (DNS-1123: lowercase letters, digits, '-', '.'); ` +
      'refusing to render it (it would name files outside -o or break the YAML)',
  );
}

function isSafeRelative(path: string): boolean {
  return SAFE_RELATIVE.test(path) && !path.split('/').some((part) => part === '.' || part === '..');
}

/**
 * Writes content to path with exactly mode (also when the file existed with another mode). Unless followSymlink,
 * a symbolic link at path is refused (O_NOFOLLOW), never written through.
 */
async function writeFileMode(
  path: string,
  content: string,
  mode: number,
  { followSymlink = false }: { followSymlink?: boolean } = {},
): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (followSymlink ? 0 : constants.O_NOFOLLOW);
  let handle;
  try {
    handle = await open(path, flags, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      throw new InputError(`${path} is a symbolic link: refusing to write through it`);
    throw error;
  }
  try {
    await handle.chmod(mode);
    await handle.writeFile(content, 'utf8');
  } finally {
    await handle.close();
  }
}

async function lstatIfAny(path: string) {
  return lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/**
 * Refuses targets render must not write: not a plain relative path, a site directory that is a symlink or not a
 * directory, a file that is a symlink or not a regular file.
 */
async function checkTargets(dir: string, rels: string[]): Promise<void> {
  for (const rel of rels) {
    if (!isSafeRelative(rel)) throw new InputError(`refusing to write ${JSON.stringify(rel)}: not a plain path in -o`);
    const sub = dirname(rel);
    const parent = sub === '.' ? undefined : await lstatIfAny(join(dir, sub));
    if (parent && (parent.isSymbolicLink() || !parent.isDirectory()))
      throw new InputError(
        `${join(dir, sub)} is ${parent.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: refusing to write into it`,
      );
    const file = await lstatIfAny(join(dir, rel));
    if (file && !file.isFile())
      throw new InputError(
        `${join(dir, rel)} is ${file.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}: refusing to write it`,
      );
  }
}

/** Writes DIR/rel (rel = `file` or `site/file`), creating the site directory; refuses any symlink on the way. */
async function writeInside(dir: string, rel: string, content: string, mode: number): Promise<void> {
  await checkTargets(dir, [rel]);
  const sub = dirname(rel);
  if (sub !== '.' && !(await lstatIfAny(join(dir, sub)))) await mkdir(join(dir, sub), { mode: 0o700 });
  await writeFileMode(join(dir, rel), content, mode);
}

function manifestText(cloud: string, written: Set<string>): string {
  return `${JSON.stringify({ generatedBy: 'discovery render', distributedCloud: cloud, files: [...written].sort() }, null, 2)}\n`;
}

/** Files a previous render recorded as its own (invalid entries ignored); none when there is no manifest. */
async function readManifest(dir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return [];
  }
  try {
    const files = (JSON.parse(text) as { files?: unknown }).files;
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string' && isSafeRelative(f)) : [];
  } catch {
    return [];
  }
}

/**
 * Removes the files a previous render wrote that this one did not: only regular files (not symlinks) that still carry
 * our header, and their site directory once empty. Nothing else in DIR is looked at.
 */
async function removeStale(dir: string, previous: string[], written: Set<string>): Promise<number> {
  let removed = 0;
  for (const rel of previous) {
    if (written.has(rel) || rel === SECRETS_FILE || rel === MANIFEST_FILE) continue;
    const path = join(dir, rel);
    const sub = dirname(rel);
    const parent = sub === '.' ? undefined : await lstatIfAny(join(dir, sub));
    if (parent && (parent.isSymbolicLink() || !parent.isDirectory())) continue;
    const stat = await lstatIfAny(path);
    if (!stat?.isFile()) continue;
    const head = (await readFile(path, 'utf8')).slice(0, HEADER.length);
    if (head !== HEADER) continue; // edited into something else: not ours any more
    await rm(path);
    removed++;
    if (sub !== '.') await rmdir(join(dir, sub)).catch(() => undefined); // only if now empty
  }
  return removed;
}
