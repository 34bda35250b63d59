// The adversarial corpus of issue 12, as reusable tables: hostile kubeconfigs, kubeconfig Secret references,
// `discovery render` names and output trees, and the tenancy cases (DistributedClouds reaching EdgeSites that do not
// admit them, member-cluster objects Discovery must not adopt, host-level DaemonSets that would share nodes). Each case says what must be refused, how (reason and the field or name
// the message must name), and which secret values must never appear in the message.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';

export type Obj = Record<string, unknown>;

/** Secret values planted in the hostile kubeconfigs: no message may ever contain them. */
export const PLANTED = {
  token: 'PLANTED-token-0f9a8b7c6d5e4f3a2b1c',
  password: 'PLANTED-password-c0ffee',
  keyData: Buffer.from('-----BEGIN EC PRIVATE KEY-----\nPLANTED-KEY\n-----END EC PRIVATE KEY-----\n').toString(
    'base64',
  ),
};
const CERT_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const CA_DATA = CERT_DATA;

/** A well-formed kubeconfig with inline credentials (accepted), as a plain object to mutate. */
export function goodKubeconfig(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'edge', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': CA_DATA } }],
    users: [{ name: 'op', user: { token: PLANTED.token } }],
    contexts: [{ name: 'edge', context: { cluster: 'edge', user: 'op', namespace: 'default' } }],
    'current-context': 'edge',
  };
}

type Mutate = (kc: Obj) => void;
const user = (kc: Obj, i = 0): Obj => ((kc.users as Obj[])[i]!.user ??= {}) as Obj;
const cluster = (kc: Obj, i = 0): Obj => (kc.clusters as Obj[])[i]!.cluster as Obj;
const context = (kc: Obj, i = 0): Obj => (kc.contexts as Obj[])[i]!.context as Obj;

export interface KubeconfigCase {
  name: string;
  /** The kubeconfig text (a mutation of goodKubeconfig, or raw YAML for parser tricks). */
  text: string;
  reason: 'InvalidKubeconfig' | 'UnsafeKubeconfig';
  /** Substring the message must contain: the offending field path (and what is wrong). */
  message: string;
}

function mutated(mutate: Mutate): string {
  const kc = goodKubeconfig();
  mutate(kc);
  return dump(kc, { lineWidth: -1 });
}

function unsafeCase(name: string, message: string, mutate: Mutate): KubeconfigCase {
  return { name, text: mutated(mutate), reason: 'UnsafeKubeconfig', message };
}
function invalidCase(name: string, message: string, mutate: Mutate | string): KubeconfigCase {
  return { name, text: typeof mutate === 'string' ? mutate : mutated(mutate), reason: 'InvalidKubeconfig', message };
}

/** A file the exec/credential-plugin cases would create if anything ran them. */
export const EXEC_MARKER = `/tmp/discovery-security-corpus-exec-${process.pid}`;
const EXEC = {
  apiVersion: 'client.authentication.k8s.io/v1',
  command: 'sh',
  args: ['-c', `touch ${EXEC_MARKER}; echo '{"status":{"token":"x"}}'`],
  interactiveMode: 'Never',
};
const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export const HOSTILE_KUBECONFIGS: KubeconfigCase[] = [
  unsafeCase('exec credential plugin', 'users[0].user.exec: not allowed: runs a command', (kc) => {
    user(kc).exec = EXEC;
  }),
  unsafeCase('exec in a user no context uses', 'users[1].user.exec: not allowed', (kc) => {
    (kc.users as Obj[]).push({ name: 'other', user: { exec: EXEC } });
  }),
  unsafeCase('auth-provider (oidc, refreshes tokens)', 'users[0].user.auth-provider: not allowed', (kc) => {
    user(kc)['auth-provider'] = { name: 'oidc', config: { 'id-token': PLANTED.token, 'refresh-token': 'r' } };
  }),
  unsafeCase('auth-provider gcp (runs gcloud)', 'users[0].user.auth-provider: not allowed: runs a provider', (kc) => {
    user(kc)['auth-provider'] = { name: 'gcp', config: { 'cmd-path': '/bin/sh', 'cmd-args': '-c id' } };
  }),
  unsafeCase("token-file: the operator's own service-account token", 'users[0].user.token-file: not allowed', (kc) => {
    user(kc)['token-file'] = SA_TOKEN;
  }),
  unsafeCase('tokenFile (client-go spelling)', 'users[0].user.tokenFile: not allowed: reads a local file', (kc) => {
    user(kc).tokenFile = SA_TOKEN;
  }),
  unsafeCase('client-certificate file path', 'users[0].user.client-certificate: not allowed', (kc) => {
    user(kc)['client-certificate'] = '/etc/kubernetes/pki/apiserver-kubelet-client.crt';
  }),
  unsafeCase('client-key file path', 'users[0].user.client-key: not allowed: reads a local file', (kc) => {
    user(kc)['client-key'] = '/etc/kubernetes/pki/apiserver-kubelet-client.key';
  }),
  unsafeCase('certificate-authority file path', 'clusters[0].cluster.certificate-authority: not allowed', (kc) => {
    cluster(kc)['certificate-authority'] = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';
  }),
  unsafeCase('proxy-url (http proxy sees the token)', 'clusters[0].cluster.proxy-url: not allowed', (kc) => {
    cluster(kc)['proxy-url'] = 'http://attacker.example:3128';
  }),
  unsafeCase('proxy-url socks5', 'clusters[0].cluster.proxy-url: not allowed', (kc) => {
    cluster(kc)['proxy-url'] = 'socks5://attacker.example:1080';
  }),
  unsafeCase('impersonation: as', 'users[0].user.as: not allowed: impersonation', (kc) => {
    user(kc).as = 'system:admin';
  }),
  unsafeCase('impersonation: as-groups system:masters', 'users[0].user.as-groups: not allowed', (kc) => {
    user(kc)['as-groups'] = ['system:masters'];
  }),
  unsafeCase('impersonation: as-uid', 'users[0].user.as-uid: not allowed', (kc) => {
    user(kc)['as-uid'] = '0';
  }),
  unsafeCase('impersonation: as-user-extra', 'users[0].user.as-user-extra: not allowed', (kc) => {
    user(kc)['as-user-extra'] = { scopes: ['all'] };
  }),
  unsafeCase(
    'basic auth username/password',
    'users[0].user.password: not allowed: username/password authentication',
    (kc) => {
      user(kc).password = PLANTED.password;
    },
  ),
  unsafeCase('credentials in the server URL', 'clusters[0].cluster.server: must not carry credentials', (kc) => {
    cluster(kc).server = `https://admin:${PLANTED.password}@10.0.0.1:6443`;
  }),
  unsafeCase('unknown user field (impersonate)', 'users[0].user.impersonate: unknown field', (kc) => {
    user(kc).impersonate = 'system:admin';
  }),
  unsafeCase('unknown top-level field', 'exec: unknown field', (kc) => {
    kc.exec = EXEC;
  }),
  unsafeCase('exec hidden in a context', 'contexts[0].context.exec: unknown field', (kc) => {
    context(kc).exec = EXEC;
  }),
  unsafeCase('unknown key with control characters', 'users[0].user.<unknown key>: unknown field', (kc) => {
    user(kc)['exec\n\u202e'] = EXEC;
  }),
  invalidCase('server is a file: URL', 'clusters[0].cluster.server: must be an https://', (kc) => {
    cluster(kc).server = 'file:///var/run/secrets/kubernetes.io/serviceaccount/token';
  }),
  invalidCase('server is a unix socket', 'clusters[0].cluster.server: must be an https://', (kc) => {
    cluster(kc).server = 'unix:///var/run/docker.sock';
  }),
  invalidCase('token with a newline (header injection)', 'users[0].user.token: must be printable ASCII', (kc) => {
    user(kc).token = `${PLANTED.token}\r\nImpersonate-User: system:admin`;
  }),
  invalidCase('client-key-data is a path, not data', 'users[0].user.client-key-data: must be base64', (kc) => {
    Object.assign(user(kc), { 'client-certificate-data': CERT_DATA, 'client-key-data': '/etc/pki/key.pem' });
  }),
  invalidCase('client certificate without its key', 'users[0].user: client-certificate-data and client-key', (kc) => {
    user(kc)['client-certificate-data'] = CERT_DATA;
  }),
  invalidCase(
    'duplicate key hiding an exec user from one parser',
    'not valid YAML (duplicated mapping key',
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]',
      `users: [{name: u, user: {token: ${PLANTED.token}}}]`,
      'contexts: [{name: c, context: {cluster: c, user: u}}]',
      'current-context: c',
      'users: [{name: u, user: {exec: {command: sh}}}]',
    ].join('\n'),
  ),
  invalidCase(
    'YAML alias smuggling a user body',
    'not valid YAML',
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]',
      'preferences: {x: &u {exec: {command: sh}}}',
      'users: [{name: u, user: *u}]',
      'contexts: [{name: c, context: {cluster: c, user: u}}]',
      'current-context: c',
    ].join('\n'),
  ),
  unsafeCase('YAML merge key', 'users[0].user.<unknown key>: unknown field', (kc) => {
    user(kc)['<<'] = { exec: EXEC };
  }),
  invalidCase('current-context names no context', 'current-context: names no entry of contexts', (kc) => {
    kc['current-context'] = 'elsewhere';
  }),
  invalidCase('context names a missing user', 'contexts[0].context.user: names no entry of users', (kc) => {
    context(kc).user = 'ghost';
  }),
  invalidCase('two users with one name', 'users[1].name: duplicate user name', (kc) => {
    (kc.users as Obj[]).push({ name: 'op', user: { token: 'other' } });
  }),
  invalidCase('not a mapping', 'not a kubeconfig', `- ${PLANTED.token}\n- b\n`),
  invalidCase('unreadable YAML that quotes a secret', 'not valid YAML', `users:\n  token: "${PLANTED.token}\n  [`),
  invalidCase('oversize kubeconfig', 'larger than 1 MiB', `# ${'x'.repeat(1024 * 1024)}\n`),
  invalidCase('kind is not Config', 'kind: must be Config', (kc) => {
    kc.kind = 'Secret';
  }),
  invalidCase('insecure-skip-tls-verify as a string', 'insecure-skip-tls-verify: must be a boolean', (kc) => {
    cluster(kc)['insecure-skip-tls-verify'] = 'true';
  }),
  invalidCase('tls-server-name with a path', 'clusters[0].cluster.tls-server-name: must be a host name', (kc) => {
    cluster(kc)['tls-server-name'] = 'evil.example/../x';
  }),
];

/** Secret references an EdgeSite may try; the operator reads only from ALLOWED_SECRET_NAMESPACES. */
export const ALLOWED_SECRET_NAMESPACES = ['discovery-system'];
export interface SecretRefCase {
  name: string;
  ref: { namespace: string; name: string; key?: string };
}
export const HOSTILE_SECRET_REFS: SecretRefCase[] = [
  { name: 'kube-system Secret', ref: { namespace: 'kube-system', name: 'bootstrap-token-abcdef' } },
  { name: "another tenant's namespace", ref: { namespace: 'tenant-b', name: 'tenant-b-generated-secrets' } },
  { name: 'the default namespace', ref: { namespace: 'default', name: 'kubeconfig-edge-1' } },
  { name: 'a look-alike of the allowed namespace', ref: { namespace: 'discovery-system2', name: 'kubeconfig-core' } },
];

/** Site (EdgeSite) and DistributedCloud names that would write outside `discovery render -o DIR`, or into YAML. */
export interface RenderNameCase {
  name: string;
  /** Which object gets the hostile name. */
  target: 'site' | 'cloud' | 'namespace';
  value: string;
}
export const HOSTILE_RENDER_NAMES: RenderNameCase[] = [
  { name: 'EdgeSite ../../x', target: 'site', value: '../../x' },
  { name: 'EdgeSite with an absolute path', target: 'site', value: '/etc/cron.d' },
  { name: 'EdgeSite named ..', target: 'site', value: '..' },
  { name: 'EdgeSite with a slash', target: 'site', value: 'edge/../../x' },
  { name: 'EdgeSite with a backslash', target: 'site', value: '..\\..\\x' },
  { name: 'EdgeSite with a NUL byte', target: 'site', value: 'edge\u0000x' },
  { name: 'EdgeSite in capitals (not a DNS name)', target: 'site', value: 'EDGE-1' },
  { name: 'EdgeSite named like the management dir', target: 'site', value: 'management' },
  {
    name: 'DistributedCloud with a newline (YAML injection into the header)',
    target: 'cloud',
    value: 'x\nkind: Secret',
  },
  { name: 'DistributedCloud namespace with a slash', target: 'namespace', value: '../x' },
];

/**
 * Output trees that try to make `discovery render -o DIR` write or read outside DIR. `setup(dir, outside)` prepares
 * DIR (before the render) and a directory outside it that must stay untouched; `message` is what the refusal says.
 */
export interface RenderTreeCase {
  name: string;
  setup(dir: string, outside: string): void;
  message: string;
}
export const HOSTILE_RENDER_TREES: RenderTreeCase[] = [
  {
    name: 'a site directory that is a symlink to elsewhere',
    setup: (dir, outside) => {
      mkdirSync(dir, { recursive: true });
      symlinkSync(outside, join(dir, 'edge-1'));
    },
    message: 'edge-1 is a symbolic link: refusing to write into it',
  },
  {
    name: 'a unit file that is a symlink to a file elsewhere',
    setup: (dir, outside) => {
      mkdirSync(join(dir, 'core'), { recursive: true });
      writeFileSync(join(outside, 'victim'), 'precious\n');
      symlinkSync(join(outside, 'victim'), join(dir, 'core', '00-namespace.yaml'));
    },
    message: '00-namespace.yaml is a symbolic link: refusing to write it',
  },
  {
    name: 'secrets.yaml that is a symlink (read or written through)',
    setup: (dir, outside) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(outside, 'victim'), 'database-root:\n  password: other-cloud\n');
      symlinkSync(join(outside, 'victim'), join(dir, 'secrets.yaml'));
    },
    message: 'secrets.yaml is a symbolic link: refusing to write it',
  },
  {
    name: 'the manifest that is a symlink',
    setup: (dir, outside) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(outside, 'victim'), '{}');
      symlinkSync(join(outside, 'victim'), join(dir, '.discovery-render'));
    },
    message: '.discovery-render is a symbolic link: refusing to write it',
  },
  {
    name: 'a site path that is a file, not a directory',
    setup: (dir) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'edge-2'), 'not a directory\n');
    },
    message: 'edge-2 is not a directory: refusing to write into it',
  },
];

// ---- tenancy (docs/security.md, "Tenancy") ------------------------------------------------------------------------

/** The EdgeSite tenancy every sample site gets in a case (replacing the sample's own), by site name. */
export type TenancyOf = (site: string) => Obj | undefined;

/**
 * A DistributedCloud of `namespace` (labels `namespaceLabels`; undefined: the Namespace is not known) that tries to
 * use EdgeSites which do not admit it. The sample distributed DC (siteSelector fleet=demo: core, edge-1..3) with
 * `spec` merged in. `refused`: the sites that must get no unit, `planned`: whether the allowed rest is still planned.
 */
export interface TenancyCase {
  name: string;
  namespace: string;
  namespaceLabels?: Record<string, string>;
  tenancy: TenancyOf;
  spec?: Obj;
  refused: string[];
  planned: boolean;
}
const only = (namespaces: string[]): Obj => ({ namespaces });
const bySelector = (matchLabels: Record<string, string>): Obj => ({ namespaceSelector: { matchLabels } });
export const HOSTILE_TENANCY: TenancyCase[] = [
  {
    name: 'EdgeSites without spec.tenancy admit nobody',
    namespace: 'openstack',
    namespaceLabels: {},
    tenancy: () => undefined,
    refused: ['core', 'edge-1', 'edge-2', 'edge-3'],
    planned: false,
  },
  {
    name: 'an empty tenancy ({}) admits nobody',
    namespace: 'openstack',
    namespaceLabels: {},
    tenancy: () => ({ allowPrivileged: true }),
    refused: ['core', 'edge-1', 'edge-2', 'edge-3'],
    planned: false,
  },
  {
    name: "another tenant's namespace selects the whole fleet by label",
    namespace: 'intruder',
    namespaceLabels: {},
    tenancy: () => only(['openstack']),
    refused: ['core', 'edge-1', 'edge-2', 'edge-3'],
    planned: false,
  },
  {
    name: 'a look-alike namespace name (prefix of a granted one)',
    namespace: 'openstack2',
    namespaceLabels: {},
    tenancy: () => only(['openstack']),
    refused: ['core', 'edge-1', 'edge-2', 'edge-3'],
    planned: false,
  },
  {
    name: 'a sites list naming a site that does not admit the namespace',
    namespace: 'team-a',
    namespaceLabels: {},
    tenancy: (site) => only(site === 'edge-2' ? ['team-b'] : ['team-a']),
    spec: { siteSelector: null, sites: ['core', 'edge-1', 'edge-2'] },
    refused: ['edge-2'],
    planned: true,
  },
  {
    name: 'a selector reaching one site the namespace may not use',
    namespace: 'team-a',
    namespaceLabels: { team: 'a' },
    tenancy: (site) => (site === 'edge-3' ? bySelector({ team: 'b' }) : bySelector({ team: 'a' })),
    refused: ['edge-3'],
    planned: true,
  },
  {
    name: 'a label value that is close but not equal',
    namespace: 'team-a',
    namespaceLabels: { team: 'a ' },
    tenancy: () => bySelector({ team: 'a' }),
    refused: ['core', 'edge-1', 'edge-2', 'edge-3'],
    planned: false,
  },
  {
    name: 'a Namespace the operator has not seen (labels unknown): a selector grant does not apply',
    namespace: 'team-a',
    tenancy: () => bySelector({ team: 'a' }),
    refused: ['core', 'edge-1', 'edge-2', 'edge-3'],
    planned: false,
  },
  {
    name: 'an explicit coreSite that does not admit the namespace (nothing planned at all)',
    namespace: 'team-a',
    namespaceLabels: {},
    tenancy: (site) => only(site === 'core' ? ['team-b'] : ['team-a']),
    spec: { coreSite: 'core' },
    refused: ['core'],
    planned: false,
  },
];

/**
 * What a member cluster already holds where a DistributedCloud (openstack/demo, uid uid-1) is about to write: each
 * must be refused with `reason`, left untouched by the apply and by teardown.
 */
export interface MemberStateCase {
  name: string;
  /** The member namespace (true) or the unit's object (false) is the one that exists. */
  target: 'namespace' | 'object';
  /** Labels the existing one carries (undefined: none). */
  labels?: Record<string, string>;
  reason: 'OwnershipConflict';
  /** Substring of the message: who holds it. */
  message: string;
}
const OWNER = {
  'discovery.beyondtheclouds.io/dc': 'demo',
  'discovery.beyondtheclouds.io/dc-namespace': 'openstack',
};
export const HOSTILE_MEMBER_STATE: MemberStateCase[] = [
  {
    name: 'a namespace of the same name made by hand',
    target: 'namespace',
    reason: 'OwnershipConflict',
    message: 'not created by Discovery',
  },
  {
    name: 'the namespace of a deleted DistributedCloud of the same name (another uid)',
    target: 'namespace',
    labels: { ...OWNER, 'discovery.beyondtheclouds.io/dc-uid': 'uid-0' },
    reason: 'OwnershipConflict',
    message: 'owned by DistributedCloud openstack/demo (uid uid-0)',
  },
  {
    name: 'a namespace carrying our name labels but no uid (forged or pre-upgrade)',
    target: 'namespace',
    labels: OWNER,
    reason: 'OwnershipConflict',
    message: '(no uid label)',
  },
  {
    name: 'an object of the same name made by hand in our namespace',
    target: 'object',
    reason: 'OwnershipConflict',
    message: 'not created by Discovery',
  },
  {
    name: "another DistributedCloud's object of the same name",
    target: 'object',
    labels: {
      'discovery.beyondtheclouds.io/dc': 'other',
      'discovery.beyondtheclouds.io/dc-namespace': 'openstack',
      'discovery.beyondtheclouds.io/dc-uid': 'uid-9',
    },
    reason: 'OwnershipConflict',
    message: 'owned by DistributedCloud openstack/other (uid uid-9)',
  },
];

/** Host-level DaemonSets (host network / PID) already on the nodes a nova-compute DaemonSet would use. */
export interface HostClaimCase {
  name: string;
  claim: { namespace: string; name: string; owner: string; nodeSelector: Record<string, string> };
}
export const HOSTILE_HOST_CLAIMS: HostClaimCase[] = [
  {
    name: "another DistributedCloud's hypervisors on the same compute nodes",
    claim: {
      namespace: 'team-b-cloud-edge-1-0badc0de',
      name: 'nova-compute',
      owner: 'owned by DistributedCloud team-b/cloud (uid uid-7)',
      nodeSelector: { 'openstack-compute-node': 'enabled' },
    },
  },
  {
    name: 'a host-network DaemonSet whose node selector is a subset of ours',
    claim: {
      namespace: 'x-y-edge-1-00000000',
      name: 'agent',
      owner: 'owned by DistributedCloud x/y',
      nodeSelector: {},
    },
  },
];

export const CORPUS_SIZE =
  HOSTILE_KUBECONFIGS.length +
  HOSTILE_SECRET_REFS.length +
  HOSTILE_RENDER_NAMES.length +
  HOSTILE_RENDER_TREES.length +
  HOSTILE_TENANCY.length +
  HOSTILE_MEMBER_STATE.length +
  HOSTILE_HOST_CLAIMS.length;
