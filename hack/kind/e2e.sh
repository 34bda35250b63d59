#!/usr/bin/env bash
# End-to-end check of the kind path (npm run test:kind): hack/kind/up.sh with a node image built here, then asserts
# the operator runs in-cluster under the chart's ServiceAccount and reaches both sites, then tears everything down and
# checks that nothing is left behind. Minutes, not seconds (docs/install.md has the measured times); needs root.
# On a machine without Docker it runs its own engine (hack/kind/docker.sh) and the operator's base images
# (hack/kind/operator-bases.sh). Env: PREFIX (cluster names, default dkind-e2e), KEEP=1 (leave it all running).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export PATH="$repo/.tools/bin:$repo/node_modules/.bin:$PATH"
# shellcheck source=hack/tools/versions.env
source "$repo/hack/tools/versions.env"
export PREFIX=${PREFIX:-dkind-e2e}
mgmt=$PREFIX-mgmt edge=$PREFIX-edge-1 ns=discovery-system
start=$SECONDS
failures=0

log() { printf '[e2e %4ds] %s\n' "$((SECONDS - start))" "$*"; }
pass() { log "ok: $*"; }
fail() { log "FAIL: $*"; failures=$((failures + 1)); }
k() { kubectl --context "kind-$1" "${@:2}"; }
# What the private engine could have put in the host's iptables (other users of the host change theirs meanwhile).
ours() { { iptables-save; iptables-legacy-save 2>/dev/null; } | grep -E 'DOCKER|dkind|172\.31\.250\.' || true; }

[ "$(id -u)" = 0 ] || { echo "error: run as root (debootstrap, a private dockerd)" >&2; exit 1; }
bash "$repo/hack/tools/build.sh" kind kubernetes helm >/dev/null

own_docker=0
if ! docker version >/dev/null 2>&1; then
  own_docker=1
  forward_before=$(iptables -S FORWARD | head -n 1)
  bash "$here/docker.sh" start
  eval "$(bash "$here/docker.sh" env)"
fi
# Every node runs a kubelet, containerd and kube-proxy, each holding inotify instances of the same (root) user: a
# shared host can run out at the default of 128 ("too many open files" from kube-proxy). Raised while this runs.
inotify_before=$(sysctl -n fs.inotify.max_user_instances)
if [ "$inotify_before" -lt 1024 ]; then sysctl -qw fs.inotify.max_user_instances=1024; fi
restore_inotify() {
  if [ "$(sysctl -n fs.inotify.max_user_instances)" = 1024 ]; then sysctl -qw fs.inotify.max_user_instances="$inotify_before"; fi
}

cleanup() {
  local rc=$?
  if [ "${KEEP:-0}" = 1 ]; then
    log "KEEP=1: left running (hack/kind/down.sh; hack/kind/docker.sh stop; sysctl fs.inotify.max_user_instances=$inotify_before)"
    return
  fi
  log "tearing down"
  bash "$here/down.sh" || true
  restore_inotify
  if [ "$own_docker" = 1 ]; then
    bash "$here/docker.sh" stop || fail "hack/kind/docker.sh stop failed"
    ip link show dkind0 >/dev/null 2>&1 && fail "bridge dkind0 left behind"
    grep -E ' (/run/dkind|[^ ]*/discovery-kind/docker)[/ ]' /proc/mounts && fail "mounts left behind"
    ls -d /sys/fs/cgroup/*/dkind 2>/dev/null && fail "cgroups left behind"
    pgrep -f '/run/dkind/' && fail "processes left behind"
    if [ -z "$(ours)" ] && [ "$(iptables -S FORWARD | head -n 1)" = "$forward_before" ]; then
      log "host iptables: no Docker rule, FORWARD policy unchanged ($forward_before)"
    else
      fail "host iptables: $(ours) $(iptables -S FORWARD | head -n 1)"
    fi
  fi
  log "done in $((SECONDS - start))s with $failures failure(s)"
  [ "$failures" = 0 ] && exit "$rc"
  exit 1
}
trap cleanup EXIT

build_flags=""
if [ "$own_docker" = 1 ]; then
  # No registry: base images made here; no bridge for build containers: `npm ci` runs on the host's network.
  bash "$here/node-image.sh" >/dev/null
  bash "$here/operator-bases.sh"
  export DOCKER_BUILDKIT=0
  build_flags="--network host"
fi

t=$SECONDS
LOCAL_NODE_IMAGE=1 EDGES=1 BUILD_FLAGS=$build_flags bash "$here/up.sh"
log "up.sh took $((SECONDS - t))s"

# 1. The operator runs from the image built here, under the chart's own ServiceAccount, and is Available.
if k "$mgmt" -n "$ns" rollout status deploy/discovery-discovery-operator --timeout=180s; then pass "operator Available"; else fail "operator not Available"; fi
sa=$(k "$mgmt" -n "$ns" get pods -l app.kubernetes.io/name=discovery-operator -o jsonpath='{.items[0].spec.serviceAccountName}')
if [ -n "$sa" ] && [ "$sa" != default ]; then pass "operator pod runs as ServiceAccount $sa"; else fail "operator ServiceAccount is '$sa'"; fi

# 2. Both EdgeSites Ready: the operator pod reached the edge cluster's API server across the kind network.
for site in core edge-1; do
  if k "$mgmt" wait edgesite/"$site" --for=condition=Ready --timeout=180s >/dev/null; then
    pass "EdgeSite $site Ready ($(k "$mgmt" get edgesite "$site" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}'))"
  else
    fail "EdgeSite $site not Ready: $(k "$mgmt" get edgesite "$site" -o jsonpath='{.status.conditions}')"
  fi
done

# 3. Pods on the edge worker: a claim binds through the local-path provisioner; what one pod wrote there, the next
#    pod reads; a Service name resolves through CoreDNS.
volume_pod() { # NAME COMMAND
  cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1 }
spec:
  nodeSelector: { openstack-compute-node: enabled }
  restartPolicy: Never
  containers:
    - name: c
      image: discovery.local/kind/toolbox:$KUBERNETES_VERSION
      command: [sh, -c, '$2']
      volumeMounts: [{ name: d, mountPath: /data }]
  volumes: [{ name: d, persistentVolumeClaim: { claimName: e2e-data } }]
YAML
}
k "$edge" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: e2e-data }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 16Mi } }
YAML
# shellcheck disable=SC2016 # $(hostname) is for the pod's shell
volume_pod e2e-writer 'echo kept-$(hostname) > /data/f' | k "$edge" apply -f - >/dev/null
if k "$edge" wait pod/e2e-writer --for=jsonpath='{.status.phase}'=Succeeded --timeout=180s >/dev/null; then
  volume_pod e2e-reader 'cat /data/f; getent hosts kubernetes.default.svc.cluster.local' | k "$edge" apply -f - >/dev/null
  k "$edge" wait pod/e2e-reader --for=jsonpath='{.status.phase}'=Succeeded --timeout=120s >/dev/null || true
fi
out=$(k "$edge" logs e2e-reader 2>/dev/null | tr -s ' \n' ' ')
if [ "$(k "$edge" get pvc e2e-data -o jsonpath='{.status.phase}')" = Bound ] && [[ $out == kept-e2e-writer*kubernetes.default* ]]; then
  pass "claim Bound on $(k "$edge" get pod e2e-writer -o jsonpath='{.spec.nodeName}'); the next pod read: $out"
else
  fail "claim $(k "$edge" get pvc e2e-data -o jsonpath='{.status.phase}'), reader said '$out': $(k "$edge" get events --field-selector type=Warning -o jsonpath='{.items[-1:].message}')"
fi
