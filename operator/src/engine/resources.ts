// The API resources the operator deals with: our two custom resources (from their schema definitions) and the kinds
// the renderers produce in member clusters — the one list the member informers watch (readiness, drift, pruning),
// teardown deletes, and the tests check for leftovers.
import { distributedCloud, edgeSite, GROUP, VERSION, type ResourceDefinition } from '../api/schema/index.js';
import { RESOURCES, type ResourceRef } from '../runtime/kube-http.js';

function customResource(def: ResourceDefinition): ResourceRef {
  return { group: GROUP, version: VERSION, plural: def.plural, namespaced: def.scope === 'Namespaced' };
}

export const EDGE_SITES: ResourceRef = customResource(edgeSite);
export const DISTRIBUTED_CLOUDS: ResourceRef = customResource(distributedCloud);

/** Kind → resource of every namespaced kind we render (the Namespace itself is handled apart). */
export const KIND_RESOURCES: Readonly<Record<string, ResourceRef>> = {
  Deployment: RESOURCES.deployments,
  StatefulSet: RESOURCES.statefulSets,
  DaemonSet: RESOURCES.daemonSets,
  Job: RESOURCES.jobs,
  Service: RESOURCES.services,
  ConfigMap: RESOURCES.configMaps,
  Secret: RESOURCES.secrets,
  PersistentVolumeClaim: RESOURCES.persistentVolumeClaims,
};

/** Resources watched in every member cluster (objects carrying our owner label). */
export const OWNED_RESOURCES: readonly ResourceRef[] = [...new Set(Object.values(KIND_RESOURCES))];

export function resourceOfKind(kind: string): ResourceRef | undefined {
  return KIND_RESOURCES[kind];
}
