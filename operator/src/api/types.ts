// TypeScript shapes of the discovery.beyondtheclouds.io/v1alpha1 resources.
// CONTRACT DRAFT: to be replaced by types generated from the schema source (same export names).

export const GROUP = 'discovery.beyondtheclouds.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type SiteRole = 'core' | 'edge' | 'far-edge';

export interface EdgeSiteSpec {
  kubeconfigSecretRef: { namespace: string; name: string; key?: string };
  region: string;
  zone?: string;
  role: SiteRole;
  network: { rttMillis: number; bandwidthMbps: number; lossPercent?: number };
  capacity?: { cpuCores?: number; memoryGiB?: number; computeNodes?: number };
  paused?: boolean;
}
export interface EdgeSiteStatus {
  conditions?: Condition[];
  kubernetesVersion?: string;
  nodeCount?: number;
  lastProbeTime?: string;
  observedGeneration?: number;
}
export interface EdgeSite {
  apiVersion: typeof API_VERSION;
  kind: 'EdgeSite';
  metadata: ObjectMeta;
  spec: EdgeSiteSpec;
  status?: EdgeSiteStatus;
}

/** INI overrides: section -> key -> value. */
export type ConfigOverrides = Record<string, Record<string, string>>;

export interface ServiceSpec {
  enabled?: boolean; // default true
  replicas?: number; // default 1
  image?: string;
  config?: ConfigOverrides;
}
export type ServiceName = 'keystone' | 'glance' | 'placement' | 'nova';
export type Topology = 'centralized' | 'cells' | 'distributed';

export interface SiteOverride {
  site: string;
  replicas?: Partial<Record<ServiceName, number>>;
  images?: Partial<Record<ServiceName, string>>;
  config?: Partial<Record<ServiceName, ConfigOverrides>>;
  nodeSelector?: Record<string, string>;
}

export interface DistributedCloudSpec {
  release: string; // OpenStack series, e.g. "2024.1"
  topology: Topology;
  coreSite?: string;
  siteSelector?: LabelSelector;
  sites?: string[];
  services: Partial<Record<ServiceName, ServiceSpec>>;
  messageBus: { type: 'rabbitmq' | 'qpid-dispatch'; replicas?: number };
  database: { type: 'mariadb' | 'galera' | 'cockroachdb'; replicas?: number; storageSize?: string };
  kvStore?: { type: 'redis' | 'etcd' };
  memcached?: { enabled?: boolean; replicas?: number };
  siteOverrides?: SiteOverride[];
  rollout?: {
    maxParallelUnits?: number; // default 0 = unbounded
    maxParallelSites?: number; // default 0 = unbounded
    stopOnFailure?: boolean; // default true
    unitTimeoutSeconds?: number; // default 600
  };
  paused?: boolean;
}

export type UnitPhase = 'Pending' | 'Applying' | 'Ready' | 'Failed' | 'Deleting';
export interface UnitStatus {
  name: string; // unit id, e.g. "keystone-db-sync@core-1"
  site: string;
  component: string;
  step: string;
  phase: UnitPhase;
  message?: string;
  lastTransitionTime?: string;
  inputHash?: string;
}
export interface SiteSummary {
  name: string;
  reachable: boolean;
  unitsReady: number;
  unitsTotal: number;
  message?: string;
}
export interface DistributedCloudStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  sites?: SiteSummary[];
  units?: UnitStatus[];
  plan?: { units: number; depth: number; criticalPathSeconds: number; sites: number };
  readySites?: string; // e.g. "3/4" for printer columns
  progress?: string; // e.g. "42/57"
}
export interface DistributedCloud {
  apiVersion: typeof API_VERSION;
  kind: 'DistributedCloud';
  metadata: ObjectMeta;
  spec: DistributedCloudSpec;
  status?: DistributedCloudStatus;
}
