// Builders for the Kubernetes objects the component renderers emit: config Secrets, Services, Jobs with an input
// hash in their name, and Deployments / StatefulSets / DaemonSets with probes, resources and security contexts.
import { GLOBAL_SITE, type Unit } from '../planner/types.js';
import { hashOf, shortHash } from './hash.js';
import { ANNOTATION_CONFIG_HASH, ANNOTATION_INPUT_HASH, selectorLabels } from './labels.js';
import { nodeSelectorFor, type NodeRole } from './overrides.js';
import type { K8sObject, RenderContext } from './types.js';

export type Json = Record<string, unknown>;

/** A file delivered to containers through a Secret key mounted with subPath at `path`. */
export interface ConfigFile {
  key: string;
  /** Where the file is mounted; undefined = not mounted (consumed through env valueFrom, for instance). */
  path?: string;
  content: string;
  mode?: number;
}

export function secretOf(name: string, data: Record<string, string>, type = 'Opaque'): K8sObject {
  const encoded: Record<string, string> = {};
  for (const k of Object.keys(data).sort()) encoded[k] = Buffer.from(data[k]!, 'utf8').toString('base64');
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type, data: encoded };
}

/** volumeClaimTemplate `data` of a StatefulSet (ReadWriteOnce, the cluster's default StorageClass). */
export function dataClaim(size: string): Record<string, unknown> {
  return {
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } },
  };
}

export function configMapOf(name: string, data: Record<string, string>): K8sObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

/** Secret carrying a unit's config files (Secrets, not ConfigMaps, because the files embed credentials). */
export function configSecret(name: string, files: ConfigFile[]): K8sObject {
  return secretOf(name, Object.fromEntries(files.map((f) => [f.key, f.content])));
}

export function configVolume(secretName: string): Json {
  return { name: 'config', secret: { secretName, defaultMode: 0o440 } };
}

/** Where the Kolla container contract mounts config.json and the files it names (the whole config Secret). */
export const KOLLA_CONFIG_DIR = '/var/lib/kolla/config_files';

/** The Kolla images' start: dumb-init as PID 1, kolla_start copies the files config.json names, then runs its command. */
export const KOLLA_START = ['dumb-init', '--single-child', '--', 'kolla_start'];

/** A file kolla_start copies from KOLLA_CONFIG_DIR to `dest` with `owner` and `perm` before the command starts. */
export interface KollaFile {
  key: string;
  content: string;
  dest: string;
  owner: string;
  perm: string;
}

/**
 * The config Secret's files of a container following the Kolla contract: the copied files, `extra` files read in
 * place under KOLLA_CONFIG_DIR (scripts, probe credentials), and config.json naming the command.
 */
export function kollaConfigFiles(command: string, files: KollaFile[], extra: ConfigFile[] = []): ConfigFile[] {
  const config = {
    command,
    config_files: files.map((f) => ({
      source: `${KOLLA_CONFIG_DIR}/${f.key}`,
      dest: f.dest,
      owner: f.owner,
      perm: f.perm,
    })),
  };
  return [
    ...files.map((f) => ({ key: f.key, content: f.content })),
    ...extra.map((f) => ({ key: f.key, content: f.content })),
    { key: 'config.json', content: `${JSON.stringify(config, null, 2)}\n` },
  ];
}

/** The mount of the whole config Secret at KOLLA_CONFIG_DIR. */
export function kollaConfigMount(): Json {
  return { name: 'config', mountPath: KOLLA_CONFIG_DIR, readOnly: true };
}

export function configMounts(files: ConfigFile[]): Json[] {
  return files
    .filter((f) => f.path !== undefined)
    .map((f) => ({ name: 'config', mountPath: f.path, subPath: f.key, readOnly: true }));
}

export interface ServicePort {
  name: string;
  port: number;
}

export function serviceOf(
  name: string,
  selector: Record<string, string>,
  ports: ServicePort[],
  opts: { headless?: boolean; publishNotReady?: boolean } = {},
): K8sObject {
  const spec: Json = {
    selector,
    ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' })),
  };
  if (opts.headless) spec.clusterIP = 'None';
  else spec.type = 'ClusterIP';
  if (opts.publishNotReady) spec.publishNotReadyAddresses = true;
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec };
}

/** Pod-level restricted security context (Pod Security Standard "restricted") for a given uid. */
export function restrictedPodSecurity(uid: number): Json {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export const RESTRICTED_CONTAINER: Json = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: false,
};

export function resources(cpu: string, memory: string, memoryLimit: string): Json {
  return { requests: { cpu, memory }, limits: { memory: memoryLimit } };
}

export function tcpProbe(port: number, initialDelaySeconds = 10, periodSeconds = 10): Json {
  return { tcpSocket: { port }, initialDelaySeconds, periodSeconds, timeoutSeconds: 5, failureThreshold: 6 };
}

export function httpProbe(path: string, port: number, initialDelaySeconds = 10, periodSeconds = 10): Json {
  return { httpGet: { path, port }, initialDelaySeconds, periodSeconds, timeoutSeconds: 5, failureThreshold: 6 };
}

export function execProbe(command: string[], initialDelaySeconds = 10, periodSeconds = 10, timeoutSeconds = 5): Json {
  return { exec: { command }, initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold: 6 };
}

export function antiAffinity(selector: Record<string, string>): Json {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' },
        },
      ],
    },
  };
}

export interface PodOptions {
  role: NodeRole;
  containers: Json[];
  initContainers?: Json[];
  volumes?: Json[];
  securityContext?: Json;
  /** Spread pods across nodes (workloads), not for Jobs. */
  spread?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
}

/** Pod template: selector labels, config hash annotation (config changes roll pods), node selector, affinity. */
export function podTemplate(
  ctx: RenderContext,
  unit: Unit,
  component: string,
  step: string,
  configHash: string,
  opts: PodOptions,
): Json {
  const labels = selectorLabels(ctx, component, step, unit.site);
  const spec: Json = {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    nodeSelector: nodeSelectorFor(ctx, unit.targetSite, opts.role),
    containers: opts.containers,
  };
  if (opts.initContainers?.length) spec.initContainers = opts.initContainers;
  if (opts.volumes?.length) spec.volumes = opts.volumes;
  if (opts.securityContext) spec.securityContext = opts.securityContext;
  if (opts.spread) spec.affinity = antiAffinity(labels);
  if (opts.hostNetwork) {
    spec.hostNetwork = true;
    spec.dnsPolicy = 'ClusterFirstWithHostNet';
  }
  if (opts.hostPID) spec.hostPID = true;
  if (opts.restartPolicy) spec.restartPolicy = opts.restartPolicy;
  if (opts.terminationGracePeriodSeconds !== undefined)
    spec.terminationGracePeriodSeconds = opts.terminationGracePeriodSeconds;
  return { metadata: { labels, annotations: { [ANNOTATION_CONFIG_HASH]: configHash } }, spec };
}

export function configHashOf(objects: K8sObject[]): string {
  return hashOf(objects.map((o) => ({ kind: o.kind, name: o.metadata.name, data: o.data ?? null })));
}

export interface WorkloadOptions extends PodOptions {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
  replicas?: number;
  /** Config objects (Secrets/ConfigMaps) whose content rolls the pods when it changes. */
  config: K8sObject[];
  /** StatefulSet: governing headless Service name and volume claim templates. */
  serviceName?: string;
  volumeClaimTemplates?: Json[];
  podManagementPolicy?: string;
}

export function workload(ctx: RenderContext, unit: Unit, opts: WorkloadOptions): K8sObject {
  const template = podTemplate(ctx, unit, unit.component, unit.step, configHashOf(opts.config), opts);
  const selector = { matchLabels: selectorLabels(ctx, unit.component, unit.step, unit.site) };
  const spec: Json = { selector, template };
  if (opts.kind === 'Deployment') {
    spec.replicas = opts.replicas ?? 1;
    spec.revisionHistoryLimit = 3;
    spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
  } else if (opts.kind === 'StatefulSet') {
    spec.replicas = opts.replicas ?? 1;
    spec.serviceName = opts.serviceName ?? opts.name;
    spec.podManagementPolicy = opts.podManagementPolicy ?? 'OrderedReady';
    spec.updateStrategy = { type: 'RollingUpdate' };
    if (opts.volumeClaimTemplates) spec.volumeClaimTemplates = opts.volumeClaimTemplates;
  } else {
    spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } };
  }
  return { apiVersion: 'apps/v1', kind: opts.kind, metadata: { name: opts.name }, spec };
}

/**
 * Job name prefix: the step's name, plus the unit's site when the unit runs on another site's cluster on its behalf
 * (cells: create-cell@edge-1 runs at the core), so per-cell Jobs on one cluster never collide.
 */
export function jobBaseName(unit: Unit, baseName: string): string {
  return unit.site !== unit.targetSite && unit.site !== GLOBAL_SITE ? `${baseName}-${unit.site}` : baseName;
}

export interface JobOptions {
  /** Name prefix: the Job is named `<baseName>-<hash8 of its inputs>`. */
  baseName: string;
  image: string;
  command: string[];
  files: ConfigFile[];
  uid: number;
  env?: Json[];
  role?: NodeRole;
  /** False when the image needs root (e.g. database clients run by images without a fixed user). */
  restricted?: boolean;
  /** More volumes of the pod and their mounts in the container (e.g. key repositories from Secrets). */
  volumes?: Json[];
  volumeMounts?: Json[];
}

/**
 * A Job plus the Secret holding its files. The Job's name and `input-hash` annotation carry the hash of everything
 * it runs (image, command, files, env), so the operator reruns it exactly when an input changes.
 * backoffLimit is set; ttlSecondsAfterFinished is not (the operator reads completion from the Job).
 */
export function job(ctx: RenderContext, unit: Unit, opts: JobOptions): K8sObject[] {
  const baseName = jobBaseName(unit, opts.baseName);
  const secretName = `${baseName}-etc`;
  const config = configSecret(secretName, opts.files);
  const mounted = opts.files.length > 0;
  const container: Json = {
    name: unit.step,
    image: opts.image,
    imagePullPolicy: 'IfNotPresent',
    command: opts.command,
    resources: resources('100m', '128Mi', '512Mi'),
    securityContext: RESTRICTED_CONTAINER,
  };
  if (opts.env?.length) container.env = opts.env;
  const mounts = [...(mounted ? configMounts(opts.files) : []), ...(opts.volumeMounts ?? [])];
  if (mounts.length) container.volumeMounts = mounts;
  const template = podTemplate(ctx, unit, unit.component, unit.step, configHashOf(mounted ? [config] : []), {
    role: opts.role ?? 'control-plane',
    containers: [container],
    volumes: [...(mounted ? [configVolume(secretName)] : []), ...(opts.volumes ?? [])],
    securityContext: opts.restricted === false ? undefined : restrictedPodSecurity(opts.uid),
    restartPolicy: 'OnFailure',
  });
  const inputHash = hashOf({ template, files: opts.files });
  const jobObj: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${opts.baseName}-${inputHash.slice(0, 8)}`,
      annotations: { [ANNOTATION_INPUT_HASH]: inputHash },
    },
    spec: { backoffLimit: 6, completions: 1, parallelism: 1, template },
  };
  return mounted ? [config, jobObj] : [jobObj];
}

export { shortHash };
