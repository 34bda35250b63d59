// Stack config resolution of the Pulumi program (defaults from the local fleet, explicit sites, validation) and
// kubeconfig flattening for the kubeconfig Secrets.
import { describe, expect, test } from '@jest/globals';
import { load } from 'js-yaml';
import { ConfigError, fleetClusters, readRawConfig, resolveConfig, type ResolveEnv } from '../../../pulumi/config.js';
import { currentServer, flattenKubeconfig } from '../../../pulumi/kubeconfig.js';

const env = (files: string[] = ['mgmt.yaml', 'edge-1.yaml', 'edge-2.yaml', 'edge-3.yaml']): ResolveEnv => ({
  cwd: '/work/repo',
  repoRoot: '/work/repo',
  listDir: (dir) => (dir === '/work/repo/.fleet/kubeconfigs' ? files : []),
});

describe('resolveConfig', () => {
  test('defaults to the local fleet: core on mgmt, then every edge cluster in numeric order', () => {
    const c = resolveConfig({}, env(['edge-10.yaml', 'edge-2.yaml', 'mgmt.yaml', 'kubeconfig', 'edge-1.yaml']));
    expect(c.sites.map((s) => [s.name, s.role, s.kubeconfig])).toEqual([
      ['core', 'core', '/work/repo/.fleet/kubeconfigs/mgmt.yaml'],
      ['edge-1', 'edge', '/work/repo/.fleet/kubeconfigs/edge-1.yaml'],
      ['edge-2', 'edge', '/work/repo/.fleet/kubeconfigs/edge-2.yaml'],
      ['edge-10', 'edge', '/work/repo/.fleet/kubeconfigs/edge-10.yaml'],
    ]);
    expect(c.managementKubeconfig).toBe('/work/repo/.fleet/kubeconfigs/mgmt.yaml');
    expect(c.sites[0]).toMatchObject({ region: 'core', zone: 'core-a', rttMillis: 0, bandwidthMbps: 10000 });
    expect(c.sites[1]).toMatchObject({ region: 'edge-1', zone: 'edge-1-a', rttMillis: 20, bandwidthMbps: 1000 });
    expect(c).toMatchObject({
      namespace: 'discovery-system',
      createNamespace: true,
      installCrds: true,
      retainCrds: true,
      installOperator: true,
      sampleCloud: false,
      waitForSitesReady: false,
      secretPrefix: 'kubeconfig-',
      crdsDir: '/work/repo/crds',
      chartPath: '/work/repo/charts/discovery-operator',
    });
  });

  test('tenancy: the sample namespace by default, explicit namespaces and allowPrivileged; bad values refused', () => {
    expect(resolveConfig({}, env())).toMatchObject({ tenantNamespaces: ['default'], allowPrivileged: false });
    expect(resolveConfig({ sampleCloudNamespace: 'openstack' }, env()).tenantNamespaces).toEqual(['openstack']);
    expect(resolveConfig({ tenantNamespaces: ['a', 'b', 'a'], allowPrivileged: true }, env())).toMatchObject({
      tenantNamespaces: ['a', 'b'],
      allowPrivileged: true,
    });
    expect(() => resolveConfig({ tenantNamespaces: ['../x'] }, env())).toThrow(/tenantNamespaces must be a list/);
    expect(() => resolveConfig({ tenantNamespaces: 'a' as unknown as string[] }, env())).toThrow(ConfigError);
    expect(() => resolveConfig({ allowPrivileged: 'yes' as unknown as boolean }, env())).toThrow(
      /allowPrivileged must be true or false/,
    );
  });

  test('edgeSites limits the fleet edges; defaultRttMillis applies to edges only', () => {
    const c = resolveConfig({ edgeSites: 1, defaultRttMillis: 45 }, env());
    expect(c.sites.map((s) => [s.name, s.rttMillis])).toEqual([
      ['core', 0],
      ['edge-1', 45],
    ]);
    expect(() => resolveConfig({ edgeSites: 4 }, env())).toThrow(/edgeSites is 4 but the local fleet has 3/);
    expect(() => resolveConfig({ edgeSites: -1 }, env())).toThrow(ConfigError);
  });

  test('explicit sites keep their regions, roles and RTTs and resolve kubeconfig paths against cwd', () => {
    const c = resolveConfig(
      {
        managementKubeconfig: 'kc/mgmt.yaml',
        sites: [
          { name: 'paris', kubeconfig: 'kc/paris.yaml', role: 'core', region: 'fr-paris' },
          { name: 'lyon', kubeconfig: '/abs/lyon.yaml', role: 'edge', region: 'fr-lyon', zone: 'z1', rttMillis: 7 },
          { name: 'brest', kubeconfig: 'kc/brest.yaml', role: 'far-edge', rttMillis: 80, bandwidthMbps: 50 },
        ],
      },
      env([]),
    );
    expect(c.managementKubeconfig).toBe('/work/repo/kc/mgmt.yaml');
    expect(c.sites).toEqual([
      expect.objectContaining({
        name: 'paris',
        kubeconfig: '/work/repo/kc/paris.yaml',
        region: 'fr-paris',
        rttMillis: 0,
      }),
      expect.objectContaining({ name: 'lyon', kubeconfig: '/abs/lyon.yaml', zone: 'z1', rttMillis: 7 }),
      expect.objectContaining({ name: 'brest', role: 'far-edge', region: 'brest', rttMillis: 80, bandwidthMbps: 50 }),
    ]);
  });

  test('the core site kubeconfig is the management cluster when none is given', () => {
    const c = resolveConfig({ sites: [{ name: 'a', kubeconfig: 'a.yaml', role: 'core' }] }, env([]));
    expect(c.managementKubeconfig).toBe('/work/repo/a.yaml');
  });

  test('rejects bad input with the offending key', () => {
    const bad: [object, RegExp][] = [
      [{ sites: [] }, /non-empty/],
      [{ sites: [{ name: 'Bad_Name', kubeconfig: 'x' }] }, /sites\[0\]\.name/],
      [{ sites: [{ name: 'a', kubeconfig: 'x', role: 'hub' }] }, /sites\[0\]\.role/],
      [{ sites: [{ name: 'a', kubeconfig: 'x', rttMillis: 20000 }] }, /rttMillis/],
      [
        {
          sites: [
            { name: 'a', kubeconfig: 'x' },
            { name: 'a', kubeconfig: 'y' },
          ],
        },
        /duplicate site name a/,
      ],
      [
        {
          sites: [
            { name: 'a', kubeconfig: 'x', role: 'core' },
            { name: 'b', kubeconfig: 'y', role: 'core' },
          ],
        },
        /at most one site may have role core/,
      ],
      [{ sites: [{ name: 'a' }] }, /needs a kubeconfig/],
      [{ sites: [{ name: 'a', kubeconfig: 'x', role: 'edge' }] }, /managementKubeconfig is required/],
      [{ clusterProvider: 'gke' }, /clusterProvider/],
      [{ namespace: 'Not OK' }, /namespace/],
    ];
    for (const [raw, message] of bad) expect(() => resolveConfig(raw, env())).toThrow(message);
    expect(() => resolveConfig({}, env([]))).toThrow(/no local fleet/);
  });

  test('kind creates its own clusters: core plus edgeSites (default 2), no kubeconfig needed', () => {
    const c = resolveConfig({ clusterProvider: 'kind' }, env([]));
    expect(c.sites.map((s) => [s.name, s.role, s.kubeconfig])).toEqual([
      ['core', 'core', undefined],
      ['edge-1', 'edge', undefined],
      ['edge-2', 'edge', undefined],
    ]);
    expect(resolveConfig({ clusterProvider: 'kind', edgeSites: 0 }, env([])).sites).toHaveLength(1);
  });

  test('fleetClusters ignores non-cluster files', () => {
    expect(fleetClusters(['edge-2.yaml', 'notes.txt', 'mgmt.yaml', 'other.yaml'])).toEqual(['mgmt', 'edge-2']);
  });
});

describe('readRawConfig', () => {
  test('takes string keys verbatim and parses the others as JSON', () => {
    const values: Record<string, string> = {
      clusterProvider: 'existing',
      namespace: 'ns1',
      edgeSites: '2',
      installOperator: 'false',
      sites: '[{"name":"a","kubeconfig":"x"}]',
    };
    expect(readRawConfig((k) => values[k])).toEqual({
      clusterProvider: 'existing',
      namespace: 'ns1',
      edgeSites: 2,
      installOperator: false,
      sites: [{ name: 'a', kubeconfig: 'x' }],
    });
    expect(() => readRawConfig((k) => (k === 'edgeSites' ? 'two' : undefined))).toThrow(/discovery:edgeSites/);
  });
});

describe('flattenKubeconfig', () => {
  const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:26400', certificate-authority: pki/ca.crt}
users:
- name: u
  user: {client-certificate: /abs/admin.crt, client-key: pki/admin.key, tokenFile: tok}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`;
  test('inlines every referenced file, resolving relative paths against the kubeconfig directory', () => {
    const read: string[] = [];
    const out = flattenKubeconfig(kubeconfig, '/fleet', (f) => {
      read.push(f);
      return Buffer.from(`<${f}>\n`);
    });
    const doc = load(out) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(doc.clusters[0]!.cluster).toEqual({
      server: 'https://127.0.0.1:26400',
      'certificate-authority-data': b64('</fleet/pki/ca.crt>\n'),
    });
    expect(doc.users[0]!.user).toEqual({
      'client-certificate-data': b64('</abs/admin.crt>\n'),
      'client-key-data': b64('</fleet/pki/admin.key>\n'),
      token: '</fleet/tok>',
    });
    expect(read.sort()).toEqual(['/abs/admin.crt', '/fleet/pki/admin.key', '/fleet/pki/ca.crt', '/fleet/tok']);
    expect(currentServer(out)).toBe('https://127.0.0.1:26400');
  });

  test('rejects documents that are not kubeconfigs', () => {
    expect(() => flattenKubeconfig('kind: Pod\n', '/', () => Buffer.alloc(0))).toThrow(/not a kubeconfig/);
  });
});
