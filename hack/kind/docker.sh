#!/usr/bin/env bash
# A private Docker engine for machines without one (this project's VMs): Debian's dockerd with its own data root,
# exec root, socket, cgroup parent and kind network bridge, and no host iptables changes. Users with Docker skip this.
# Usage: hack/kind/docker.sh start|stop|status|env      then: eval "$(hack/kind/docker.sh env)"
# Env:   DKIND_CACHE (default ~/.cache/discovery-kind: data root, logs), DKIND_SUBNET (kind network, 172.31.250.0/24)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DKIND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/discovery-kind}
run=/run/dkind
sock=$run/docker.sock
pidfile=$run/docker.pid
bridge=dkind0
subnet=${DKIND_SUBNET:-172.31.250.0/24}
cgparent=dkind

log() { printf '[dkind] %s\n' "$*" >&2; }
dk() { docker -H "unix://$sock" "$@"; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  if running; then log "dockerd already running (pid $(cat "$pidfile"))"; return; fi
  command -v dockerd >/dev/null || { log "error: dockerd not found (apt-get install docker.io)"; exit 1; }
  mkdir -p "$run" "$cache/docker" "$cache/logs"
  # An empty config file keeps a host /etc/docker/daemon.json out of it.
  [ -f "$cache/dockerd.json" ] || echo '{}' >"$cache/dockerd.json"
  # --iptables=false: the host's iptables (FORWARD policy, NAT) stay untouched. kind needs none of it here: nodes talk
  # on one bridge, the API port is published by docker-proxy (userland), and nothing is pulled from outside.
  # Hosts whose capability bounding set lacks some (this project's VMs: CAP_SYS_RESOURCE) cannot run --privileged
  # containers (kind's nodes) with plain runc: use runc-bounded, which leaves those out.
  local runtime=()
  if [ "$(awk '/^CapBnd:/ {print $2}' /proc/self/status)" != "$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))" ]; then
    log "capability bounding set is incomplete: containers run through hack/kind/runc-bounded"
    runtime=(--add-runtime "runc-bounded=$here/runc-bounded" --default-runtime runc-bounded)
  fi
  log "starting dockerd (data root $cache/docker, socket $sock)"
  dockerd "${runtime[@]}" --data-root "$cache/docker" --exec-root "$run" -H "unix://$sock" --pidfile "$pidfile" \
    --config-file "$cache/dockerd.json" --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --bridge=none --cgroup-parent="$cgparent" --log-level=warn >>"$cache/logs/dockerd.log" 2>&1 &
  local i
  for i in $(seq 1 60); do
    dk version >/dev/null 2>&1 && break
    [ "$i" = 60 ] && { log "error: dockerd did not answer in 30s; see $cache/logs/dockerd.log"; exit 1; }
    sleep 0.5
  done
  # The network kind uses (it reuses an existing one named `kind`), on a bridge with a name of our own.
  if ! dk network inspect kind >/dev/null 2>&1; then
    dk network create -d bridge --subnet "$subnet" -o com.docker.network.bridge.name="$bridge" \
      -o com.docker.network.bridge.enable_ip_masquerade=false kind >/dev/null
  fi
  log "ready: export DOCKER_HOST=unix://$sock"
}

stop() {
  if running; then
    local ids
    ids=$(dk ps -aq)
    # shellcheck disable=SC2086 # a list of container ids
    [ -z "$ids" ] || dk rm -f -v $ids >/dev/null
    dk network rm kind >/dev/null 2>&1 || true
    dk volume prune -f >/dev/null 2>&1 || true
    local pid; pid=$(cat "$pidfile")
    log "stopping dockerd (pid $pid)"
    kill "$pid"
    local i
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "error: dockerd $pid still running"; exit 1; }
  fi
  # Leftovers of a killed daemon: mounts under the exec and data roots, the bridge, the cgroups, the exec root.
  { grep -E " ($run|$cache/docker)[/ ]" /proc/mounts || true; } | awk '{print $2}' | sort -r |
    while read -r m; do umount -l "$m" || true; done
  if ip link show "$bridge" >/dev/null 2>&1; then ip link del "$bridge"; fi
  local c
  for c in /sys/fs/cgroup/*/"$cgparent"; do
    if [ -d "$c" ]; then find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  rm -rf "$run"
  log "stopped; images stay cached in $cache/docker"
}

status() {
  if running; then echo "dockerd running (pid $(cat "$pidfile")), DOCKER_HOST=unix://$sock"; else echo "dockerd not running"; fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export DOCKER_HOST=unix://$sock" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
