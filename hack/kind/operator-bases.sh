#!/usr/bin/env bash
# Stand-ins for the operator Dockerfile's two base images, made here for a Docker engine that cannot pull (this
# project's VMs): Debian 12 (the toolbox root filesystem of hack/kind/node-image.sh) with the project's pinned Node
# binary (the `node` npm package), plus the host's npm CLI and CA bundle for the build stages, or the user nonroot
# (65532) and Node at the distroless path for the runtime stage. Tagged with the names the Dockerfile uses, in that
# engine only. Then: DOCKER_BUILDKIT=0 docker build --network host -t <image> .   (see docs/install.md)
# Needs: a Docker engine (DOCKER_HOST), node_modules (npm ci), npm on PATH, hack/kind/node-image.sh run once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DKIND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/discovery-kind}
node_major=24
build_image=node:$node_major-bookworm-slim
runtime_image=gcr.io/distroless/nodejs$node_major-debian12:nonroot

log() { printf '[operator-bases] %s\n' "$*" >&2; }

node_bin=$(readlink -f "$repo/node_modules/node/bin/node")
[ -x "$node_bin" ] || { echo "error: $repo/node_modules/node/bin/node missing (run npm ci)" >&2; exit 1; }
version=$("$node_bin" --version)
[ "${version%%.*}" = "v$node_major" ] || { echo "error: node_modules has Node $version, the Dockerfile wants $node_major" >&2; exit 1; }
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
[ -f "$npm_dir/bin/npm-cli.js" ] || { echo "error: cannot find the npm CLI next to $(command -v npm)" >&2; exit 1; }
rootfs=$(find "$cache/rootfs" -name 'toolbox-bookworm-*.tar' 2>/dev/null | head -n 1)
[ -n "$rootfs" ] || { echo "error: no Debian root filesystem in $cache/rootfs (run hack/kind/node-image.sh first)" >&2; exit 1; }

# Unchanged inputs, images still there: keep them (a new image id would void Docker's build cache, npm ci included).
key=$({ sha256sum "$node_bin" "$rootfs"; cat "$0"; npm --version; } | sha256sum | cut -c1-16)
if [ "$(cat "$cache/operator-bases.key" 2>/dev/null)" = "$key" ] &&
  docker image inspect "$build_image" "$runtime_image" >/dev/null 2>&1; then
  log "cached: $build_image and $runtime_image"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log "$build_image: Debian 12 + Node $version + npm $(npm --version)"
mkdir -p "$work/build" && tar -C "$work/build" -xf "$rootfs"
install -m 0755 "$node_bin" "$work/build/usr/local/bin/node"
mkdir -p "$work/build/usr/local/lib/node_modules" && cp -R "$npm_dir" "$work/build/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/build/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/build/usr/local/bin/npx"
# The host's CA bundle: npm ci reaches the registry the way the host does (including through a TLS-inspecting proxy).
cp /etc/ssl/certs/ca-certificates.crt "$work/build/etc/ssl/certs/ca-certificates.crt"
tar -C "$work/build" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["node"]' - "$build_image" >/dev/null
rm -rf "$work/build"

log "$runtime_image: Debian 12 + Node $version at /nodejs/bin/node, user 65532"
mkdir -p "$work/run" && tar -C "$work/run" -xf "$rootfs"
install -D -m 0755 "$node_bin" "$work/run/nodejs/bin/node"
echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin' >>"$work/run/etc/passwd"
echo 'nonroot:x:65532:' >>"$work/run/etc/group"
install -d -m 0700 -o 65532 -g 65532 "$work/run/home/nonroot"
tar -C "$work/run" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'USER 65532:65532' \
  --change 'WORKDIR /home/nonroot' --change 'ENTRYPOINT ["/nodejs/bin/node"]' - "$runtime_image" >/dev/null
echo "$key" >"$cache/operator-bases.key"
log "tagged $build_image and $runtime_image"
