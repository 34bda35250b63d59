#!/usr/bin/env bash
# Creates a management kind cluster plus N edge kind clusters, installs the Discovery chart into the management one
# and registers every cluster as an EdgeSite (the management cluster doubles as the `core` site).
# Needs Docker, kind, kubectl and helm. It cannot run on the project CI machine (no Docker engine).
# Usage: EDGES=2 hack/kind/up.sh        Env: EDGES, PREFIX, IMAGE, BUILD_IMAGE=0 (reuse an image), KIND_NODE_IMAGE
# Tear down: hack/kind/down.sh
set -euo pipefail

edges=${EDGES:-2}
prefix=${PREFIX:-discovery}
image=${IMAGE:-ghcr.io/beyondtheclouds/discovery-operator:dev}
ns=discovery-system
repo=$(cd "$(dirname "$0")/../.." && pwd)
mgmt="$prefix-mgmt"

log() { printf '[kind] %s\n' "$*"; }

# create_cluster NAME REGION: one control-plane node and one compute worker, labelled like the local fleet's nodes.
create_cluster() {
  local name=$1 region=$2
  if kind get clusters | grep -qx "$name"; then log "cluster $name exists"; return; fi
  log "creating cluster $name (region $region)"
  kind create cluster --name "$name" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s --config - <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    labels:
      openstack-control-plane: enabled
      topology.kubernetes.io/region: $region
      topology.kubernetes.io/zone: $region-a
  - role: worker
    labels:
      node-role.kubernetes.io/compute: ""
      openstack-compute-node: enabled
      topology.kubernetes.io/region: $region
      topology.kubernetes.io/zone: $region-a
YAML
}

# register SITE CLUSTER ROLE REGION RTT: kubeconfig Secret (in-cluster address) + EdgeSite in the management cluster.
register() {
  local site=$1 cluster=$2 role=$3 region=$4 rtt=$5
  log "registering EdgeSite $site -> $cluster"
  kind get kubeconfig --internal --name "$cluster" |
    kubectl --context "kind-$mgmt" -n "$ns" create secret generic "kubeconfig-$site" \
      --from-file=kubeconfig=/dev/stdin --dry-run=client -o yaml |
    kubectl --context "kind-$mgmt" apply -f -
  kubectl --context "kind-$mgmt" apply -f - <<YAML
apiVersion: discovery.beyondtheclouds.io/v1alpha1
kind: EdgeSite
metadata:
  name: $site
spec:
  kubeconfigSecretRef: { namespace: $ns, name: kubeconfig-$site, key: kubeconfig }
  region: $region
  role: $role
  network: { rttMillis: $rtt, bandwidthMbps: 1000 }
YAML
}

create_cluster "$mgmt" core
for i in $(seq 1 "$edges"); do create_cluster "$prefix-edge-$i" "edge-$i"; done

if [ "${BUILD_IMAGE:-1}" = 1 ]; then
  log "building $image"
  docker build -t "$image" "$repo"
fi
kind load docker-image "$image" --name "$mgmt"

log "installing the chart into $mgmt"
helm upgrade --install discovery "$repo/charts/discovery-operator" --kube-context "kind-$mgmt" \
  --namespace "$ns" --create-namespace --wait --timeout 5m \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never

register core "$mgmt" core core 0
for i in $(seq 1 "$edges"); do register "edge-$i" "$prefix-edge-$i" edge "edge-$i" $((20 * i)); done

log "done: kubectl --context kind-$mgmt get edgesites -w"
