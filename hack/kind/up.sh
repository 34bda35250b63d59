#!/usr/bin/env bash
# Creates a management kind cluster plus N edge kind clusters, installs the Discovery chart into the management one
# and registers every cluster as an EdgeSite (the management cluster doubles as the `core` site).
# Needs Docker, kind, kubectl and helm (on machines without Docker: hack/kind/docker.sh, see docs/install.md).
# Usage: EDGES=2 hack/kind/up.sh        Env: EDGES, PREFIX, IMAGE, BUILD_IMAGE=0 (reuse an image), KIND_NODE_IMAGE,
#   LOCAL_NODE_IMAGE=1 (build the node image here from the project's parts, hack/kind/node-image.sh; no registry),
#   BUILD_FLAGS (extra `docker build` flags, e.g. "--network host --build-arg ...")
# Tear down: hack/kind/down.sh
set -euo pipefail

edges=${EDGES:-2}
prefix=${PREFIX:-discovery}
image=${IMAGE:-ghcr.io/beyondtheclouds/discovery-operator:dev}
ns=discovery-system
repo=$(cd "$(dirname "$0")/../.." && pwd)
mgmt="$prefix-mgmt"

log() { printf '[kind] %s\n' "$*"; }

# kubeadm patches: the locally built node image carries etcd and CoreDNS at the versions pinned in
# hack/tools/versions.env (kubeadm's defaults name other releases); Kubernetes >= 1.35 refuses cgroup v1 hosts
# unless the kubelet is told otherwise.
patches=()
if [ "${LOCAL_NODE_IMAGE:-0}" = 1 ]; then
  log "building the node image here (hack/kind/node-image.sh)"
  KIND_NODE_IMAGE=$(bash "$repo/hack/kind/node-image.sh" | tail -n 1)
  # shellcheck source=hack/tools/versions.env
  source "$repo/hack/tools/versions.env"
  patches+=("kind: ClusterConfiguration
    etcd: { local: { imageTag: \"${ETCD_VERSION#v}-0\" } }
    dns: { imageTag: \"$COREDNS_VERSION\" }")
fi
if [ "$(docker info -f '{{.CgroupVersion}}' 2>/dev/null || true)" = 1 ]; then
  patches+=("kind: KubeletConfiguration
    failCgroupV1: false")
fi
patch_yaml=""
if [ ${#patches[@]} -gt 0 ]; then
  patch_yaml="kubeadmConfigPatches:"
  for p in "${patches[@]}"; do patch_yaml+=$'\n  - |\n    '"$p"; done
fi

# create_cluster NAME REGION: one control-plane node and one compute worker, labelled like the local fleet's nodes.
# node-role.kubernetes.io/compute is set afterwards: the kubelet refuses node-role.kubernetes.io/* in --node-labels
# (where kind puts a node's labels) and exits with "unknown 'kubernetes.io' or 'k8s.io' labels specified".
create_cluster() {
  local name=$1 region=$2
  if kind get clusters | grep -qx "$name"; then log "cluster $name exists"; return; fi
  log "creating cluster $name (region $region)"
  kind create cluster --name "$name" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s --config - <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
$patch_yaml
nodes:
  - role: control-plane
    labels:
      openstack-control-plane: enabled
      topology.kubernetes.io/region: $region
      topology.kubernetes.io/zone: $region-a
  - role: worker
    labels:
      openstack-compute-node: enabled
      topology.kubernetes.io/region: $region
      topology.kubernetes.io/zone: $region-a
YAML
  kubectl --context "kind-$name" label node -l openstack-compute-node=enabled node-role.kubernetes.io/compute= --overwrite
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
  # as the samples: DistributedClouds of namespace openstack or of namespaces labelled fleet=demo, nova-compute allowed
  tenancy:
    namespaces: [openstack]
    namespaceSelector: { matchLabels: { discovery.beyondtheclouds.io/fleet: demo } }
    allowPrivileged: true
YAML
}

create_cluster "$mgmt" core
for i in $(seq 1 "$edges"); do create_cluster "$prefix-edge-$i" "edge-$i"; done

if [ "${BUILD_IMAGE:-1}" = 1 ]; then
  log "building $image"
  # shellcheck disable=SC2086 # BUILD_FLAGS is a list of flags
  docker build ${BUILD_FLAGS:-} -t "$image" "$repo"
fi
kind load docker-image "$image" --name "$mgmt"

log "installing the chart into $mgmt"
helm upgrade --install discovery "$repo/charts/discovery-operator" --kube-context "kind-$mgmt" \
  --namespace "$ns" --create-namespace --wait --timeout 5m \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never

register core "$mgmt" core core 0
for i in $(seq 1 "$edges"); do register "edge-$i" "$prefix-edge-$i" edge "edge-$i" $((20 * i)); done

log "done: kubectl --context kind-$mgmt get edgesites -w"
