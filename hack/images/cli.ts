// `npm run images`: builds, offline, every image the local fleet's real nodes run (see --help and docs/images.md).
import { parseArgs } from 'node:util';
import { buildImages } from './build.js';
import { buildGuest, GUEST_GROUP, GUEST_NAME } from './guest.js';
import { installSignalHandlers } from './host.js';
import { imagesCacheDir } from './manifest.js';
import { DEFAULT_GROUP, imageGroup, imageSpecs, OPTIONAL_GROUPS } from './specs.js';

function help(): string {
  const specs = imageSpecs();
  const width = Math.max(...specs.map((s) => s.name.length));
  const list = (group: string) =>
    specs
      .filter((s) => imageGroup(s) === group)
      .map((s) => `  ${s.name.padEnd(width)}  ${s.use === 'node' ? 'node ' : 'build'}  ${s.summary}`)
      .join('\n');
  const groups = OPTIONAL_GROUPS.map((g) => `\nGroup "${g}" (opt-in: --group ${g}):\n${list(g)}`).join('\n');
  const guest = `  ${GUEST_NAME.padEnd(width)}  files  Debian's cloud kernel + a busybox initramfs + a 1 MiB raw disk, for Glance (AMI style)`;
  return `Usage: npm run images [-- options]

Builds the images of the local fleet's real nodes from Debian packages, the npm registry and Go modules only (no
image registry): a Debian ${specs[0]!.version} base from debootstrap, then Dockerfiles on it, with a private dockerd
(Debian's docker.io, started for the build and removed after it; installed with apt when missing). Each image is
cached by the hash of its inputs: a warm run rebuilds nothing and starts no daemon.

Images of the default set, what a plain run builds ("node": imported into the nodes' containerd; "build": base
images only):
${list(DEFAULT_GROUP)}
${groups}

Group "${GUEST_GROUP}" (opt-in: --group ${GUEST_GROUP}; files in CACHE/guest/, described by CACHE/guest.json; no root needed):
${guest}

Options:
  --only NAME    build NAME (and the bases it needs, if stale); repeatable or comma-separated
  --group NAME   build the images of group NAME (${[...OPTIONAL_GROUPS, GUEST_GROUP].join(', ')}, or ${DEFAULT_GROUP}) and the bases they
                 need; repeatable or comma-separated; combines with --only. Without --only/--group: the default set
  --rebuild      rebuild the selected images (with --only/--group: only those named, not their bases) even if cached
  --verbose      print build output live (it always goes to CACHE/logs/<image>.log)
  -h, --help     show this help

Cache: ${imagesCacheDir()}  (env DISCOVERY_IMAGES_CACHE, else \${XDG_CACHE_HOME:-~/.cache}/discovery-images)
  manifest.json         [{ name, ref, archive, key, version, tag, use, bytes, builtAt, buildSeconds }]
  archives/<name>-<tag>.tar  docker-save archives: ctr -n k8s.io images import FILE, or docker load -i FILE
Refs: localhost/discovery/<name>:<version>-<key12> (use imagePullPolicy IfNotPresent or Never).
Env: DISCOVERY_DEBIAN_MIRROR (default http://deb.debian.org/debian), DISCOVERY_DEBIAN_SECURITY_MIRROR.
TS API for other scripts: hack/images/manifest.ts (readImageManifest, imageRef, nodeImages).`;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', multiple: true },
      group: { type: 'string', multiple: true },
      rebuild: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(help());
    return 0;
  }
  installSignalHandlers();
  const list = (v: string[] | undefined) =>
    (v ?? [])
      .flatMap((x) => x.split(','))
      .map((x) => x.trim())
      .filter(Boolean);
  const only = list(values.only);
  const groups = list(values.group);
  // The guest is files, not images: its own builder. `--group guest` alone builds nothing else.
  const guest = groups.includes(GUEST_GROUP);
  const imageGroups = groups.filter((g) => g !== GUEST_GROUP);
  if (!guest || only.length || imageGroups.length)
    await buildImages({
      cacheDir: imagesCacheDir(),
      only,
      groups: imageGroups,
      rebuild: values.rebuild,
      verbose: values.verbose,
    });
  if (guest) await buildGuest({ cacheDir: imagesCacheDir(), rebuild: values.rebuild, verbose: values.verbose });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
