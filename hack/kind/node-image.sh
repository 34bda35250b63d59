#!/usr/bin/env bash
# Builds a kind node image here, from the project's own parts and no registry: a Debian root filesystem (debootstrap)
# with systemd, runc and CNI plugins (Debian), containerd, kubelet, kubeadm and kubectl (Go modules, hack/tools), and the
# images kubeadm and kind start preloaded in the node's containerd (control plane, etcd, CoreDNS, pause, pod network
# agent, local-path provisioner), all built from the same binaries.
# Usage: hack/kind/node-image.sh            prints the image name (also in $cache/node-image) on its last line
# Needs: root (debootstrap), go, debootstrap, a Docker engine (DOCKER_HOST; on machines without one: hack/kind/docker.sh)
# Env:   DKIND_CACHE (default ~/.cache/discovery-kind), DEBIAN_MIRROR (default http://deb.debian.org/debian)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=hack/tools/versions.env
source "$repo/hack/tools/versions.env"
cache=${DKIND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/discovery-kind}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Debian 12: its systemd (252) still boots on cgroup v1 hosts; Debian 13's (257) refuses them.
suite=bookworm
bin=$repo/.tools/bin
start=$SECONDS

log() { printf '[node-image %3ds] %s\n' "$((SECONDS - start))" "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "error: run as root (debootstrap and chroot need it)" >&2; exit 1; }
for c in debootstrap docker go; do
  command -v "$c" >/dev/null || { echo "error: $c not found" >&2; exit 1; }
done
docker version >/dev/null || { echo "error: no Docker engine answers (set DOCKER_HOST, or run hack/kind/docker.sh start)" >&2; exit 1; }

# Image names kubeadm v1.37 looks up; etcd and CoreDNS carry the versions pinned in versions.env (up.sh tells kubeadm
# these tags with a ClusterConfiguration patch, since its own defaults name other releases).
k8s=$KUBERNETES_VERSION
etcd_tag=${ETCD_VERSION#v}-0
pause_image=registry.k8s.io/pause:3.10.2
toolbox_image=discovery.local/kind/toolbox:$k8s
provisioner_image=discovery.local/kind/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION

node_pkgs=systemd,dbus,iptables,nftables,iproute2,conntrack,ethtool,socat,util-linux,mount,kmod,procps,ca-certificates,libseccomp2,runc,containernetworking-plugins
toolbox_pkgs=iptables,nftables,iproute2,conntrack,curl,jq,ca-certificates

log "linking the Go-built tools (hack/tools/build.sh)"
bash "$repo/hack/tools/build.sh" kubernetes kubernetes-node kubeadm containerd coredns local-path-provisioner etcd >&2

# The cache key covers the recipe (this script and hack/kind/node, pause/), the packages and the tool binaries.
key=$({
  cat "$0" "$here"/node/* "$here"/pause/*
  echo "$suite $node_pkgs $toolbox_pkgs"
  for b in containerd containerd-shim-runc-v2 ctr kubelet kubeadm kubectl kube-apiserver kube-controller-manager \
    kube-scheduler kube-proxy etcd coredns local-path-provisioner; do readlink -f "$bin/$b"; done
} | sha256sum | cut -c1-12)
image=discovery.local/kind-node:$k8s-$key
if [ -n "$(docker images -q "$image")" ]; then
  log "cached: $image"
  echo "$image" >"$cache/node-image"
  echo "$image"
  exit 0
fi

work=$cache/work.$$
cleanup() {
  if [ -n "${builder:-}" ]; then docker rm -f -v "$builder" >/dev/null 2>&1 || true; fi
  docker rmi "$image-stage" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$cache/rootfs" "$work"

# rootfs NAME PACKAGES: a minbase Debian with PACKAGES, as a tarball cached by its package list.
rootfs() {
  local name=$1 pkgs=$2 tar dir
  tar=$cache/rootfs/$name-$suite-$(echo "$pkgs" | sha256sum | cut -c1-12).tar
  if [ ! -f "$tar" ]; then
    dir=$work/debootstrap-$name
    log "debootstrap $suite ($name: $pkgs)"
    debootstrap --variant=minbase --include="$pkgs" "$suite" "$dir" "$mirror" >"$work/debootstrap-$name.log" 2>&1 ||
      { tail -20 "$work/debootstrap-$name.log" >&2; exit 1; }
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* \
      "$dir"/var/log/* "$dir"/tmp/*
    tar -C "$dir" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  echo "$tar"
}
node_tar=$(rootfs node "$node_pkgs")
toolbox_tar=$(rootfs toolbox "$toolbox_pkgs")

# Image ids our names point to now: what this build replaces is removed at the end (unless in use).
replaced=$(docker images -q --no-trunc discovery.local/kind/toolbox; docker images -q --no-trunc registry.k8s.io/coredns/coredns
  docker images -q --no-trunc registry.k8s.io/pause)

# ---- the images preloaded in every node: one shared layer (Debian + the binaries), one config per image ----
log "assembling the toolbox layer"
tb=$work/toolbox
mkdir -p "$tb" && tar -C "$tb" -xf "$toolbox_tar"
for b in kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns local-path-provisioner; do
  install -m 0755 "$(readlink -f "$bin/$b")" "$tb/usr/local/bin/$b"
done
install -m 0755 "$here/node/cni-agent.sh" "$tb/usr/local/bin/cni-agent"
# A reproducible tar (names sorted, times zeroed): the same inputs give the same layer, which Docker stores once.
tar -C "$tb" --sort=name --mtime=@0 --numeric-owner -cf "$work/toolbox.tar" . && rm -rf "$tb"

# One layer for all of them (Debian + the binaries, imported once): the control-plane, etcd, kube-proxy, provisioner
# and toolbox images are the same image under several names (commands come from kubeadm's and our manifests); CoreDNS
# only adds its entrypoint (kubeadm's Deployment passes arguments alone).
log "importing the images (one shared layer)"
docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$work/toolbox.tar" "$toolbox_image" >/dev/null
images=("$toolbox_image" "registry.k8s.io/kube-apiserver:$k8s" "registry.k8s.io/kube-controller-manager:$k8s"
  "registry.k8s.io/kube-scheduler:$k8s" "registry.k8s.io/kube-proxy:$k8s" "registry.k8s.io/etcd:$etcd_tag"
  "$provisioner_image")
for name in "${images[@]:1}"; do docker tag "$toolbox_image" "$name"; done
coredns_image=registry.k8s.io/coredns/coredns:$COREDNS_VERSION
builder=$(docker create "$toolbox_image" true)
docker commit --change 'ENTRYPOINT ["/usr/local/bin/coredns"]' "$builder" "$coredns_image" >/dev/null
docker rm "$builder" >/dev/null && builder=
images+=("$coredns_image")

log "building pause"
mkdir -p "$work/pause"
(cd "$work" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS='' go build -trimpath -ldflags '-s -w' -o "$work/pause/pause" "$here/pause/main.go")
tar -C "$work/pause" --sort=name --mtime=@0 --numeric-owner -cf "$work/pause.tar" pause
docker import --change 'ENTRYPOINT ["/pause"]' "$work/pause.tar" "$pause_image" >/dev/null
images+=("$pause_image")
docker save "${images[@]}" -o "$work/images.tar"

# ---- the node root filesystem ----
log "assembling the node root filesystem"
nd=$work/node
mkdir -p "$nd" && tar -C "$nd" -xf "$node_tar"
for b in containerd containerd-shim-runc-v2 ctr; do install -m 0755 "$(readlink -f "$bin/$b")" "$nd/usr/local/bin/$b"; done
for b in kubelet kubeadm kubectl; do install -m 0755 "$(readlink -f "$bin/$b")" "$nd/usr/bin/$b"; done
install -m 0755 "$here/node/entrypoint" "$nd/usr/local/bin/entrypoint"
mkdir -p "$nd/etc/containerd" "$nd/etc/kubernetes/manifests" "$nd/etc/cni/net.d" "$nd/kind/manifests" \
  "$nd/etc/systemd/system/multi-user.target.wants"
sed "s|@PAUSE_IMAGE@|$pause_image|" "$here/node/containerd.toml" >"$nd/etc/containerd/config.toml"
install -m 0644 "$here/node/containerd.service" "$here/node/kubelet.service" "$here/node/kubelet.slice" "$nd/etc/systemd/system/"
install -m 0644 "$here/node/kubelet.default" "$nd/etc/default/kubelet"
sed "s|@TOOLBOX_IMAGE@|$toolbox_image|g" "$here/node/default-cni.yaml" >"$nd/kind/manifests/default-cni.yaml"
sed -e "s|@TOOLBOX_IMAGE@|$toolbox_image|g" -e "s|@PROVISIONER_IMAGE@|$provisioner_image|g" \
  "$here/node/default-storage.yaml" >"$nd/kind/manifests/default-storage.yaml"
printf '%s' "$k8s" >"$nd/kind/version"
# systemd in a container: no gettys, udev, logind or tmpfiles clean-up; containerd and the kubelet at boot.
rm -f "$nd"/lib/systemd/system/multi-user.target.wants/* "$nd"/etc/systemd/system/*.wants/* \
  "$nd"/lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service \
  "$nd"/lib/systemd/system/local-fs.target.wants/* "$nd"/lib/systemd/system/sockets.target.wants/*udev* \
  "$nd"/lib/systemd/system/sockets.target.wants/*initctl* "$nd"/lib/systemd/system/basic.target.wants/*
for u in containerd.service kubelet.service; do ln -s "/etc/systemd/system/$u" "$nd/etc/systemd/system/multi-user.target.wants/$u"; done
ln -sf /dev/null "$nd/etc/systemd/system/systemd-binfmt.service"
echo 'ReadKMsg=no' >>"$nd/etc/systemd/journald.conf"
ln -sf /lib/systemd/systemd "$nd/sbin/init"
: >"$nd/etc/machine-id"
tar -C "$nd" --numeric-owner -cf "$work/node.tar" . && rm -rf "$nd"

changes=(--change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'ENV container=docker')
docker import "${changes[@]}" "$work/node.tar" "$image-stage" >/dev/null

# ---- preload: the node's own containerd imports the images, then the container is committed as the node image ----
log "preloading ${#images[@]} images into the node's containerd"
builder=$(docker run -d --privileged --entrypoint sleep "$image-stage" infinity)
docker exec "$builder" sh -c 'containerd >/var/log/containerd-preload.log 2>&1 &'
for i in $(seq 1 60); do
  docker exec "$builder" ctr version >/dev/null 2>&1 && break
  [ "$i" = 60 ] && { docker exec "$builder" tail -20 /var/log/containerd-preload.log >&2; exit 1; }
  sleep 0.5
done
# The unpacked snapshots are what pods run from: the layer blobs go (as on kind's own nodes), which halves what Docker
# copies into each node's /var volume. A lease deleted with --sync runs the garbage collector before containerd stops.
docker exec -i "$builder" ctr -n k8s.io images import --local --all-platforms --snapshotter overlayfs --discard-unpacked-layers - \
  <"$work/images.tar" >"$cache/preload.log" 2>&1 || { tail -20 "$cache/preload.log" >&2; exit 1; }
docker exec "$builder" sh -c 'ctr -n k8s.io leases create --id preload-gc && ctr -n k8s.io leases delete --sync preload-gc' >/dev/null
log "content store after preload: $(docker exec "$builder" du -sh /var/lib/containerd/io.containerd.content.v1.content | cut -f1)"
docker exec "$builder" sh -c 'kill $(pidof containerd); while pidof containerd >/dev/null; do sleep 0.2; done
  rm -rf /var/log/containerd-preload.log /run/containerd /tmp/*'
docker commit "${changes[@]}" "$builder" "$image" >/dev/null
docker rm -f -v "$builder" >/dev/null && builder=
# Older builds and the images this one replaced go, unless a node still runs from one.
docker images discovery.local/kind-node --format '{{.Repository}}:{{.Tag}}' | grep -vxF "$image" |
  xargs -r docker rmi >/dev/null 2>&1 || true
for id in $replaced; do
  if [ -z "$(docker images --no-trunc --format '{{.ID}} {{.Tag}}' | awk -v id="$id" '$1 == id && $2 != "<none>"')" ]; then
    docker rmi "$id" >/dev/null 2>&1 || true
  fi
done
echo "$image" >"$cache/node-image"
log "built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%d MB", $1/1e6}'))"
echo "$image"
