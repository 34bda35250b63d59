// Readiness of live Kubernetes objects, read the way kubectl rollout status / kstatus do: one pure verdict per object
// (ready, failed, message) and the aggregate of a unit's objects. No I/O.

/** A live object as the API server returns it (raw JSON). */
export interface LiveObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    [field: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Readiness {
  ready: boolean;
  failed: boolean;
  /** Why it is not ready (or why it failed); empty when ready. */
  message: string;
}

interface StatusCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

const READY: Readiness = { ready: true, failed: false, message: '' };
const waiting = (message: string): Readiness => ({ ready: false, failed: false, message });
const failed = (message: string): Readiness => ({ ready: false, failed: true, message });

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function condition(status: Record<string, unknown> | undefined, type: string): StatusCondition | undefined {
  const list = status?.conditions;
  return Array.isArray(list) ? (list as StatusCondition[]).find((c) => c?.type === type) : undefined;
}

function describe(obj: LiveObject): string {
  return `${obj.kind ?? 'object'} ${obj.metadata?.name ?? ''}`.trim();
}

/** The controller has seen the latest spec (status.observedGeneration >= metadata.generation). */
function observed(obj: LiveObject): boolean {
  const generation = obj.metadata?.generation;
  if (generation === undefined) return true;
  return num(obj.status?.observedGeneration) >= generation;
}

function desiredReplicas(obj: LiveObject): number {
  const r = obj.spec?.replicas;
  return typeof r === 'number' ? r : 1;
}

function deployment(obj: LiveObject): Readiness {
  const name = describe(obj);
  if (!observed(obj)) return waiting(`${name}: rollout not observed yet`);
  const progressing = condition(obj.status, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded')
    return failed(`${name}: ${progressing.message ?? 'progress deadline exceeded'}`);
  const replicas = desiredReplicas(obj);
  const updated = num(obj.status?.updatedReplicas);
  const available = num(obj.status?.availableReplicas);
  const total = num(obj.status?.replicas);
  if (updated < replicas) return waiting(`${name}: ${updated}/${replicas} replicas updated`);
  if (total > updated) return waiting(`${name}: ${total - updated} old replicas pending termination`);
  if (available < replicas) return waiting(`${name}: ${available}/${replicas} replicas available`);
  if (replicas > 0 && condition(obj.status, 'Available')?.status !== 'True') return waiting(`${name}: not Available`);
  return READY;
}

function statefulSet(obj: LiveObject): Readiness {
  const name = describe(obj);
  if (!observed(obj)) return waiting(`${name}: rollout not observed yet`);
  const replicas = desiredReplicas(obj);
  const ready = num(obj.status?.readyReplicas);
  const updated = num(obj.status?.updatedReplicas);
  if (ready < replicas) return waiting(`${name}: ${ready}/${replicas} replicas ready`);
  const strategy = (obj.spec?.updateStrategy as { type?: string } | undefined)?.type;
  if (strategy !== 'OnDelete' && updated < replicas) return waiting(`${name}: ${updated}/${replicas} replicas updated`);
  return READY;
}

function daemonSet(obj: LiveObject): Readiness {
  const name = describe(obj);
  if (!observed(obj)) return waiting(`${name}: rollout not observed yet`);
  const desired = num(obj.status?.desiredNumberScheduled);
  const ready = num(obj.status?.numberReady);
  const updated = num(obj.status?.updatedNumberScheduled);
  if (updated < desired) return waiting(`${name}: ${updated}/${desired} pods updated`);
  if (ready < desired) return waiting(`${name}: ${ready}/${desired} pods ready`);
  return READY;
}

function job(obj: LiveObject): Readiness {
  const name = describe(obj);
  const failedCondition = condition(obj.status, 'Failed');
  if (failedCondition?.status === 'True')
    return failed(`${name} failed: ${failedCondition.message ?? failedCondition.reason ?? 'unknown reason'}`);
  if (condition(obj.status, 'Complete')?.status === 'True') return READY;
  const active = num(obj.status?.active);
  const failures = num(obj.status?.failed);
  return waiting(`${name}: not complete (${active} active, ${failures} failed attempts)`);
}

function persistentVolumeClaim(_obj: LiveObject): Readiness {
  // Bound is the normal end state; WaitForFirstConsumer claims stay Pending until a pod uses them, so Pending is
  // not an error and does not block the unit (the pod that mounts it carries the readiness).
  return READY;
}

/** Readiness of one live object (undefined = it does not exist). */
export function objectReadiness(obj: LiveObject | undefined, expected?: { kind: string; name: string }): Readiness {
  if (!obj) return waiting(`${expected ? `${expected.kind} ${expected.name}` : 'object'} does not exist`);
  if (obj.metadata?.deletionTimestamp) return waiting(`${describe(obj)} is being deleted`);
  switch (obj.kind) {
    case 'Deployment':
      return deployment(obj);
    case 'StatefulSet':
      return statefulSet(obj);
    case 'DaemonSet':
      return daemonSet(obj);
    case 'Job':
      return job(obj);
    case 'PersistentVolumeClaim':
      return persistentVolumeClaim(obj);
    default:
      // ConfigMap, Secret, Service, ServiceAccount, Namespace...: ready once they exist.
      return READY;
  }
}

/**
 * Readiness of a unit: every object ready. Failed as soon as one object failed (its message first); otherwise the
 * first waiting message, plus how many other objects wait.
 */
export function unitReadiness(
  objects: ReadonlyArray<{ live: LiveObject | undefined; kind: string; name: string }>,
): Readiness {
  const verdicts = objects.map((o) => objectReadiness(o.live, o));
  const failure = verdicts.find((v) => v.failed);
  if (failure) return failure;
  const waitingOnes = verdicts.filter((v) => !v.ready);
  if (waitingOnes.length === 0) return READY;
  const more = waitingOnes.length > 1 ? ` (+${waitingOnes.length - 1} more)` : '';
  return waiting(`${waitingOnes[0]!.message}${more}`);
}
