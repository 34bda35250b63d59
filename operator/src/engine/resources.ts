// The kinds the renderers produce in member clusters and the API resources they map to: what the member informers
// watch (readiness, drift, pruning) and what teardown deletes.
import { RESOURCES, type ResourceRef } from '../runtime/informer.js';

export const PERSISTENT_VOLUME_CLAIMS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'persistentvolumeclaims',
  namespaced: true,
};

/** Kind → resource of every namespaced kind we render (the Namespace itself is handled apart). */
export const KIND_RESOURCES: Readonly<Record<string, ResourceRef>> = {
  Deployment: RESOURCES.deployments,
  StatefulSet: RESOURCES.statefulSets,
  DaemonSet: RESOURCES.daemonSets,
  Job: RESOURCES.jobs,
  Service: RESOURCES.services,
  ConfigMap: RESOURCES.configMaps,
  Secret: RESOURCES.secrets,
  PersistentVolumeClaim: PERSISTENT_VOLUME_CLAIMS,
};

/** Resources watched in every member cluster (label discovery.beyondtheclouds.io/dc exists). */
export const MEMBER_RESOURCES: ResourceRef[] = [...new Set(Object.values(KIND_RESOURCES))];

export function resourceOfKind(kind: string): ResourceRef | undefined {
  return KIND_RESOURCES[kind];
}
