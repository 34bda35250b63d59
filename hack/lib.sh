# Shared shell helpers for hack/*.sh: repo root, logging, and the install steps both quickstart commands need.
# shellcheck shell=bash
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
step() { printf '\n==> %s\n' "$*"; }

# npm dependencies (node@24 from npm included), only when missing or stale.
ensure_node_modules() {
  command -v npm >/dev/null || { echo "error: npm not found; install Node.js (>= 20) and npm first" >&2; exit 1; }
  local stamp="$repo/node_modules/.discovery-lock-hash" want
  want=$(sha256sum "$repo/package-lock.json" | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "node_modules up to date"
  else
    (cd "$repo" && npm ci --no-audit --no-fund --prefer-offline)
    echo "$want" >"$stamp"
  fi
  export PATH="$repo/node_modules/.bin:$PATH"
  echo "node $(node --version) from $(command -v node)"
}

# Graphviz renders `discovery graph --format svg`; installed from Debian's packages when missing.
ensure_graphviz() {
  command -v dot >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing graphviz (apt)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) || echo "warning: graphviz install failed; SVG output stays unavailable"
  else
    echo "note: graphviz (dot) not found; 'discovery graph --format svg' will be unavailable"
  fi
}

# Debian packages the fleet's real nodes need (runc, CNI plugins, iptables, conntrack, openssl); installed with apt
# when missing and running as root, otherwise a message says what to install.
ensure_real_node_packages() {
  local missing=()
  command -v runc >/dev/null || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v conntrack >/dev/null || missing+=(conntrack)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v nsenter >/dev/null || missing+=(util-linux)
  if [ ${#missing[@]} -eq 0 ]; then echo "real-node packages present"; return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]} (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: real fleet nodes need: ${missing[*]} (apt-get install them as root)" >&2
    return 1
  fi
}
