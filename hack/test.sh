#!/usr/bin/env bash
# Runs every check and test from a fresh clone: installs npm deps, builds/reuses the Go tools, lints, checks generated
# files for drift, builds, then runs unit and integration tests (the latter bring the local fleet up and down).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$repo"
start=$SECONDS

step "npm dependencies"; ensure_node_modules
step "Go-built tools (etcd, Kubernetes incl. kubelet, containerd, CoreDNS, kwok, helm, Pulumi)"; bash hack/tools/build.sh
step "packages for real fleet nodes (runc, CNI plugins, iptables)"; ensure_real_node_packages
step "images for the real fleet nodes (pause, CoreDNS, local-path provisioner, toolbox, operator)"; npm run --silent images
step "graphviz"; ensure_graphviz
step "lint"; npm run --silent lint
step "generated files are in sync (CRD YAML, TS types, chart CRDs)"; npm run --silent generate:check; npm run --silent chart:check
step "build"; npm run --silent build
step "tests (unit + integration on the local fleet)"
results=$(mktemp)
set +e
node --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js --ci --json --outputFile="$results" "$@"
rc=$?
set -e
# shellcheck disable=SC2016 # the JavaScript template literal is meant literally
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`\njest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$results" || true
rm -f "$results"
echo "total time: $((SECONDS - start))s"
exit $rc
