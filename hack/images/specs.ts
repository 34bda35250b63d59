// What `npm run images` builds: each image's version, base images, recipe and the inputs its cache key covers. The
// default set is what the local fleet's nodes run; opt-in groups (OpenStack's images) are built with `--group`.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  canPruneDir,
  copySources,
  fileDigest,
  isCopied,
  isIgnored,
  linkDigest,
  mayHoldCopied,
  parseDockerignore,
  sha256,
} from './keys.js';
import { run, which } from './host.js';

/** The Debian release every image builds on (Debian 13 carries the OpenStack 2025.1 packages). */
export const DEBIAN_SUITE = 'trixie';
/** npm CLI of the Node build base: the version this repository's lockfile is written with. */
export const NPM_VERSION = '11.19.1';

const HERE = path.dirname(new URL(import.meta.url).pathname);
export const REPO_ROOT = path.resolve(HERE, '../..');

// ---- build contexts ----

interface Entry {
  dest: string;
  digest: string;
  write(contextDir: string, logFile: string): Promise<void>;
}

const digestMemo = new Map<string, string>();

/**
 * Content digest of a file on this machine. Big files (the 120 MB Node binary, hashed for two images) are memoised
 * per path, size and times within a run; small ones are always read, so an edit is never missed.
 */
export function digestOfFile(file: string): string {
  const st = statSync(file);
  if (st.size < 1 << 20) return fileDigest(readFileSync(file), (st.mode & 0o111) !== 0);
  const memo = `${file}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  let digest = digestMemo.get(memo);
  if (!digest) {
    digest = fileDigest(readFileSync(file), (st.mode & 0o111) !== 0);
    digestMemo.set(memo, digest);
  }
  return digest;
}

/** A context assembled from files and generated parts in ${cache}/work/<image>/context. */
export class AssembledContext {
  readonly kind = 'assembled';
  readonly entries: Entry[] = [];

  /** A copy of a file of this machine, keyed by its content. */
  file(dest: string, from: string): this {
    this.entries.push({
      dest,
      digest: digestOfFile(from),
      write: async (dir) => copyFileSync(from, path.join(dir, dest)),
    });
    return this;
  }

  /** A file or directory made by `make` (a compiler, `npm pack`), keyed by the inputs that determine it. */
  generated(dest: string, inputs: Record<string, string>, make: (out: string, logFile: string) => Promise<void>): this {
    this.entries.push({
      dest,
      digest: `g${sha256(JSON.stringify(Object.entries(inputs).sort()))}`,
      write: (dir, log) => make(path.join(dir, dest), log),
    });
    return this;
  }

  digests(): Record<string, string> {
    return Object.fromEntries(this.entries.map((e) => [e.dest, e.digest]));
  }

  async materialize(dir: string, logFile: string): Promise<void> {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const e of this.entries) await e.write(dir, logFile);
  }
}

/** A directory sent as it is (the repository for the operator's Dockerfile), filtered by its .dockerignore. */
export class DirContext {
  readonly kind = 'dir';
  constructor(
    readonly dir: string,
    readonly dockerfile: string,
  ) {}

  /**
   * Digests of the files the build can read: sent by Docker (not in .dockerignore) and named by a COPY/ADD of the
   * Dockerfile (all sent files when that cannot be told), plus the Dockerfile and .dockerignore themselves. A README
   * edit does not rebuild the operator; a source edit does.
   */
  digests(): Record<string, string> {
    const ignoreFile = path.join(this.dir, '.dockerignore');
    const patterns = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
    const sources = copySources(readFileSync(this.dockerfile, 'utf8'));
    const out: Record<string, string> = { '@Dockerfile': digestOfFile(this.dockerfile) };
    if (existsSync(ignoreFile)) out['@.dockerignore'] = digestOfFile(ignoreFile);
    const walk = (rel: string) => {
      for (const entry of readdirSync(path.join(this.dir, rel), { withFileTypes: true })) {
        const relPath = rel ? `${rel}/${entry.name}` : entry.name;
        const abs = path.join(this.dir, relPath);
        if (entry.isDirectory()) {
          if (!canPruneDir(patterns, relPath) && mayHoldCopied(sources, relPath)) walk(relPath);
        } else if (!isIgnored(patterns, relPath) && isCopied(sources, relPath)) {
          out[relPath] = entry.isSymbolicLink() ? linkDigest(readlinkSync(abs)) : digestOfFile(abs);
        }
      }
    };
    walk('');
    return out;
  }
}

export type Context = AssembledContext | DirContext;

// ---- specs ----

export interface DebootstrapRecipe {
  type: 'debootstrap';
  suite: string;
  variant: string;
  mirror: string;
  securityMirror: string;
  /** Script run inside the fresh tree (chroot) to make it an image base. */
  finalize: string;
  /** Image config, as `docker import --change` instructions. */
  changes: string[];
}

/** One layer made of the given files (no Dockerfile): for files whose capabilities COPY would drop. */
export interface ImportRecipe {
  type: 'import';
  context: () => AssembledContext;
  /** Image config, as `docker import --change` instructions (USER, ENTRYPOINT, EXPOSE, ...). */
  changes: string[];
}

export interface DockerfileRecipe {
  type: 'dockerfile';
  dockerfile: string;
  /** Built lazily, after prepare(): hashing needs the files to exist. */
  context: () => Context;
}

/** Opt-in groups of images: a plain `npm run images` builds none of them, `--group NAME` builds one. */
export const OPTIONAL_GROUPS = ['openstack'] as const;
export type OptionalGroup = (typeof OPTIONAL_GROUPS)[number];
/** The group a plain `npm run images` builds: every image without a `group`. */
export const DEFAULT_GROUP = 'default';

export interface ImageSpec {
  name: string;
  version: string;
  use: 'node' | 'build';
  summary: string;
  /** Opt-in group (built with `--group`, or by name with `--only`); absent: the default set. */
  group?: OptionalGroup;
  /** Build-arg name -> name of the base image whose ref it receives. */
  bases: Record<string, string>;
  /** Scalar inputs of the key beyond the context files (tool versions, suite, flags). */
  params: () => Promise<Record<string, string>>;
  /** Work that must happen before the key can be computed (e.g. linking the CoreDNS binary). */
  prepare?: (logFile: string) => Promise<void>;
  recipe: DebootstrapRecipe | DockerfileRecipe | ImportRecipe;
}

function nodeBinary(): { file: string; version: string } {
  const pkg = `node-${process.platform}-${process.arch}`;
  const want = (
    JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  ).dependencies.node;
  for (const dir of [
    path.join(REPO_ROOT, 'node_modules/node/node_modules', pkg),
    path.join(REPO_ROOT, 'node_modules', pkg),
  ]) {
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    if (want && version !== want)
      throw new Error(
        `${dir} is Node ${version}, package.json pins ${want}: run \`source hack/lib.sh && ensure_node_modules\``,
      );
    return { file: path.join(dir, 'bin', 'node'), version };
  }
  throw new Error(`the Node binary package ${pkg} is not installed: run \`source hack/lib.sh && ensure_node_modules\``);
}

/** The CA bundle this machine trusts (it may include a TLS-intercepting proxy's CA the npm registry is reached through). */
function hostCaBundle(): string {
  for (const f of [process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE, '/etc/ssl/certs/ca-certificates.crt'])
    if (f && existsSync(f)) return f;
  return '';
}

function toolVersion(family: string): string {
  const env = readFileSync(path.join(REPO_ROOT, 'hack/tools/versions.env'), 'utf8');
  const m = new RegExp(`^${family}=(\\S+)`, 'm').exec(env);
  if (!m) throw new Error(`hack/tools/versions.env has no ${family}`);
  return m[1]!;
}

async function goVersion(): Promise<string> {
  return (await run('go', ['env', 'GOVERSION'])).trim();
}

async function debootstrapVersion(): Promise<string> {
  return (await run('dpkg-query', ['-W', '-f=${Version}', 'debootstrap']).catch(() => 'unknown')).trim();
}

/**
 * A Dockerfile in hack/images/<name>/ (the shape later images, OpenStack's included, take): its context is that
 * Dockerfile plus what `add` puts in; base images arrive as build arguments (BASE_IMAGE=<ref of the Debian base>).
 */
export function localDockerfile(
  name: string,
  add: (ctx: AssembledContext) => AssembledContext = (c) => c,
): DockerfileRecipe {
  const dockerfile = path.join(HERE, name, 'Dockerfile');
  return { type: 'dockerfile', dockerfile, context: () => add(new AssembledContext().file('Dockerfile', dockerfile)) };
}

const PAUSE_LDFLAGS = '-s -w';
const COREDNS_FILECAPS = 'cap_net_bind_service=+ep';

interface ToolImage {
  name: string;
  /** hack/tools family that builds the binary (linked into .tools/bin/<name>). */
  family: string;
  /** Its version variable in hack/tools/versions.env; the tag's version is that without the `v`. */
  versionVar: string;
  summary: string;
  /** Path of the binary inside the image. */
  dest: string;
  /** File capabilities given to the image's copy of the binary. */
  filecaps?: string;
  /** Image config, as `docker import --change` instructions. */
  changes: string[];
}

/**
 * A Go binary from the tools cache alone in one layer, imported rather than built from a Dockerfile: the classic
 * builder's COPY drops file capabilities, tar --xattrs keeps them.
 */
function toolImage(t: ToolImage): ImageSpec {
  return {
    name: t.name,
    version: toolVersion(t.versionVar).replace(/^v/, ''),
    use: 'node',
    summary: t.summary,
    bases: {},
    params: async () => ({}),
    prepare: (log) =>
      run('bash', [path.join(REPO_ROOT, 'hack/tools/build.sh'), t.family], { logFile: log }).then(() => {}),
    recipe: {
      type: 'import',
      context: () => {
        const bin = realpathSync(path.join(REPO_ROOT, '.tools/bin', t.name));
        const inputs: Record<string, string> = { binary: digestOfFile(bin) };
        if (t.filecaps) inputs.filecaps = t.filecaps;
        return new AssembledContext().generated(t.dest, inputs, async (out, log) => {
          mkdirSync(path.dirname(out), { recursive: true });
          // A copy gets the file capability; the tools cache's binary stays as built.
          copyFileSync(bin, out);
          if (t.filecaps) await run('setcap', [t.filecaps, out], { logFile: log });
        });
      },
      changes: t.changes,
    },
  };
}

/** The group of an image: its opt-in group, else the default set. */
export function imageGroup(spec: ImageSpec): string {
  return spec.group ?? DEFAULT_GROUP;
}

/** Every image, bases before the images built on them: the default set, then the opt-in groups. */
export function imageSpecs(): ImageSpec[] {
  return [...defaultSpecs(), ...openstackSpecs()];
}

/** OpenStack release of the Debian suite's packages (Debian 13 "trixie" carries 2025.1). */
export const OPENSTACK_RELEASE = '2025.1';
/** Tag prefix of the OpenStack images, in Kolla's shape (`2025.1-ubuntu-noble` there). */
export const OPENSTACK_VERSION = `${OPENSTACK_RELEASE}-debian-${DEBIAN_SUITE}`;

/**
 * The OpenStack images (opt-in group `openstack`), named as Kolla names them so that a registry prefix and tag switch
 * maps the renderers' `quay.io/openstack.kolla/<name>` images 1:1: Debian trixie's packages on `openstack-base`
 * (Kolla's uids, kolla_start, the oslo libraries), recipes in hack/images/openstack/<name>/.
 */
function openstackSpecs(): ImageSpec[] {
  const dir = path.join(HERE, 'openstack');
  const image = (
    name: string,
    summary: string,
    opts: { base?: string; use?: 'node' | 'build'; files?: string[] } = {},
  ): ImageSpec => ({
    name,
    version: OPENSTACK_VERSION,
    use: opts.use ?? 'node',
    group: 'openstack',
    summary,
    bases: { BASE_IMAGE: opts.base ?? 'openstack-base' },
    params: async () => ({}),
    recipe: localDockerfile(`openstack/${name}`, (ctx) => {
      for (const f of opts.files ?? []) ctx.file(f, path.join(dir, name, f));
      return ctx;
    }),
  });
  return [
    image(
      'openstack-base',
      'Kolla uids, kolla_start/kolla_set_configs (sudo-less), Python + oslo libraries: base of the images below',
      {
        base: 'debian',
        use: 'build',
        files: ['kolla-users', 'apt-install', 'kolla_start', 'kolla_set_configs'],
      },
    ),
    image(
      'kolla-toolbox',
      'openstack CLI (python3-openstackclient, osc-placement), openstacksdk, mariadb client; 42401',
    ),
    image('mariadb-server', 'MariaDB 11.8 + galera-4 + mariadb-backup; initialises an empty datadir; uid mysql 42434', {
      files: ['kolla_extend_start'],
    }),
    image('rabbitmq', 'RabbitMQ 4.0; uid rabbitmq 42439'),
    image('memcached', 'memcached; uid memcache 42457'),
    image('keystone', 'Keystone 27 + Apache/mod_wsgi; uid keystone 42425'),
    image('glance-api', 'Glance 30 (glance-api, file store); uid glance 42415'),
    image('placement-api', 'Placement 13 + Apache/mod_wsgi; uid placement 42482'),
    image('nova-base', 'Nova 31 (nova-common): base of the nova-* images; uid nova 42436', { use: 'build' }),
    image('nova-api', 'nova-api (osapi_compute + metadata)', { base: 'nova-base' }),
    image('nova-conductor', 'nova-conductor', { base: 'nova-base' }),
    image('nova-scheduler', 'nova-scheduler', { base: 'nova-base' }),
    image('nova-compute', 'nova-compute, libvirt driver, x86 QEMU (nova-compute-kvm)', { base: 'nova-base' }),
    image('nova-libvirt', 'libvirtd + QEMU (x86) for nova-compute; root'),
    image('neutron-server', 'neutron-server (ML2); uid neutron 42435'),
  ];
}

function defaultSpecs(): ImageSpec[] {
  const dir = (name: string) => path.join(HERE, name);
  const mirror = process.env.DISCOVERY_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
  const node = () => nodeBinary();
  const pauseVersion =
    /const version = "([^"]+)"/.exec(readFileSync(path.join(dir('pause'), 'main.go'), 'utf8'))?.[1] ?? '0';
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const none = async () => ({});

  return [
    {
      name: 'debian',
      version: DEBIAN_SUITE,
      use: 'build',
      summary: `Debian ${DEBIAN_SUITE} (debootstrap --variant=minbase), the shared base layer of every image below`,
      bases: {},
      params: async () => ({ debootstrap: await debootstrapVersion() }),
      recipe: {
        type: 'debootstrap',
        suite: DEBIAN_SUITE,
        variant: 'minbase',
        mirror,
        securityMirror: process.env.DISCOVERY_DEBIAN_SECURITY_MIRROR ?? `${mirror}-security`,
        finalize: path.join(dir('debian'), 'finalize.sh'),
        changes: [
          'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          'ENV LANG=C.UTF-8',
          'CMD ["bash"]',
        ],
      },
    },
    {
      name: 'node-build',
      version: nodeBinary().version,
      use: 'build',
      summary: 'Node 24 + npm on the Debian base: stands in for node:24-bookworm-slim in the operator build',
      bases: { BASE_IMAGE: 'debian' },
      params: none,
      recipe: localDockerfile('node-build', (ctx) => {
        ctx.file('node', node().file);
        const ca = hostCaBundle();
        if (ca) ctx.file('host-ca.crt', ca);
        else ctx.generated('host-ca.crt', { none: '' }, async (out) => copyFileSync('/dev/null', out));
        return ctx.generated('npm', { npm: NPM_VERSION }, (out, log) => npmPackage(NPM_VERSION, out, log));
      }),
    },
    {
      name: 'node-runtime',
      version: nodeBinary().version,
      use: 'build',
      summary:
        'Node 24 at /nodejs/bin/node, user nonroot (65532): stands in for distroless nodejs24 in the operator build',
      bases: { BASE_IMAGE: 'debian' },
      params: none,
      recipe: localDockerfile('node-runtime', (ctx) => ctx.file('node', node().file)),
    },
    {
      name: 'toolbox',
      version: DEBIAN_SUITE,
      use: 'node',
      summary: "test pods: a shell and Debian's busybox-static (httpd, wget, nc, nslookup) on the Debian base",
      bases: { BASE_IMAGE: 'debian' },
      params: none,
      recipe: localDockerfile('toolbox'),
    },
    {
      name: 'pause',
      version: pauseVersion,
      use: 'node',
      summary: 'pod sandbox: a static Go program (hack/images/pause) that sleeps, reaps orphans and exits on SIGTERM',
      bases: {},
      params: async () => ({ go: await goVersion(), ldflags: PAUSE_LDFLAGS }),
      recipe: localDockerfile('pause', (ctx) => {
        const src = ['main.go', 'go.mod'];
        const inputs = Object.fromEntries(src.map((f) => [f, digestOfFile(path.join(dir('pause'), f))]));
        return ctx.generated('pause', inputs, (out, log) => goBuild(dir('pause'), out, log));
      }),
    },
    toolImage({
      name: 'coredns',
      family: 'coredns',
      versionVar: 'COREDNS_VERSION',
      summary: 'cluster DNS: CoreDNS from its Go module (hack/tools), non-root with cap_net_bind_service',
      dest: 'coredns',
      filecaps: COREDNS_FILECAPS,
      changes: ['USER 65532:65532', 'EXPOSE 53 53/udp', 'ENTRYPOINT ["/coredns"]'],
    }),
    toolImage({
      name: 'local-path-provisioner',
      family: 'local-path-provisioner',
      versionVar: 'LOCAL_PATH_PROVISIONER_VERSION',
      summary: "PersistentVolumes in a node's directories: rancher's local-path-provisioner from its Go module",
      dest: 'usr/local/bin/local-path-provisioner',
      changes: [
        'ENV PATH=/usr/local/bin:/usr/bin:/bin',
        'USER 65532:65532',
        'ENTRYPOINT ["/usr/local/bin/local-path-provisioner"]',
      ],
    }),
    {
      name: 'discovery-operator',
      version: pkg.version,
      use: 'node',
      summary: "the operator, from the repository's Dockerfile on the two Node bases above",
      bases: { BUILD_IMAGE: 'node-build', RUNTIME_IMAGE: 'node-runtime' },
      params: none,
      recipe: {
        type: 'dockerfile',
        dockerfile: path.join(REPO_ROOT, 'Dockerfile'),
        context: () => new DirContext(REPO_ROOT, path.join(REPO_ROOT, 'Dockerfile')),
      },
    },
  ];
}

/** `npm pack npm@VERSION` (through npm and its cache), unpacked to `out`. */
async function npmPackage(version: string, out: string, logFile: string): Promise<void> {
  const tmp = path.join(path.dirname(out), '.npm-pack');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await run('npm', ['pack', `npm@${version}`, '--pack-destination', tmp, '--silent'], { logFile, cwd: tmp });
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack npm@${version} produced no tarball`);
  mkdirSync(out, { recursive: true });
  await run('tar', ['-xzf', path.join(tmp, tgz), '-C', out, '--strip-components=1', '--no-same-owner'], { logFile });
  rmSync(tmp, { recursive: true, force: true });
}

/** The pause binary: static (CGO_ENABLED=0), trimmed paths, with the local Go toolchain. */
async function goBuild(srcDir: string, out: string, logFile: string): Promise<void> {
  const env = {
    ...process.env,
    CGO_ENABLED: '0',
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-buildvcs=false -mod=readonly',
    GOCACHE: process.env.GOCACHE ?? path.join(os.homedir(), '.cache', 'go-build'),
  };
  await run('go', ['build', '-trimpath', `-ldflags=${PAUSE_LDFLAGS}`, '-o', out, '.'], { cwd: srcDir, env, logFile });
  if (!which('file')) return;
  const kind = await run('file', [out]);
  if (!/statically linked/.test(kind)) throw new Error(`pause is not static: ${kind.trim()}`);
}

/** Checks the specs' structure: unique names, bases declared before use. */
export function checkSpecs(specs: ImageSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new Error(`image '${s.name}' defined twice`);
    for (const [arg, base] of Object.entries(s.bases))
      if (!seen.has(base)) throw new Error(`image '${s.name}': base '${base}' (${arg}) must be defined before it`);
    seen.add(s.name);
  }
}
