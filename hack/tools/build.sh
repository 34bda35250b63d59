#!/usr/bin/env bash
# Builds the pinned Go tools (etcd, kube-apiserver/controller-manager/scheduler, kubectl, kwok, kwokctl, helm,
# pulumi and its Kubernetes provider plugin pulumi-resource-kubernetes)
# from Go modules into a cache outside the repo, keyed by family, version, Go version and go.sum hash, and links
# them into <repo>/.tools/bin. With everything cached it only re-links (a second or two).
# Usage: hack/tools/build.sh [family ...]
#        families: kubernetes etcd kwok helm pulumi pulumi-kubernetes kubernetes-node containerd coredns
#                  local-path-provisioner kubeadm kind
#        (default: all; the fleet needs kubernetes etcd kwok, real nodes also kubernetes-node containerd coredns
#        local-path-provisioner, hack/kind/node-image.sh also kubeadm kind,
#        the chart and Pulumi tests helm pulumi pulumi-kubernetes)
# Env:   DISCOVERY_TOOLS_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/discovery-tools)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=hack/tools/versions.env
source "$here/versions.env"

if ! command -v go >/dev/null 2>&1; then
  echo "error: the Go toolchain ('go') is not on PATH. The local fleet's binaries are built from Go modules;" >&2
  echo "       install Go >= 1.26 (e.g. apt-get install golang-go, or from go.dev) and re-run." >&2
  exit 1
fi
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
cache=${DISCOVERY_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/discovery-tools}
bindir="$repo/.tools/bin"
mkdir -p "$cache" "$bindir"
gover=$(go env GOVERSION)

log() { printf '[tools %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

k8s_minor=${KUBERNETES_VERSION#v1.}; k8s_minor=${k8s_minor%%.*}
k8s_ldflags() {
  local f="" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor"
    f+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "-s -w$f"
}

# family -> "version|binary=package ..."
spec() {
  case $1 in
    kubernetes) echo "$KUBERNETES_VERSION|kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler kubectl=k8s.io/kubernetes/cmd/kubectl" ;;
    kubernetes-node) echo "$KUBERNETES_VERSION|kubelet=k8s.io/kubernetes/cmd/kubelet kube-proxy=k8s.io/kubernetes/cmd/kube-proxy" ;;
    kubeadm) echo "$KUBERNETES_VERSION|kubeadm=k8s.io/kubernetes/cmd/kubeadm" ;;
    kind) echo "$KIND_VERSION|kind=sigs.k8s.io/kind" ;;
    containerd) echo "$CONTAINERD_VERSION|containerd=github.com/containerd/containerd/v2/cmd/containerd containerd-shim-runc-v2=github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 ctr=github.com/containerd/containerd/v2/cmd/ctr" ;;
    coredns) echo "$COREDNS_VERSION|coredns=github.com/coredns/coredns" ;;
    local-path-provisioner) echo "$LOCAL_PATH_PROVISIONER_VERSION|local-path-provisioner=github.com/rancher/local-path-provisioner" ;;
    etcd) echo "$ETCD_VERSION|etcd=go.etcd.io/etcd/server/v3" ;;
    kwok) echo "$KWOK_VERSION|kwok=sigs.k8s.io/kwok/cmd/kwok kwokctl=sigs.k8s.io/kwok/cmd/kwokctl" ;;
    helm) echo "$HELM_VERSION|helm=helm.sh/helm/v3/cmd/helm" ;;
    pulumi) echo "$PULUMI_VERSION|pulumi=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi" ;;
    pulumi-kubernetes) echo "$PULUMI_KUBERNETES_VERSION|pulumi-resource-kubernetes=github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes" ;;
    *) echo "error: unknown tool family '$1' (known: kubernetes etcd kwok helm pulumi pulumi-kubernetes kubernetes-node containerd coredns local-path-provisioner kubeadm kind)" >&2; exit 2 ;;
  esac
}

# Build tags per family: containerd without the storage/snapshotter back ends that need cgo or kernel features the
# fleet does not use (overlayfs and native snapshotters stay).
tags_for() {
  case $1 in
    containerd) echo "no_btrfs no_devmapper no_zfs no_aufs" ;;
    *) echo "" ;;
  esac
}

ldflags_for() {
  case $1 in
    kubernetes | kubernetes-node | kubeadm) k8s_ldflags ;;
    containerd) echo "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION -X github.com/containerd/containerd/v2/version.Revision=release" ;;
    coredns) echo "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" ;;
    kwok) echo "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBERNETES_VERSION" ;;
    helm) echo "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" ;;
    pulumi) echo "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" ;;
    pulumi-kubernetes) echo "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${PULUMI_KUBERNETES_VERSION#v}" ;;
    *) echo "-s -w" ;;
  esac
}

# pulumi-resource-kubernetes embeds schema-embed.json and terraform-mapping-embed.json, which its release process
# generates (they are not in the module). Copy the module source into the writable build dir $1, write both files
# there (the schema with its version set, both compacted), and print the path of a go.mod (a copy of ours plus a
# `replace` to that source) for `go build -modfile`.
prepare_pulumi_kubernetes() {
  local work=$1 mod=github.com/pulumi/pulumi-kubernetes/provider/v4 src node cmd
  src=$(cd "$here/pulumi-kubernetes" && go mod download -json "$mod@$PULUMI_KUBERNETES_MODULE_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$src" ] || { echo "error: could not download $mod@$PULUMI_KUBERNETES_MODULE_VERSION" >&2; exit 1; }
  node=$repo/node_modules/.bin/node; [ -x "$node" ] || node=node
  rm -rf "$work/provider" && mkdir -p "$work" && cp -R "$src" "$work/provider" && chmod -R u+w "$work/provider"
  cmd=$work/provider/cmd/pulumi-resource-kubernetes
  "$node" -e '
    const fs = require("node:fs");
    const [dir, version] = process.argv.slice(1);
    const schema = JSON.parse(fs.readFileSync(dir + "/schema.json", "utf8"));
    schema.version = version;
    fs.writeFileSync(dir + "/schema-embed.json", JSON.stringify(schema));
    const mapping = JSON.parse(fs.readFileSync(dir + "/terraform-mapping.json", "utf8"));
    fs.writeFileSync(dir + "/terraform-mapping-embed.json", JSON.stringify(mapping));
  ' "$cmd" "${PULUMI_KUBERNETES_VERSION#v}"
  cp "$here/pulumi-kubernetes/go.mod" "$here/pulumi-kubernetes/go.sum" "$work/"
  go mod edit -replace="$mod=$work/provider" "$work/go.mod"
  echo "$work/go.mod"
}

build_family() {
  local family=$1 s version pairs key dest missing=() pair start
  s=$(spec "$family"); version=${s%%|*}; pairs=${s#*|}
  key="$family-$version-$gover-$(sha256sum "$here/$family/go.sum" | cut -c1-12)"
  dest="$cache/$key"
  for pair in $pairs; do [ -x "$dest/${pair%%=*}" ] || missing+=("$pair"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "building $family $version: ${missing[*]%%=*} (cold builds take minutes on 2 cores)"
    start=$SECONDS
    # One build dir per process: two concurrent runs (e.g. a CI run from another clone sharing the cache) must not
    # overwrite each other's half-built files; the last `mv` into $dest wins, with identical content.
    local tmp="$dest.tmp.$$"
    mkdir -p "$tmp"
    local modflags=()
    if [ "$family" = pulumi-kubernetes ]; then
      log "  generating the provider's embedded schema in $tmp/provider"
      modflags=(-modfile "$(prepare_pulumi_kubernetes "$tmp")")
    fi
    for pair in "${missing[@]}"; do
      log "  go build ${pair#*=}"
      (cd "$here/$family" && go build "${modflags[@]}" -trimpath -tags "$(tags_for "$family")" -ldflags "$(ldflags_for "$family")" -o "$tmp/${pair%%=*}" "${pair#*=}")
      mkdir -p "$dest" && mv -f "$tmp/${pair%%=*}" "$dest/${pair%%=*}"
    done
    rm -rf "$tmp"
    log "built $family $version in $((SECONDS - start))s -> $dest"
  else
    log "cached $family $version ($dest)"
  fi
  for pair in $pairs; do ln -sfn "$dest/${pair%%=*}" "$bindir/${pair%%=*}"; done
}

families=("$@")
[ ${#families[@]} -gt 0 ] || families=(etcd kwok kubernetes kubernetes-node containerd coredns local-path-provisioner helm pulumi pulumi-kubernetes)
for f in "${families[@]}"; do build_family "$f"; done
log "tools ready in $bindir"
