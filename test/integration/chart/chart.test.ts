// The Helm chart on the local fleet: lint/template are clean and render what the operator contract needs, bad values
// fail on values.schema.json with a clear message, and install → Ready → uninstall works in the management cluster.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { chartCrdDrift } from '../../../hack/sync-chart-crds.js';
import { testFleet } from '../../harness/fleet.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const chart = join(repo, 'charts/discovery-operator');
const helmBin = join(repo, '.tools/bin/helm');
const kubectlBin = join(repo, '.tools/bin/kubectl');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(bin, args, { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

async function ok(bin: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(bin, args, env);
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

// Rendered manifests are checked field by field: a loose type keeps those assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = any;

const docs = (text: string): K8sObject[] => (loadAll(text) as K8sObject[]).filter((d) => !!d);
const one = (objs: K8sObject[], kind: string): K8sObject => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};

/** Polls until `list()` returns an empty string (objects being garbage-collected), or fails naming what is left. */
async function eventuallyEmpty(what: string, list: () => Promise<string>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = await list();
  while (left.trim() !== '' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    left = await list();
  }
  expect({ what, left: left.trim().split('\n').filter(Boolean) }).toEqual({ what, left: [] });
}

beforeAll(() => {
  if (!existsSync(helmBin)) throw new Error(`${helmBin} is missing: build it with \`npm run tools -- helm\``);
});

describe('helm lint and template', () => {
  test('helm lint --strict passes', async () => {
    const out = await ok(helmBin, ['lint', '--strict', chart]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  test('the chart CRDs are byte-identical to crds/', () => {
    const names = readdirSync(join(repo, 'crds')).filter((f) => f.endsWith('.yaml'));
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(join(chart, 'crds')).sort()).toEqual(names.sort());
    for (const n of names) {
      expect(readFileSync(join(chart, 'crds', n)).equals(readFileSync(join(repo, 'crds', n)))).toBe(true);
    }
  });

  test('chart:check reports a missing, a changed and a stale CRD file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chart-crds-'));
    try {
      const [src, dst] = [join(dir, 'crds'), join(dir, 'chart')];
      mkdirSync(src);
      mkdirSync(dst);
      writeFileSync(join(src, 'a.yaml'), 'kind: A\n');
      writeFileSync(join(src, 'b.yaml'), 'kind: B\n');
      writeFileSync(join(dst, 'a.yaml'), 'kind: A\n');
      expect(chartCrdDrift(src, dst)).toEqual(['b.yaml: missing from the chart']);
      writeFileSync(join(dst, 'b.yaml'), 'kind: B \n');
      writeFileSync(join(dst, 'old.yaml'), 'kind: Old\n');
      expect(chartCrdDrift(src, dst)).toEqual(['b.yaml: differs', 'old.yaml: in the chart but not in crds/']);
      writeFileSync(join(dst, 'b.yaml'), 'kind: B\n');
      rmSync(join(dst, 'old.yaml'));
      expect(chartCrdDrift(src, dst)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('default values', () => {
    let objs: K8sObject[];
    beforeAll(async () => {
      objs = docs(await ok(helmBin, ['template', 'disco', chart, '--namespace', 'ops', '--include-crds']));
    });

    test('renders exactly the expected kinds (no ServiceMonitor by default)', () => {
      expect(objs.map((o) => o.kind).sort()).toEqual(
        [
          'ClusterRole',
          'ClusterRoleBinding',
          'CustomResourceDefinition',
          'CustomResourceDefinition',
          'Deployment',
          'PodDisruptionBudget',
          'Role',
          'RoleBinding',
          'Service',
          'ServiceAccount',
          'ValidatingAdmissionPolicy',
          'ValidatingAdmissionPolicyBinding',
        ].sort(),
      );
      for (const o of objs.filter((x) => x.kind !== 'CustomResourceDefinition')) {
        expect(o.metadata.labels).toMatchObject({
          'app.kubernetes.io/name': 'discovery-operator',
          'app.kubernetes.io/instance': 'disco',
          'app.kubernetes.io/managed-by': 'Helm',
        });
      }
    });

    test('the Deployment runs 2 replicas with leader election, downward-API env and the appVersion image', () => {
      const dep = one(objs, 'Deployment');
      expect(dep.metadata.namespace).toBe('ops');
      expect(dep.spec.replicas).toBe(2);
      const c = dep.spec.template.spec.containers[0];
      const appVersion = (loadAll(readFileSync(join(chart, 'Chart.yaml'), 'utf8'))[0] as { appVersion: string })
        .appVersion;
      expect(c.image).toBe(`ghcr.io/beyondtheclouds/discovery-operator:${appVersion}`);
      expect(c.args).toEqual(
        expect.arrayContaining([
          '--leader-elect',
          '--leader-election-namespace=ops',
          '--leader-election-id=discovery-operator',
          '--http-port=8080',
          '--concurrency=4',
          '--log-level=info',
        ]),
      );
      expect(c.args.some((a: string) => a.startsWith('--namespaces'))).toBe(false);
      const env = Object.fromEntries(c.env.map((e: K8sObject) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
      expect(env).toMatchObject({ POD_NAMESPACE: 'metadata.namespace', POD_NAME: 'metadata.name' });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits).toBeDefined();
      expect(dep.spec.template.spec.serviceAccountName).toBe(one(objs, 'ServiceAccount').metadata.name);
    });

    test('the pod meets the restricted Pod Security Standard', () => {
      const pod = one(objs, 'Deployment').spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.securityContext.capabilities.add).toBeUndefined();
      }
      expect(pod.hostNetwork ?? false).toBe(false);
    });

    test('probes hit /healthz and /readyz on the named http port, which the metrics Service targets', () => {
      const c = one(objs, 'Deployment').spec.template.spec.containers[0];
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      const svc = one(objs, 'Service');
      expect(svc.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
      expect(svc.spec.selector).toEqual(one(objs, 'Deployment').spec.selector.matchLabels);
    });

    test('RBAC holds exactly the contract: cluster-wide rules, and leases only through a namespaced Role', () => {
      const rules = one(objs, 'ClusterRole').rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
      const grants = new Set(
        rules.flatMap((r) =>
          r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
        ),
      );
      const expected = [
        ...['edgesites', 'distributedclouds'].flatMap((r) =>
          ['get', 'list', 'watch', 'patch', 'update'].map((v) => `discovery.beyondtheclouds.io/${r}:${v}`),
        ),
        ...['edgesites/status', 'distributedclouds/status'].flatMap((r) =>
          ['get', 'patch', 'update'].map((v) => `discovery.beyondtheclouds.io/${r}:${v}`),
        ),
        'discovery.beyondtheclouds.io/distributedclouds/finalizers:update',
        ...['get', 'list', 'watch', 'create', 'patch'].map((v) => `/secrets:${v}`),
        ...['list', 'create', 'patch'].map((v) => `/configmaps:${v}`),
        '/events:create',
        '/events:patch',
        'events.k8s.io/events:create',
        'events.k8s.io/events:patch',
        '/namespaces:get',
        '/namespaces:list',
        '/namespaces:watch',
      ];
      expect([...grants].sort()).toEqual(expected.sort());
      expect(rules.some((r) => r.verbs.includes('*') || r.resources.includes('*'))).toBe(false);
      const role = one(objs, 'Role');
      expect(role.metadata.namespace).toBe('ops');
      expect(role.rules.flatMap((r: K8sObject) => r.resources)).toEqual(['leases', 'leases']);
      expect(role.rules.flatMap((r: K8sObject) => r.verbs).sort()).toEqual(['create', 'get', 'update']);
      const binding = one(objs, 'RoleBinding');
      expect(binding.roleRef.name).toBe(role.metadata.name);
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: one(objs, 'ServiceAccount').metadata.name, namespace: 'ops' },
      ]);
    });
  });

  test('values switch on the ServiceMonitor, watched namespaces and a digest-pinned image', async () => {
    const objs = docs(
      await ok(helmBin, [
        'template',
        'disco',
        chart,
        '--namespace',
        'ops',
        '--api-versions',
        'monitoring.coreos.com/v1/ServiceMonitor',
        '--set',
        'metrics.serviceMonitor.enabled=true',
        '--set',
        'operator.watchNamespaces={team-a,team-b}',
        '--set',
        `image.digest=sha256:${'ab'.repeat(32)}`,
      ]),
    );
    const sm = one(objs, 'ServiceMonitor');
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.args).toContain('--namespaces=team-a,team-b');
    expect(c.image).toBe(`ghcr.io/beyondtheclouds/discovery-operator@sha256:${'ab'.repeat(32)}`);
  });

  test('a ServiceMonitor without the Prometheus Operator CRD fails with a message saying so', async () => {
    const r = await run(helmBin, ['template', 'disco', chart, '--set', 'metrics.serviceMonitor.enabled=true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('needs the Prometheus Operator');
  });
});

describe('bad values are rejected by values.schema.json', () => {
  const cases: [string, string[], string][] = [
    ['zero replicas', ['--set', 'replicaCount=0'], "at '/replicaCount': minimum: got 0, want 1"],
    ['a non-integer replica count', ['--set', 'replicaCount=two'], "at '/replicaCount': got string, want integer"],
    [
      'an unknown log level',
      ['--set', 'operator.logLevel=verbose'],
      "at '/operator/logLevel': value must be one of 'debug', 'info', 'warn', 'error'",
    ],
    ['zero concurrency', ['--set', 'operator.concurrency=0'], "at '/operator/concurrency': minimum: got 0, want 1"],
    ['an unknown top-level key', ['--set', 'replicas=3'], "additional properties 'replicas' not allowed"],
    ['a misspelt nested key', ['--set', 'image.tagg=1.0'], "at '/image': additional properties 'tagg' not allowed"],
    [
      'two replicas without leader election',
      ['--set', 'operator.leaderElection.enabled=false'],
      "at '/operator/leaderElection/enabled': value must be true",
    ],
    [
      'a probe interval that is not a duration',
      ['--set-string', 'operator.probeInterval=soon'],
      "at '/operator/probeInterval'",
    ],
    ['an unknown pull policy', ['--set', 'image.pullPolicy=Sometimes'], "at '/image/pullPolicy': value must be one of"],
    [
      'an allowed registry that is not one (upper case, a tag)',
      ['--set', 'imagePolicy.allowedRegistries={Quay.io/kolla:2025.1}'],
      "at '/imagePolicy/allowedRegistries/0'",
    ],
  ];

  test.each(cases)('%s', async (_name, args, message) => {
    const r = await run(helmBin, ['template', 'disco', chart, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema(s)");
    expect(r.stderr).toContain(message);
  });

  test('one replica may run without leader election', async () => {
    const out = await ok(helmBin, [
      'template',
      'disco',
      chart,
      '--set',
      'replicaCount=1',
      '--set',
      'operator.leaderElection.enabled=false',
    ]);
    const objs = docs(out);
    expect(one(objs, 'Deployment').spec.template.spec.containers[0].args).toContain('--leader-elect=false');
    expect(objs.some((o) => o.kind === 'Role' || o.kind === 'PodDisruptionBudget')).toBe(false);
  });
});

// A real install into the management cluster. The fleet's nodes are simulated by kwok: it marks scheduled pods Running
// and Ready without pulling the image or running containers (nor calling the probes). So this proves the objects are
// accepted by a real API server, the pods schedule and the Deployment becomes Available, the RBAC objects grant what
// they should (checked through SubjectAccessReviews), and uninstall cleans up; not that the operator binary starts.
describe('helm install on the local fleet (management cluster)', () => {
  const fleet = testFleet();
  const kubeconfig = fleet.management.kubeconfigPath;
  const env = { KUBECONFIG: kubeconfig };
  const ns = `chart-test-${process.pid}`;
  const release = `dop-${process.pid}`;
  const selector = `app.kubernetes.io/instance=${release}`;
  const helm = (...args: string[]) => ok(helmBin, [...args, '--namespace', ns], env);
  const kubectl = (...args: string[]) => ok(kubectlBin, args, env);
  const sa = `system:serviceaccount:${ns}:${release}-discovery-operator`;
  const canI = async (...args: string[]) =>
    (await run(kubectlBin, ['auth', 'can-i', `--as=${sa}`, ...args], env)).stdout.trim();

  afterAll(async () => {
    await run(helmBin, ['uninstall', release, '--namespace', ns, '--wait'], env);
    await run(kubectlBin, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found'], env);
  });

  test('install succeeds and both operator pods become Ready', async () => {
    await helm('install', release, chart, '--create-namespace', '--wait', '--timeout', '3m');
    const deploy = JSON.parse(await kubectl('-n', ns, 'get', 'deployment', '-l', selector, '-o', 'json')).items;
    expect(deploy).toHaveLength(1);
    expect(deploy[0].status.readyReplicas).toBe(2);
    expect(deploy[0].status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Available', status: 'True' })]),
    );
    const pods = JSON.parse(await kubectl('-n', ns, 'get', 'pods', '-l', selector, '-o', 'json')).items;
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.spec.nodeName).toBeTruthy();
      expect(p.status.conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
      );
    }
    const crds = await kubectl('get', 'crd', '-o', 'name');
    expect(crds).toContain('edgesites.discovery.beyondtheclouds.io');
    expect(crds).toContain('distributedclouds.discovery.beyondtheclouds.io');
  });

  test('the ServiceAccount can do what the operator needs, and nothing more', async () => {
    expect(await canI('watch', 'edgesites.discovery.beyondtheclouds.io')).toBe('yes');
    expect(await canI('patch', 'distributedclouds.discovery.beyondtheclouds.io', '--subresource=status', '-A')).toBe(
      'yes',
    );
    expect(
      await canI('update', 'distributedclouds.discovery.beyondtheclouds.io', '--subresource=finalizers', '-A'),
    ).toBe('yes');
    expect(await canI('create', 'secrets', '-n', 'some-tenant')).toBe('yes');
    expect(await canI('create', 'events.events.k8s.io', '-n', 'some-tenant')).toBe('yes');
    expect(await canI('create', 'leases.coordination.k8s.io', '-n', ns)).toBe('yes');
    expect(await canI('update', 'leases.coordination.k8s.io/discovery-operator', '-n', ns)).toBe('yes');
    // Not granted: deleting anything, other leases or leases elsewhere, other resource kinds.
    expect(await canI('delete', 'secrets', '-n', 'some-tenant')).toBe('no');
    expect(await canI('delete', 'distributedclouds.discovery.beyondtheclouds.io', '-A')).toBe('no');
    expect(await canI('update', 'leases.coordination.k8s.io/someone-else', '-n', ns)).toBe('no');
    expect(await canI('create', 'leases.coordination.k8s.io', '-n', 'default')).toBe('no');
    expect(await canI('create', 'deployments.apps', '-n', ns)).toBe('no');
    // Namespaces are read and watched (tenancy: EdgeSite spec.tenancy.namespaceSelector), never written.
    expect(await canI('watch', 'namespaces')).toBe('yes');
    expect(await canI('update', 'namespaces')).toBe('no');
    expect(await canI('delete', 'namespaces')).toBe('no');
    expect(await canI('list', 'nodes')).toBe('no');
  });

  test('the API server refuses a DistributedCloud image from a registry outside imagePolicy.allowedRegistries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-images-'));
    const dc = (name: string, spec: Record<string, unknown>) => {
      const file = join(dir, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'discovery.beyondtheclouds.io/v1alpha1',
          kind: 'DistributedCloud',
          metadata: { name, namespace: ns },
          spec: {
            release: '2025.1',
            topology: 'centralized',
            coreSite: 'core',
            sites: ['core', 'edge-1'],
            messageBus: { type: 'rabbitmq' },
            database: { type: 'mariadb' },
            ...spec,
          },
        }),
      );
      return run(kubectlBin, ['create', '--dry-run=server', '-f', file], env);
    };
    // The policy is enforced once the API server has compiled it: retry the first refusal for a few seconds.
    let refused = await dc('bad-registry', { images: { registry: 'evil.example.org/kolla' } });
    for (let i = 0; i < 30 && refused.code === 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      refused = await dc('bad-registry', { images: { registry: 'evil.example.org/kolla' } });
    }
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('spec.images.registry: "evil.example.org/kolla" is not an allowed registry');
    const lookalike = await dc('lookalike', { services: { nova: { image: 'quay.io/openstack.kollaevil/nova:1' } } });
    expect(lookalike.code).not.toBe(0);
    expect(lookalike.stderr).toContain('nova.image "quay.io/openstack.kollaevil/nova:1" not from an allowed registry');
    const site = await dc('site-image', {
      siteOverrides: [{ site: 'edge-1', images: { nova: 'docker.io/evil/nova-compute:1' } }],
    });
    expect(site.code).not.toBe(0);
    expect(site.stderr).toContain('spec.siteOverrides: edge-1: an image is not from an allowed registry');
    const allowed = await dc('allowed', {
      images: { registry: 'quay.io/openstack.kolla', tag: '2025.1-ubuntu-noble' },
      services: { nova: { image: 'quay.io/openstack.kolla/nova-api:custom' } },
    });
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  test('uninstall removes everything but the CRDs', async () => {
    await helm('uninstall', release, '--wait', '--timeout', '2m');
    await eventuallyEmpty(`objects of release ${release} in ${ns}`, () =>
      kubectl(
        '-n',
        ns,
        'get',
        'deployments,replicasets,pods,services,serviceaccounts,roles,rolebindings,poddisruptionbudgets,secrets',
        '-l',
        selector,
        '-o',
        'name',
      ),
    );
    // Helm's own release records (Secrets labelled owner=helm) are gone too.
    expect((await kubectl('-n', ns, 'get', 'secrets', '-l', `owner=helm,name=${release}`, '-o', 'name')).trim()).toBe(
      '',
    );
    expect((await kubectl('get', 'clusterroles,clusterrolebindings', '-l', selector, '-o', 'name')).trim()).toBe('');
    const crds = await kubectl('get', 'crd', '-o', 'name');
    expect(crds).toContain('edgesites.discovery.beyondtheclouds.io');
    expect(crds).toContain('distributedclouds.discovery.beyondtheclouds.io');
    await eventuallyEmpty(`image policy of release ${release}`, () =>
      kubectl('get', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '-l', selector, '-o', 'name'),
    );
  });
});
