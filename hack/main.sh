#!/usr/bin/env bash
# The README's main job from a fresh clone: installs npm deps (Node 24 from npm), builds or reuses the Go tools and
# the images, then runs `npm start`: a real cloud on real nodes (fleet up, OpenStack images imported, CRDs,
# operator, EdgeSites + the centralized DistributedCloud, progress until Ready, then the OpenStack client against
# it). `bash hack/main.sh --simulated [--sample cells]` runs the fast kwok path instead. Other arguments are passed
# to `npm start` (npm start -- --help).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$repo"
simulated=false
for a in "$@"; do [ "$a" = --simulated ] && simulated=true; done
step "npm dependencies"; ensure_node_modules
if $simulated; then
  step "Go-built tools the fleet needs (etcd, kwok, Kubernetes)"; bash hack/tools/build.sh etcd kwok kubernetes
else
  step "Go-built tools real nodes need (etcd, kwok, Kubernetes, kubelet, containerd, CoreDNS, local-path provisioner)"
  bash hack/tools/build.sh etcd kwok kubernetes kubernetes-node containerd coredns local-path-provisioner
  step "images real nodes run (cached; the OpenStack group takes about 17 min cold)"
  npm run --silent images
  npm run --silent images -- --group openstack
fi
step "local fleet, operator and a sample DistributedCloud"
exec npm start --silent -- "$@"
