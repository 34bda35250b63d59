// `npm run images`: builds, offline, every image the local fleet's real nodes run (see --help and docs/images.md).
import { parseArgs } from 'node:util';
import { buildImages } from './build.js';
import { installSignalHandlers } from './host.js';
import { imagesCacheDir } from './manifest.js';
import { imageSpecs } from './specs.js';

function help(): string {
  const specs = imageSpecs();
  const width = Math.max(...specs.map((s) => s.name.length));
  const list = specs
    .map((s) => `  ${s.name.padEnd(width)}  ${s.use === 'node' ? 'node ' : 'build'}  ${s.summary}`)
    .join('\n');
  return `Usage: npm run images [-- options]

Builds the images of the local fleet's real nodes from Debian packages, the npm registry and Go modules only (no
image registry): a Debian ${specs[0]!.version} base from debootstrap, then Dockerfiles on it, with a private dockerd
(Debian's docker.io, started for the build and removed after it; installed with apt when missing). Each image is
cached by the hash of its inputs: a warm run rebuilds nothing and starts no daemon.

Images ("node": imported into the nodes' containerd; "build": base images only):
${list}

Options:
  --only NAME    build NAME (and the bases it needs, if stale); repeatable or comma-separated
  --rebuild      rebuild the selected images (with --only: only those) even if cached
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
  const only = (values.only ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  await buildImages({ cacheDir: imagesCacheDir(), only, rebuild: values.rebuild, verbose: values.verbose });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
