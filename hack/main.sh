#!/usr/bin/env bash
# The README's main job from a fresh clone: installs npm deps (Node 24 from npm), builds or reuses the Go tools, then
# runs `npm start` (fleet up, CRDs, operator, sample EdgeSites + DistributedCloud, progress until Ready).
# Arguments are passed to `npm start`, e.g. `bash hack/main.sh --sample cells`.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$repo"
step "npm dependencies"; ensure_node_modules
step "Go-built tools the fleet needs (etcd, kwok, Kubernetes)"; bash hack/tools/build.sh etcd kwok kubernetes
step "local fleet, operator and a sample DistributedCloud"
exec npm start --silent -- "$@"
