// Shared by the ajv unit tests and the API-server integration tests: the samples, and a corpus of invalid objects,
// each breaking exactly one rule, with the field path and message (a substring) both validators must report.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';

export type Obj = Record<string, unknown>;

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SAMPLE_FILES = ['sites.yaml', 'dc-centralized.yaml', 'dc-cells.yaml', 'dc-distributed.yaml'];

export function loadSamples(file: string): Obj[] {
  return (loadAll(readFileSync(resolve(REPO_ROOT, 'crds/samples', file), 'utf8')) as Obj[]).filter(
    (d) => d !== null && d !== undefined,
  );
}

export function allSamples(): { file: string; object: Obj }[] {
  return SAMPLE_FILES.flatMap((file) => loadSamples(file).map((object) => ({ file, object })));
}

export interface InvalidCase {
  /** Distinct description; also what the test is called. */
  name: string;
  kind: 'EdgeSite' | 'DistributedCloud';
  object: Obj;
  /** Field path both the API server and ajv report, e.g. `spec.rollout.maxParallelUnits`. */
  path: string;
  /** Substring of the message both report at that path. */
  message: string;
}

const clone = <T>(v: T): T => structuredClone(v);

function baseEdgeSite(): Obj {
  return clone(loadSamples('sites.yaml').find((o) => (o.metadata as Obj).name === 'edge-1')!);
}
function baseCoreSite(): Obj {
  return clone(loadSamples('sites.yaml').find((o) => (o.metadata as Obj).name === 'core')!);
}
function baseDc(file = 'dc-centralized.yaml'): Obj {
  return clone(loadSamples(file)[0]!);
}

/** Sets (or, with undefined, deletes) a dotted path like `spec.rollout.maxParallelUnits`, creating parents. */
function set(obj: Obj, path: string, value: unknown): Obj {
  const parts = path.split('.');
  let cur: Obj = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Obj;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return obj;
}

type Mutation = [path: string, value: unknown];

function es(name: string, mutations: Mutation[], path: string, message: string, base = baseEdgeSite): InvalidCase {
  const object = base();
  for (const [p, v] of mutations) set(object, p, v);
  return { name, kind: 'EdgeSite', object, path, message };
}

function dc(name: string, mutations: Mutation[], path: string, message: string, file?: string): InvalidCase {
  const object = baseDc(file);
  for (const [p, v] of mutations) set(object, p, v);
  return { name, kind: 'DistributedCloud', object, path, message };
}

const CORE_SITE_REQUIRED = 'coreSite is required when topology is centralized or cells';
const SELECTOR_VALUES = 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist';

export function invalidCases(): InvalidCase[] {
  const cases: InvalidCase[] = [
    // ---- DistributedCloud --------------------------------------------------------------------------------------
    dc('unknown topology', [['spec.topology', 'mesh']], 'spec.topology', 'Unsupported value: "mesh"'),
    dc('centralized without coreSite', [['spec.coreSite', undefined]], 'spec.coreSite', CORE_SITE_REQUIRED),
    dc('cells without coreSite', [['spec.coreSite', undefined]], 'spec.coreSite', CORE_SITE_REQUIRED, 'dc-cells.yaml'),
    dc(
      'neither siteSelector nor sites',
      [['spec.sites', undefined]],
      'spec',
      'at least one of siteSelector or sites must be set',
    ),
    dc(
      'negative service replicas',
      [['spec.services.keystone.replicas', -1]],
      'spec.services.keystone.replicas',
      'should be greater than or equal to 0',
    ),
    dc(
      'too many service replicas',
      [['spec.services.nova.replicas', 1000]],
      'spec.services.nova.replicas',
      'should be less than or equal to 100',
    ),
    dc(
      'negative maxParallelUnits',
      [['spec.rollout.maxParallelUnits', -1]],
      'spec.rollout.maxParallelUnits',
      'should be greater than or equal to 0',
    ),
    dc(
      'negative maxParallelSites',
      [['spec.rollout.maxParallelSites', -3]],
      'spec.rollout.maxParallelSites',
      'should be greater than or equal to 0',
    ),
    dc(
      'zero unit timeout',
      [['spec.rollout.unitTimeoutSeconds', 0]],
      'spec.rollout.unitTimeoutSeconds',
      'should be greater than or equal to 1',
    ),
    dc(
      'unit timeout over a day',
      [['spec.rollout.unitTimeoutSeconds', 100000]],
      'spec.rollout.unitTimeoutSeconds',
      'should be less than or equal to 86400',
    ),
    dc(
      'selector In without values',
      [['spec.siteSelector.matchExpressions', [{ key: 'discovery.beyondtheclouds.io/fleet', operator: 'In' }]]],
      'spec.siteSelector.matchExpressions[0].values',
      SELECTOR_VALUES,
      'dc-distributed.yaml',
    ),
    dc(
      'selector Exists with values',
      [['spec.siteSelector.matchExpressions', [{ key: 'tier', operator: 'Exists', values: ['edge'] }]]],
      'spec.siteSelector.matchExpressions[0].values',
      SELECTOR_VALUES,
      'dc-distributed.yaml',
    ),
    dc(
      'selector with an unknown operator',
      [['spec.siteSelector.matchExpressions', [{ key: 'tier', operator: 'Equals', values: ['edge'] }]]],
      'spec.siteSelector.matchExpressions[0].operator',
      'Unsupported value: "Equals"',
      'dc-distributed.yaml',
    ),
    dc(
      'selector label value with a space',
      [['spec.siteSelector.matchExpressions', [{ key: 'tier', operator: 'In', values: ['far edge'] }]]],
      'spec.siteSelector.matchExpressions[0].values[0]',
      'should match',
      'dc-distributed.yaml',
    ),
    dc('release is not a series', [['spec.release', 'caracal']], 'spec.release', 'Unsupported value: "caracal"'),
    // Shaped like a series but not one the renderers support: refused up front, not at render time.
    dc(
      'release the renderers do not support',
      [['spec.release', '2022.1']],
      'spec.release',
      'Unsupported value: "2022.1": supported values: "2023.1"',
    ),
    dc('unknown database', [['spec.database.type', 'postgres']], 'spec.database.type', 'Unsupported value: "postgres"'),
    dc(
      'unknown message bus',
      [['spec.messageBus.type', 'kafka']],
      'spec.messageBus.type',
      'Unsupported value: "kafka"',
    ),
    dc('unknown kv store', [['spec.kvStore', { type: 'memcached' }]], 'spec.kvStore.type', 'Unsupported value'),
    dc('missing database', [['spec.database', undefined]], 'spec.database', 'Required value'),
    dc('missing release', [['spec.release', undefined]], 'spec.release', 'Required value'),
    dc(
      'cockroachdb (no OpenStack service supports it)',
      [['spec.database.type', 'cockroachdb']],
      'spec.database.type',
      'cockroachdb is not supported',
      'dc-distributed.yaml',
    ),
    dc(
      'qpid-dispatch on a release without the AMQP 1.0 driver',
      [['spec.messageBus.type', 'qpid-dispatch']],
      'spec.messageBus.type',
      'qpid-dispatch needs oslo.messaging',
      'dc-distributed.yaml',
    ),
    dc(
      'a kv store no service uses',
      [['spec.kvStore', { type: 'redis' }]],
      'spec.kvStore',
      'kvStore is not supported yet',
    ),
    dc(
      'image registry with an upper-case path',
      [['spec.images', { registry: 'Registry.example.org/Kolla' }]],
      'spec.images.registry',
      'should match',
    ),
    dc(
      'image registry smuggling a tag',
      [['spec.images', { registry: 'registry.example.org/kolla:evil' }]],
      'spec.images.registry',
      'should match',
    ),
    dc('image tag with a slash', [['spec.images', { tag: '2025.1/../x' }]], 'spec.images.tag', 'should match'),
    dc(
      'service image with whitespace and a shell command',
      [['spec.services.nova', { image: 'quay.io/x/nova:1 ; rm -rf /' }]],
      'spec.services.nova.image',
      'should match',
    ),
    dc(
      'pull policy outside the Kubernetes values',
      [['spec.images', { pullPolicy: 'Sometimes' }]],
      'spec.images.pullPolicy',
      'Unsupported value',
    ),
    dc(
      'two overrides for one site',
      [['spec.siteOverrides', [{ site: 'edge-1' }, { site: 'edge-1', nodeSelector: { a: 'b' } }]]],
      'spec.siteOverrides[1]',
      'Duplicate value',
    ),
    dc('a site listed twice', [['spec.sites', ['core', 'edge-1', 'edge-1']]], 'spec.sites[2]', 'Duplicate value'),
    dc('no sites at all', [['spec.sites', []]], 'spec.sites', 'should have at least 1 items'),
    dc('site name not a DNS label', [['spec.sites', ['core', 'Edge_1']]], 'spec.sites[1]', 'should match'),
    dc(
      'coreSite outside sites',
      [['spec.coreSite', 'edge-9']],
      'spec.coreSite',
      'coreSite must be one of sites when sites alone selects the EdgeSites',
    ),
    dc(
      'override for an unlisted site',
      [['spec.siteOverrides', [{ site: 'edge-9' }]]],
      'spec.siteOverrides',
      'every siteOverrides[].site must be one of sites',
    ),
    dc(
      'override without site',
      [['spec.siteOverrides', [{ nodeSelector: { a: 'b' } }]]],
      'spec.siteOverrides[0].site',
      'Required value',
    ),
    dc(
      'replicas given as a string',
      [['spec.services.nova.replicas', 'two']],
      'spec.services.nova.replicas',
      'must be of type integer',
    ),
    dc(
      'storage size not a quantity',
      [['spec.database.storageSize', 'lots']],
      'spec.database.storageSize',
      'should match',
    ),
    dc('unknown spec field', [['spec.replicaCount', 3]], 'spec.replicaCount', 'unknown field "spec.replicaCount"'),
    dc(
      'unknown nested field',
      [['spec.rollout.maxSurge', 2]],
      'spec.rollout.maxSurge',
      'unknown field "spec.rollout.maxSurge"',
    ),
    // ---- EdgeSite ----------------------------------------------------------------------------------------------
    es('unknown role', [['spec.role', 'hub']], 'spec.role', 'Unsupported value: "hub"'),
    es(
      'negative rtt',
      [['spec.network.rttMillis', -5]],
      'spec.network.rttMillis',
      'should be greater than or equal to 0',
    ),
    es(
      'rtt beyond ten seconds',
      [['spec.network.rttMillis', 20000]],
      'spec.network.rttMillis',
      'should be less than or equal to 10000',
    ),
    es(
      'loss over 100 percent',
      [['spec.network.lossPercent', 150]],
      'spec.network.lossPercent',
      'should be less than or equal to 100',
    ),
    es(
      'zero bandwidth',
      [['spec.network.bandwidthMbps', 0]],
      'spec.network.bandwidthMbps',
      'should be greater than or equal to 1',
    ),
    es('missing network', [['spec.network', undefined]], 'spec.network', 'Required value'),
    es(
      'missing secret name',
      [['spec.kubeconfigSecretRef.name', undefined]],
      'spec.kubeconfigSecretRef.name',
      'Required value',
    ),
    es(
      'secret namespace not a DNS label',
      [['spec.kubeconfigSecretRef.namespace', 'Discovery_System']],
      'spec.kubeconfigSecretRef.namespace',
      'should match',
    ),
    es(
      'kubeconfig Secret in kube-system',
      [['spec.kubeconfigSecretRef.namespace', 'kube-system']],
      'spec.kubeconfigSecretRef.namespace',
      'kubeconfig Secrets are never read from kube-system',
    ),
    es('empty region', [['spec.region', '']], 'spec.region', 'should be at least 1 chars long'),
    es('fractional cpu cores', [['spec.capacity.cpuCores', 1.5]], 'spec.capacity.cpuCores', 'must be of type integer'),
    es(
      'core site with an rtt',
      [['spec.network.rttMillis', 20]],
      'spec.network.rttMillis',
      'a core site must have rttMillis 0',
      baseCoreSite,
    ),
    // ---- EdgeSite tenancy (hostile grants: the API server refuses them before the operator sees them) -------------
    es(
      'tenancy grants kube-system',
      [['spec.tenancy.namespaces', ['openstack', 'kube-system']]],
      'spec.tenancy.namespaces',
      'kube-system, kube-public and kube-node-lease hold no DistributedClouds',
    ),
    es(
      'tenancy namespace that is not a DNS label',
      [['spec.tenancy.namespaces', ['../openstack']]],
      'spec.tenancy.namespaces[0]',
      'should match',
    ),
    es(
      'tenancy namespaces with a duplicate',
      [['spec.tenancy.namespaces', ['openstack', 'openstack']]],
      'spec.tenancy.namespaces[1]',
      'Duplicate value',
    ),
    es(
      'allowPrivileged as a string',
      [['spec.tenancy.allowPrivileged', 'true']],
      'spec.tenancy.allowPrivileged',
      'must be of type boolean',
    ),
    es(
      'namespaceSelector In without values',
      [['spec.tenancy.namespaceSelector', { matchExpressions: [{ key: 'team', operator: 'In' }] }]],
      'spec.tenancy.namespaceSelector.matchExpressions[0].values',
      SELECTOR_VALUES,
    ),
    es(
      'unknown tenancy field',
      [['spec.tenancy.allowAll', true]],
      'spec.tenancy.allowAll',
      'unknown field "spec.tenancy.allowAll"',
    ),
    es(
      'unknown network field',
      [['spec.network.jitterMillis', 3]],
      'spec.network.jitterMillis',
      'unknown field "spec.network.jitterMillis"',
    ),
  ];
  // Unique names so the API server never answers AlreadyExists instead of validating.
  cases.forEach((c, i) => ((c.object.metadata as Obj).name = `invalid-${i}`));
  return cases;
}
