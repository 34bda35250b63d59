// The CRDs against the real management API server: `kubectl apply -f crds/` works, every sample is accepted and
// defaulted exactly as ajv defaults it, every object of the shared invalid corpus is rejected with the field path and
// message ajv reports too, and `kubectl get es` / `kubectl get dc` print the documented columns.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../../operator/src/api/types.js';
import {
  validateDistributedCloud,
  validateEdgeSite,
  validateResourceObject,
} from '../../../operator/src/api/validate.js';
import { testFleet } from '../../harness/fleet.js';
import { allSamples, invalidCases, REPO_ROOT, type InvalidCase, type Obj } from '../../unit/api/corpus.js';

const run = promisify(execFile);
const fleet = testFleet();
const kubectlBin = resolve(REPO_ROOT, '.tools/bin/kubectl');
const namespace = `api-test-${process.pid}`;
const api = fleet.management.kubeConfig().makeApiClient(CustomObjectsApi);
const core = fleet.management.kubeConfig().makeApiClient(CoreV1Api);

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlBin, ['--kubeconfig', fleet.management.kubeconfigPath, ...args], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
  return stdout;
}

interface ServerError {
  path: string;
  message: string;
}

/**
 * Creates the object with dryRun=All and strict field validation (kubectl's default); returns the server's answer.
 * EdgeSites are cluster-scoped and the samples may already be applied on a shared fleet (main job, e2e tests), so the
 * dry run uses a name of its own: a create must not hit AlreadyExists before validation.
 */
async function dryRunCreate(object: Obj): Promise<{ ok: true; value: Obj } | { ok: false; errors: ServerError[] }> {
  const meta = (object.metadata ?? {}) as Obj;
  const body =
    object.kind === 'EdgeSite' && typeof meta.name === 'string'
      ? { ...object, metadata: { ...meta, name: `${meta.name}-dryrun-${process.pid}` } }
      : object;
  const common = { group: GROUP, version: VERSION, body, dryRun: 'All', fieldValidation: 'Strict' };
  try {
    const value =
      object.kind === 'EdgeSite'
        ? await api.createClusterCustomObject({ ...common, plural: 'edgesites' })
        : await api.createNamespacedCustomObject({ ...common, namespace, plural: 'distributedclouds' });
    return { ok: true, value: value as Obj };
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    if (e.code !== 422 && e.code !== 400) throw err;
    const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as {
      message: string;
      details?: { causes?: { field?: string; message?: string }[] };
    };
    const causes = (status.details?.causes ?? []).map((c) => ({ path: c.field ?? '', message: c.message ?? '' }));
    // Strict decoding errors (unknown fields) come as one message naming the field, without causes.
    return { ok: false, errors: causes.length > 0 ? causes : [{ path: '', message: status.message }] };
  }
}

const matches = (c: InvalidCase) => (e: ServerError) =>
  (e.path === c.path || (e.path === '' && e.message.includes(`"${c.path}"`))) && e.message.includes(c.message);

beforeAll(async () => {
  await kubectl('apply', '-f', 'crds/');
  await kubectl(
    'wait',
    '--for',
    'condition=Established',
    '--timeout=60s',
    'crd/edgesites.discovery.beyondtheclouds.io',
  );
  await kubectl(
    'wait',
    '--for',
    'condition=Established',
    '--timeout=60s',
    'crd/distributedclouds.discovery.beyondtheclouds.io',
  );
  await core.createNamespace({ body: { metadata: { name: namespace } } });
}, 120_000);

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('samples on the API server', () => {
  test('kubectl apply -f crds/samples/ is accepted (server-side dry run)', async () => {
    const out = await kubectl('apply', '--dry-run=server', '-n', namespace, '-f', 'crds/samples/');
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(allSamples().length);
    for (const line of lines) expect(line).toMatch(/(created|configured|unchanged) \(server dry run\)$/);
  }, 60_000);

  test.each(allSamples().map((s): [string, Obj] => [`${s.file} ${String((s.object.metadata as Obj).name)}`, s.object]))(
    '%s: accepted, and defaulted exactly as ajv defaults it',
    async (_name, object) => {
      const server = await dryRunCreate(object);
      if (!server.ok) throw new Error(JSON.stringify(server.errors));
      const local = validateResourceObject(object);
      if (!local.ok) throw new Error(JSON.stringify(local.errors));
      expect(server.value.spec).toEqual((local.value as unknown as Obj).spec);
    },
  );

  test('a DistributedCloud without services, rollout or memcached gets the same defaults from both', async () => {
    const object = structuredClone(allSamples().find((s) => s.file === 'dc-distributed.yaml')!.object);
    for (const k of ['services', 'rollout', 'memcached', 'siteOverrides', 'kvStore']) delete (object.spec as Obj)[k];
    const server = await dryRunCreate(object);
    if (!server.ok) throw new Error(JSON.stringify(server.errors));
    const local = validateDistributedCloud(object);
    if (!local.ok) throw new Error(JSON.stringify(local.errors));
    expect(server.value.spec).toEqual(local.value.spec);
    expect((server.value.spec as Obj).services).toMatchObject({ nova: { enabled: true, replicas: 1 } });
  });
});

describe('invalid objects are rejected by the API server and by ajv alike', () => {
  test.each(invalidCases().map((c): [string, InvalidCase] => [c.name, c]))('%s', async (_name, c) => {
    const server = await dryRunCreate(c.object);
    expect(server.ok).toBe(false);
    if (server.ok) return;
    if (!server.errors.some(matches(c))) {
      throw new Error(`API server: expected ${c.path}: …${c.message}…, got ${JSON.stringify(server.errors, null, 2)}`);
    }
    const local = (c.kind === 'EdgeSite' ? validateEdgeSite : validateDistributedCloud)(c.object);
    expect(local.ok).toBe(false);
    if (local.ok) return;
    // The same path, and for that path the API server's own message (ajv mimics its wording).
    const ajvError = local.errors.find((e) => e.path === c.path);
    expect(ajvError).toBeDefined();
    const serverError = server.errors.find(matches(c))!;
    if (serverError.path !== '') expect(ajvError!.message).toBe(serverError.message);
  });
});

describe('kubectl get columns', () => {
  const esName = `api-columns-${process.pid}`;
  const dcName = 'api-columns';

  beforeAll(async () => {
    const site = structuredClone(allSamples().find((s) => (s.object.metadata as Obj).name === 'edge-2')!.object);
    site.metadata = { name: esName };
    (site.spec as Obj).paused = true; // an operator running against this cluster should leave it alone
    await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'edgesites', body: site });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ready = { type: 'Ready', status: 'True', reason: 'Probed', message: 'reachable', lastTransitionTime: now };
    await api.patchClusterCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: 'edgesites',
      name: esName,
      body: [
        { op: 'add', path: '/status', value: { conditions: [ready], kubernetesVersion: 'v1.37.2', nodeCount: 4 } },
      ],
    });
    const dc = structuredClone(allSamples().find((s) => s.file === 'dc-cells.yaml')!.object);
    dc.metadata = { name: dcName };
    (dc.spec as Obj).paused = true;
    await api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: 'distributedclouds',
      body: dc,
    });
    await api.patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: 'distributedclouds',
      name: dcName,
      body: [{ op: 'add', path: '/status', value: { conditions: [ready], readySites: '3/4', progress: '42/57' } }],
    });
  }, 60_000);

  afterAll(async () => {
    await api
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'edgesites', name: esName })
      .catch(() => undefined);
  });

  const table = (out: string): { header: string[]; row: string[] } => {
    const [header, row] = out.trim().split('\n');
    const split = (l: string) => l.trim().split(/\s{2,}/);
    return { header: split(header!), row: split(row!) };
  };

  test('kubectl get es', async () => {
    const { header, row } = table(await kubectl('get', 'es', esName));
    expect(header).toEqual(['NAME', 'REGION', 'ROLE', 'RTT', 'READY', 'K8S VERSION', 'AGE']);
    expect(row.slice(0, 6)).toEqual([esName, 'nantes', 'edge', '45', 'True', 'v1.37.2']);
    const wide = table(await kubectl('get', 'es', esName, '-o', 'wide'));
    expect(wide.header.slice(-3)).toEqual(['ZONE', 'NODES', 'BANDWIDTH']);
  });

  test('kubectl get dc', async () => {
    const { header, row } = table(await kubectl('get', 'dc', dcName, '-n', namespace));
    expect(header).toEqual(['NAME', 'TOPOLOGY', 'SITES', 'READY', 'PROGRESS', 'AGE']);
    expect(row.slice(0, 5)).toEqual([dcName, 'cells', '3/4', 'True', '42/57']);
  });

  test('the discovery category lists both kinds', async () => {
    const out = await kubectl('get', 'discovery', '-A', '-o', 'name');
    expect(out).toContain(`edgesite.discovery.beyondtheclouds.io/${esName}`);
    expect(out).toContain(`distributedcloud.discovery.beyondtheclouds.io/${dcName}`);
  });
});
