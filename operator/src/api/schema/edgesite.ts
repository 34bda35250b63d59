// Schema source of EdgeSite (cluster-scoped): one member Kubernetes cluster of the fleet and how to reach it.
import {
  API_VERSION,
  conditions,
  DNS_LABEL,
  DNS_SUBDOMAIN,
  labelSelector,
  objectMeta,
  SITE_ADDRESS,
} from './common.js';
import {
  array,
  boolean,
  enumOf,
  integer,
  number,
  object,
  rule,
  string,
  type ResourceDefinition,
  type SchemaNode,
} from './dsl.js';

export const siteRole = enumOf(['core', 'edge', 'far-edge'], {
  tsName: 'SiteRole',
  description:
    'core hosts the shared control plane; edge and far-edge sites run compute (and, when distributed, a full control plane).',
});

const edgeSiteSpec: SchemaNode = object(
  {
    kubeconfigSecretRef: object(
      {
        namespace: string({
          description: 'Namespace of the Secret (on the management cluster).',
          minLength: 1,
          maxLength: 63,
          pattern: DNS_LABEL,
        }),
        name: string({ description: 'Name of the Secret.', minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN }),
        key: string({
          description: 'Key in the Secret holding the kubeconfig.',
          default: 'kubeconfig',
          minLength: 1,
          maxLength: 253,
          pattern: '^[-._a-zA-Z0-9]+$',
        }),
      },
      {
        required: ['namespace', 'name'],
        description:
          'Secret holding a kubeconfig for the member cluster (inline credentials only). The operator reads it only from its own namespace and the namespaces of --kubeconfig-secret-namespaces.',
        rules: [
          rule<{ namespace: string }>({
            rule: "!(self.namespace in ['kube-system', 'kube-public', 'kube-node-lease'])",
            message:
              'kubeconfig Secrets are never read from kube-system, kube-public or kube-node-lease: put it in the operator namespace',
            fieldPath: '.namespace',
            check: (self) => !['kube-system', 'kube-public', 'kube-node-lease'].includes(self.namespace),
          }),
        ],
      },
    ),
    region: string({
      description: 'Region of the site; also its Keystone region where the topology has one region per site.',
      minLength: 1,
      maxLength: 63,
      pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
    }),
    zone: string({ description: 'Availability zone within the region.', maxLength: 63 }),
    role: siteRole,
    network: object(
      {
        rttMillis: number({
          description: 'Round-trip time to the core site, in milliseconds.',
          minimum: 0,
          maximum: 10000,
        }),
        bandwidthMbps: number({ description: 'Bandwidth to the core site, in Mbit/s.', minimum: 1, maximum: 1000000 }),
        lossPercent: number({ description: 'Packet loss to the core site, in percent.', minimum: 0, maximum: 100 }),
        address: string({
          description:
            "Address (IPv4, IPv6 or DNS name) at which other sites and users reach this site's exposed Services: a node address, or a load balancer in front of the nodes' NodePorts. Default: the address of a Ready node, read back into status.address.",
          maxLength: 253,
          pattern: SITE_ADDRESS,
        }),
      },
      { required: ['rttMillis', 'bandwidthMbps'], description: 'WAN link from this site to the core site.' },
    ),
    capacity: object(
      {
        cpuCores: integer({ description: 'Allocatable CPU cores.', minimum: 0 }),
        memoryGiB: number({ description: 'Allocatable memory in GiB.', minimum: 0 }),
        computeNodes: integer({ description: 'Nodes labelled for nova-compute.', minimum: 0 }),
      },
      { description: 'Capacity hints for planning (the operator also probes the cluster).' },
    ),
    paused: boolean({ description: 'Stop probing and reconciling this site.', default: false }),
    tenancy: object(
      {
        namespaces: array(
          string({ description: 'A namespace name.', minLength: 1, maxLength: 63, pattern: DNS_LABEL }),
          {
            description:
              'Namespaces (of the management cluster) whose DistributedClouds may use this site, in addition to those namespaceSelector picks.',
            listType: 'set',
            maxItems: 256,
          },
        ),
        namespaceSelector: {
          ...labelSelector,
          tsName: 'NamespaceSelector',
          description:
            'Namespaces (of the management cluster) whose DistributedClouds may use this site, by their labels; {} picks every namespace.',
        },
        allowPrivileged: boolean({
          description:
            'Units whose pods need privileged containers with host network, PID and paths (nova-compute with libvirt) may run here, and their member namespace gets Pod Security "privileged".',
          default: false,
        }),
      },
      {
        tsName: 'EdgeSiteTenancy',
        description:
          'Which DistributedClouds may use this site. Without it (or with neither namespaces nor namespaceSelector) no DistributedCloud may: access is granted explicitly by the site admin.',
        rules: [
          rule<{ namespaces?: string[] }>({
            rule: "!has(self.namespaces) || !self.namespaces.exists(n, n in ['kube-system', 'kube-public', 'kube-node-lease'])",
            message:
              'kube-system, kube-public and kube-node-lease hold no DistributedClouds: they cannot be granted a site',
            fieldPath: '.namespaces',
            check: (self) =>
              !(self.namespaces ?? []).some((n) => ['kube-system', 'kube-public', 'kube-node-lease'].includes(n)),
          }),
        ],
      },
    ),
  },
  {
    tsName: 'EdgeSiteSpec',
    required: ['kubeconfigSecretRef', 'region', 'role', 'network'],
    description: 'Desired state of an EdgeSite.',
    rules: [
      rule<{ role: string; network: { rttMillis: number } }>({
        rule: "self.role != 'core' || self.network.rttMillis == 0.0",
        message: 'rttMillis is measured to the core site, so a core site must have rttMillis 0',
        fieldPath: '.network.rttMillis',
        check: (self) => self.role !== 'core' || self.network.rttMillis === 0,
      }),
    ],
  },
);

const edgeSiteStatus: SchemaNode = object(
  {
    conditions,
    kubernetesVersion: string({ description: 'gitVersion reported by the member cluster, e.g. v1.37.2.' }),
    nodeCount: integer({ description: 'Nodes in the member cluster.', minimum: 0 }),
    address: string({
      description:
        "Address other sites reach this site's NodePorts at: spec.network.address, else the ExternalIP (else InternalIP) of the first Ready node by name.",
      maxLength: 253,
    }),
    lastProbeTime: string({ description: 'When the cluster was last probed.', format: 'date-time' }),
    observedGeneration: integer({ description: 'metadata.generation last reconciled.', minimum: 0 }),
  },
  { tsName: 'EdgeSiteStatus', description: 'Observed state of an EdgeSite (conditions Ready, Reachable).' },
);

export const edgeSite: ResourceDefinition = {
  kind: 'EdgeSite',
  listKind: 'EdgeSiteList',
  plural: 'edgesites',
  singular: 'edgesite',
  shortNames: ['es'],
  categories: ['discovery'],
  scope: 'Cluster',
  printerColumns: [
    { name: 'Region', type: 'string', jsonPath: '.spec.region' },
    { name: 'Role', type: 'string', jsonPath: '.spec.role' },
    { name: 'RTT', type: 'number', jsonPath: '.spec.network.rttMillis', description: 'RTT to the core site (ms)' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'K8s Version', type: 'string', jsonPath: '.status.kubernetesVersion' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Zone', type: 'string', jsonPath: '.spec.zone', priority: 1 },
    { name: 'Nodes', type: 'integer', jsonPath: '.status.nodeCount', priority: 1 },
    { name: 'Bandwidth', type: 'number', jsonPath: '.spec.network.bandwidthMbps', priority: 1 },
  ],
  schema: object(
    {
      apiVersion: string({ tsType: 'typeof API_VERSION', validatorEnum: [API_VERSION] }),
      kind: string({ tsType: "'EdgeSite'", validatorEnum: ['EdgeSite'] }),
      metadata: objectMeta,
      spec: edgeSiteSpec,
      status: edgeSiteStatus,
    },
    {
      tsName: 'EdgeSite',
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      description: 'EdgeSite is one member Kubernetes cluster of the fleet.',
    },
  ),
};
