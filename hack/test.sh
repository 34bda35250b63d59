#!/usr/bin/env bash
# Runs every check and test from a fresh clone: installs npm deps, builds/reuses the Go tools, lints, checks generated
# files for drift, builds the images real nodes run, then runs unit and integration tests (kwok fleet) and the
# real-node tests (their own fleet); each fleet is brought up and down by its tests.
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
# Two jest runs: unit + integration (kwok fleet), then the real-node tests (their own fleet), so the two fleets never
# run at the same time on a small machine. Extra arguments go to both runs.
results=$(mktemp -d)
jest() {
  node --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js --ci --json \
    --passWithNoTests "$@"
}
set +e
step "tests: unit + integration (kwok fleet)"; jest --selectProjects unit integration --outputFile="$results/kwok.json" "$@"
rc=$?
step "tests: real nodes (own fleet, root)"; jest --selectProjects real-nodes --outputFile="$results/real.json" "$@"
rc_real=$?
set -e
# shellcheck disable=SC2016 # the JavaScript template literal is meant literally
node -e 'let p=0,f=0,s=0;for(const x of process.argv.slice(1)){try{const r=JSON.parse(require("fs").readFileSync(x,"utf8"));p+=r.numPassedTests;f+=r.numFailedTests;s+=r.numPendingTests}catch{}};console.log(`\njest: ${p} passed, ${f} failed, ${s} skipped`)' "$results"/*.json || true
rm -rf "$results"
[ "$rc" -eq 0 ] && rc=$rc_real
echo "total time: $((SECONDS - start))s"
exit $rc
