#!/usr/bin/env bash
# Deletes the kind clusters created by hack/kind/up.sh (same PREFIX).
set -euo pipefail
prefix=${PREFIX:-discovery}
kind get clusters | grep -E "^$prefix-(mgmt|edge-[0-9]+)\$" | while read -r name; do
  kind delete cluster --name "$name"
done
