#!/bin/bash
# Pod network agent of the kind node image built by hack/kind/node-image.sh (runs as a host-network DaemonSet, the role
# kindnetd has in kind's own images): writes this node's CNI config for its podCIDR, routes the other nodes' podCIDRs
# to their addresses on the shared network, and masquerades pod traffic leaving the cluster's pod subnet.
set -uo pipefail

: "${NODE_NAME:?}" "${POD_SUBNET:?}"
sa=/var/run/secrets/kubernetes.io/serviceaccount
# kind passes the control plane's address (CONTROL_PLANE_ENDPOINT): no need to wait for kube-proxy's Service rules.
api="https://${CONTROL_PLANE_ENDPOINT:-$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT}"
conf=/etc/cni/net.d/10-kind-bridge.conflist

say() { echo "$(date +%H:%M:%S) $*"; }
# PID 1 of its container: bash would ignore SIGTERM and hold the pod for its whole grace period.
trap 'exit 0' TERM INT

write_conf() {
  local cidr=$1 tmp
  tmp=$(mktemp "$conf.XXXX")
  cat >"$tmp" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "kind",
  "plugins": [
    {
      "type": "bridge", "bridge": "kind0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$cidr" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
  if cmp -s "$tmp" "$conf"; then rm -f "$tmp"; else mv -f "$tmp" "$conf" && say "wrote $conf for $cidr"; fi
}

masquerade() {
  local rule=(-s "$POD_SUBNET" ! -d "$POD_SUBNET" -m comment --comment "kind pod egress" -j MASQUERADE)
  iptables -t nat -C POSTROUTING "${rule[@]}" 2>/dev/null || iptables -t nat -A POSTROUTING "${rule[@]}"
}

while true; do
  if nodes=$(curl -sf --max-time 10 --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" "$api/api/v1/nodes"); then
    # one line per node: name podCIDR InternalIP
    while read -r name cidr ip; do
      [ "$cidr" = null ] && continue
      if [ "$name" = "$NODE_NAME" ]; then
        write_conf "$cidr"
      elif [ "$ip" != null ]; then
        ip route replace "$cidr" via "$ip" || say "route $cidr via $ip failed"
      fi
    done < <(jq -r '.items[] | [.metadata.name, (.spec.podCIDR // "null"),
      ([.status.addresses[]? | select(.type == "InternalIP") | .address][0] // "null")] | join(" ")' <<<"$nodes")
    masquerade
  else
    say "cannot list nodes from $api (retrying)"
  fi
  sleep 5 &
  wait $!
done
