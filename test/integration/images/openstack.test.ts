// The OpenStack images (`npm run images -- --group openstack`) keep Kolla's container contract for real, in a throwaway
// containerd v2 as the nodes run them: each container starts with the image's own entrypoint (dumb-init, kolla_start),
// which copies the files /var/lib/kolla/config_files/config.json names (owner, perm) and runs its command, as the
// Kolla uid the renderers use. MariaDB initialises itself; keystone-manage db_sync and bootstrap run as Jobs would;
// Keystone serves with the Apache configuration the operator renders (wsgiHttpdConf); the toolbox's openstack client
// gets a token and reads the catalog; Placement, Glance and nova-api answer with their databases synced; neutron-server
// runs with the neutron.conf and ml2_conf.ini the operator renders (addresses replaced by this test's), registered in
// Keystone by the operator's registration program, and lists ports for a real token. All share one network namespace
// made here (a pod's), and everything is removed afterwards. Run with `npm run test:images:openstack` (root; builds
// the group first: about 15 min cold here).
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupMounts, mountsUnder, run } from '../../../hack/images/host.js';
import { imageEntry, imagesCacheDir, readImageManifest, type ImageEntry } from '../../../hack/images/manifest.js';
import { REPO_ROOT } from '../../../hack/images/specs.js';
import { renderIni } from '../../../operator/src/render/ini.js';
import { renderUnit } from '../../../operator/src/render/index.js';
import type { Registration } from '../../../operator/src/services/keystone-register.js';
import { REGISTER_PY } from '../../../operator/src/services/keystone-register.js';
import { neutronConfig } from '../../../operator/src/services/neutron.js';
import { HTTPD_RUNTIME_DIR, wsgiHttpdConf } from '../../../operator/src/services/openstack.js';
import { SMOKE_PY, type SmokeCheck } from '../../../operator/src/services/smoke.js';
import { contextFor, sampleDc } from '../../unit/render/fixtures.js';
import { removeContainer, startThrowawayContainerd, type ThrowawayContainerd } from './containerd.js';

jest.setTimeout(600_000);

const UID = {
  keystone: 42425,
  glance: 42415,
  placement: 42482,
  nova: 42436,
  neutron: 42435,
  mysql: 42434,
  memcache: 42457,
  toolbox: 42401,
};
const ctrBin = path.join(REPO_ROOT, '.tools/bin');
const netns = `dimg-os-${process.pid}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'dimg-openstack-'));
const password = (n: number) => randomBytes(n).toString('hex');
const PW = { root: password(12), keystone: password(12), admin: password(12), placement: password(12) };
const PW2 = { glance: password(12), nova: password(12) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let entries: ImageEntry[];
let containerd: ThrowawayContainerd | undefined;
const started: string[] = [];
let execs = 0;

function images(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), ['hack/images/cli.ts', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', resolve);
  });
}

const ctr = (args: string[]) => containerd!.ctr(['-n', 'k8s.io', ...args]);
const ref = (name: string) => imageEntry(name, entries).ref;

/** A directory for /var/lib/kolla/config_files: config.json plus the files it copies, readable by the service. */
function configDir(name: string, config: unknown, files: Record<string, string> = {}): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), content);
  }
  chmodSync(dir, 0o755);
  return dir;
}

const runTrees = new Map<string, string>();

/**
 * The image's own /run, copied to a directory that is bind-mounted over /run. ctr's default spec puts a tmpfs on /run
 * (hiding /run/apache2, /run/mysqld, /run/kolla of the image); containerd's CRI, which the nodes' kubelets use, drops
 * that mount (oci.WithoutRunMount), so a pod sees the image's /run: this gives the containers here the same view.
 */
async function runDir(id: string, image: string): Promise<string> {
  let tree = runTrees.get(image);
  if (!tree) {
    tree = path.join(work, `run-of-${image}`);
    const mnt = path.join(work, `mnt-${image}`);
    mkdirSync(mnt, { recursive: true });
    await ctr(['images', 'mount', ref(image), mnt]);
    try {
      await run('cp', ['-a', `${mnt}/run`, tree]);
    } finally {
      await ctr(['images', 'unmount', mnt]).catch(() => {});
      rmSync(mnt, { recursive: true, force: true });
    }
    runTrees.set(image, tree);
  }
  const dir = path.join(work, `run-${id}`);
  await run('cp', ['-a', tree, dir]);
  // The in-memory emptyDir the operator mounts at HTTPD_RUNTIME_DIR (/var/run is /run): world-writable, as kubelet
  // makes an emptyDir.
  const httpd = path.join(dir, path.relative('/var/run', HTTPD_RUNTIME_DIR));
  mkdirSync(httpd);
  chmodSync(httpd, 0o777);
  return dir;
}

async function runArgs(id: string, image: string, uid: number, config: string, env: Record<string, string>) {
  return [
    '--mount',
    `type=bind,src=${await runDir(id, image)},dst=/run,options=rbind:rw`,
    '--cgroup',
    containerd!.cgroup(id),
    '--user',
    `${uid}:${uid}`,
    '--with-ns',
    `network:/var/run/netns/${netns}`,
    '--mount',
    `type=bind,src=${config},dst=/var/lib/kolla/config_files,options=rbind:ro`,
    ...Object.entries({ KOLLA_CONFIG_STRATEGY: 'COPY_ALWAYS', ...env }).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ref(image),
    id,
  ];
}

/** A one-shot container (a Job): the image's entrypoint and kolla_start; resolves with its output, throws on failure. */
async function job(id: string, image: string, uid: number, config: string, env: Record<string, string> = {}) {
  started.push(id); // cleaned up with the services if the test gives up on it
  try {
    return await ctr(['run', '--rm', ...(await runArgs(id, image, uid, config, env))]);
  } finally {
    await ctr(['containers', 'delete', id]).catch(() => {});
  }
}

/** A long-running container (a Deployment's pod), its output in WORK/<id>.log. */
async function service(id: string, image: string, uid: number, config: string, env: Record<string, string> = {}) {
  started.push(id);
  await ctr([
    'run',
    '-d',
    '--log-uri',
    `file://${path.join(work, `${id}.log`)}`,
    ...(await runArgs(id, image, uid, config, env)),
  ]);
}

function exec(id: string, args: string[]): Promise<string> {
  return ctr(['tasks', 'exec', '--exec-id', `probe-${++execs}`, id, ...args]);
}

async function waitFor<T>(what: string, probe: () => Promise<T>, timeoutMs: number, logOf?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await probe();
    } catch (e) {
      last = e;
      await sleep(1000);
    }
  }
  const log = logOf && existsSync(path.join(work, `${logOf}.log`)) ? readFileSync(path.join(work, `${logOf}.log`)) : '';
  throw new Error(`${what} not within ${timeoutMs / 1000} s: ${(last as Error)?.message}\n${log.slice(-3000)}`);
}

/** HTTP GET from inside a container (the shared network namespace): "STATUS BODY". */
function httpGet(id: string, url: string): Promise<string> {
  const py = [
    'import urllib.request as u, urllib.error as e',
    'try:',
    `    r = u.urlopen(${JSON.stringify(url)}, timeout=10)`,
    'except e.HTTPError as x:',
    '    r = x',
    'print(r.status, r.read().decode())',
  ].join('\n');
  return exec(id, ['python3', '-c', py]);
}

async function sql(query: string): Promise<string> {
  return exec('mariadb', ['mariadb', '-uroot', `-p${PW.root}`, '-h127.0.0.1', '-N', '-B', '-e', query]);
}

async function dbCreate(name: string, pw: string): Promise<void> {
  await sql(
    `CREATE DATABASE IF NOT EXISTS ${name} CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci; ` +
      `CREATE USER IF NOT EXISTS '${name}'@'%' IDENTIFIED BY '${pw}'; GRANT ALL PRIVILEGES ON ${name}.* TO '${name}'@'%';`,
  );
}

const dbUrl = (user: string, pw: string) => `mysql+pymysql://${user}:${pw}@127.0.0.1:3306/${user}?charset=utf8`;
const fernetKey = () => randomBytes(32).toString('base64url').replace(/$/, '=');

const keystoneConf = [
  '[DEFAULT]',
  'use_stderr = true',
  '[database]',
  `connection = ${dbUrl('keystone', PW.keystone)}`,
  'max_retries = 10',
  '[cache]',
  'enabled = true',
  'backend = dogpile.cache.pymemcache',
  'memcache_servers = 127.0.0.1:11211',
  '[token]',
  'provider = fernet',
  '[fernet_tokens]',
  'key_repository = /etc/keystone/fernet-keys/',
  '[credential]',
  'provider = fernet',
  'key_repository = /etc/keystone/credential-keys/',
  '',
].join('\n');

/** config.json of a Keystone container: keystone.conf and both key repositories, owned by keystone. */
function keystoneConfig(name: string, command: string, extra: Record<string, string> = {}) {
  const files: Record<string, string> = {
    'keystone.conf': keystoneConf,
    'fernet-keys/0': keys.fernet[0]!,
    'fernet-keys/1': keys.fernet[1]!,
    'credential-keys/0': keys.credential[0]!,
    'credential-keys/1': keys.credential[1]!,
    ...extra,
  };
  const copy = (source: string, dest: string, perm: string) => ({
    source: `/var/lib/kolla/config_files/${source}`,
    dest,
    owner: 'keystone',
    perm,
  });
  return configDir(
    name,
    {
      command,
      config_files: [
        copy('keystone.conf', '/etc/keystone/keystone.conf', '0600'),
        copy('fernet-keys', '/etc/keystone/fernet-keys', '0600'),
        copy('credential-keys', '/etc/keystone/credential-keys', '0600'),
        ...Object.keys(extra).map((f) => copy(f, `/etc/keystone/${f}`, '0600')),
      ],
      permissions: [{ path: '/var/log/keystone', owner: 'keystone:keystone', recurse: true }],
    },
    files,
  );
}

const keys = { fernet: [fernetKey(), fernetKey()], credential: [fernetKey(), fernetKey()] };
const WANTED = [
  'mariadb-server',
  'memcached',
  'keystone',
  'kolla-toolbox',
  'placement-api',
  'glance-api',
  'nova-api',
  'neutron-server',
];

beforeAll(async () => {
  expect(existsSync(path.join(ctrBin, 'containerd'))).toBe(true); // bash hack/tools/build.sh containerd
  expect(await images(['--group', 'openstack'])).toBe(0);
  entries = readImageManifest(path.join(imagesCacheDir(), 'manifest.json'));
  containerd = await startThrowawayContainerd(ctrBin);
  const t = Date.now();
  for (const name of WANTED) await ctr(['images', 'import', imageEntry(name, entries).archive]);
  process.stderr.write(`imported ${WANTED.join(', ')} in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}, 60 * 60_000);

afterAll(async () => {
  for (const id of started) await removeContainer(ctr, id);
  const left = (await containerd?.stop()) ?? [];
  await run('ip', ['netns', 'delete', netns]).catch(() => {});
  const mounts = mountsUnder([work]);
  if (mounts.length === 0) rmSync(work, { recursive: true, force: true });
  // Nothing is left: processes (stop() kills and reports them), mounts, cgroups, the network namespace, files.
  expect(left.filter((r) => !r.includes('io.containerd.mount-manager'))).toEqual([]);
  expect(mounts).toEqual([]);
  expect(existsSync(`/var/run/netns/${netns}`)).toBe(false);
  for (const m of cgroupMounts()) expect(existsSync(path.join(m, `dimg-ctrd-${process.pid}`))).toBe(false);
  expect(existsSync(work)).toBe(false);
}, 180_000);

describe('Kolla contract: MariaDB, memcached, Keystone and the toolbox in a throwaway containerd', () => {
  test('mariadb-server initialises an empty datadir, sets the root password and serves as uid mysql', async () => {
    const cnf = '[mysqld]\nbind-address = 127.0.0.1\nport = 3306\nskip-name-resolve\n';
    const dir = configDir(
      'mariadb',
      {
        command: 'mariadbd',
        config_files: [
          {
            source: '/var/lib/kolla/config_files/discovery.cnf',
            dest: '/etc/mysql/mariadb.conf.d/99-discovery.cnf',
            owner: 'mysql',
            perm: '0600',
          },
        ],
      },
      { 'discovery.cnf': cnf },
    );
    await service('mariadb', 'mariadb-server', UID.mysql, dir, { DB_ROOT_PASSWORD: PW.root });
    expect(await waitFor('mariadb', () => sql('SELECT VERSION()'), 120_000, 'mariadb')).toMatch(/^11\.8\..*MariaDB/);
    expect((await exec('mariadb', ['stat', '-c', '%u %a', '/etc/mysql/mariadb.conf.d/99-discovery.cnf'])).trim()).toBe(
      `${UID.mysql} 600`,
    );
    expect(await sql("SHOW VARIABLES LIKE 'skip_name_resolve'")).toMatch(/ON/);
    // galera-4 and mariadb-backup are in the image for Galera's mariabackup SST.
    expect(
      await exec('mariadb', ['sh', '-c', 'ls /usr/lib/galera/libgalera_smm.so && mariadb-backup --version 2>&1']),
    ).toMatch(/libgalera_smm\.so[\s\S]*mariadb-backup/);
  });

  test('memcached serves as uid memcache', async () => {
    const dir = configDir('memcached', { command: 'memcached -l 127.0.0.1 -p 11211 -U 0 -m 64', config_files: [] });
    await service('memcached', 'memcached', UID.memcache, dir);
    const stats = await waitFor(
      'memcached',
      () =>
        exec('memcached', [
          'python3',
          '-c',
          'import socket;s=socket.create_connection(("127.0.0.1",11211));s.sendall(b"stats\\r\\n");print(s.recv(4096).decode())',
        ]),
      60_000,
      'memcached',
    );
    expect(stats).toContain('STAT uptime');
  });

  test('keystone-manage db_sync runs through kolla_start as uid keystone', async () => {
    await dbCreate('keystone', PW.keystone);
    const t = Date.now();
    const out = await job(
      'keystone-db-sync',
      'keystone',
      UID.keystone,
      keystoneConfig('keystone-db-sync', 'keystone-manage --config-file /etc/keystone/keystone.conf db_sync'),
    );
    process.stderr.write(`keystone db_sync: ${((Date.now() - t) / 1000).toFixed(0)} s\n${out}`);
    const tables = (await sql('SHOW TABLES FROM keystone')).split('\n');
    expect(tables).toEqual(expect.arrayContaining(['project', 'user', 'endpoint', 'region']));
  });

  test('keystone-manage bootstrap creates the admin, the identity service and its endpoints', async () => {
    const dir = keystoneConfig(
      'keystone-bootstrap',
      [
        'keystone-manage --config-file /etc/keystone/keystone.conf bootstrap',
        '--bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin',
        '--bootstrap-service-name keystone --bootstrap-region-id RegionOne',
        '--bootstrap-admin-url http://127.0.0.1:5000 --bootstrap-internal-url http://127.0.0.1:5000',
        '--bootstrap-public-url http://127.0.0.1:5000',
      ].join(' '),
    );
    await job('keystone-bootstrap', 'keystone', UID.keystone, dir, { OS_BOOTSTRAP_PASSWORD: PW.admin });
    expect(await sql("SELECT name FROM keystone.local_user WHERE name = 'admin'")).toContain('admin');
    expect(await sql('SELECT url FROM keystone.endpoint')).toContain('http://127.0.0.1:5000');
  });

  test("keystone-api serves with the operator's rendered Apache configuration, as uid keystone", async () => {
    // Exactly what operator/src/services/keystone.ts mounts at /etc/discovery/httpd.conf (Kolla's venv paths).
    const httpd = wsgiHttpdConf('keystone-public', 5000, '/var/lib/kolla/venv/bin/keystone-wsgi-public');
    const dir = keystoneConfig('keystone-api', 'apache2 -DFOREGROUND -f /etc/keystone/httpd.conf', {
      'httpd.conf': httpd,
    });
    const t = Date.now();
    await service('keystone-api', 'keystone', UID.keystone, dir);
    const v3 = await waitFor(
      'GET /v3',
      () => httpGet('keystone-api', 'http://127.0.0.1:5000/v3'),
      240_000,
      'keystone-api',
    );
    process.stderr.write(`keystone-api: first 200 after ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    expect(v3).toMatch(/^200 /);
    expect(v3).toContain('"id": "v3.');
    // Every process of the container runs as keystone; config files were copied with the owner and perm asked for.
    const ps = await exec('keystone-api', ['ps', '-eo', 'uid=,comm=']);
    const uids = new Set(
      ps
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0]),
    );
    expect([...uids]).toEqual([String(UID.keystone)]);
    expect(ps).toMatch(/apache2/);
    const st = await exec('keystone-api', [
      'stat',
      '-c',
      '%u %a %n',
      '/etc/keystone/keystone.conf',
      '/etc/keystone/fernet-keys',
      '/etc/keystone/fernet-keys/1',
    ]);
    expect(st.trim().split('\n')).toEqual([
      `${UID.keystone} 600 /etc/keystone/keystone.conf`,
      `${UID.keystone} 700 /etc/keystone/fernet-keys`,
      `${UID.keystone} 600 /etc/keystone/fernet-keys/1`,
    ]);
  });

  test("kolla-toolbox's openstack client gets a token and the catalog lists the identity endpoints", async () => {
    const clouds = [
      'clouds:',
      '  discovery:',
      '    auth:',
      '      auth_url: http://127.0.0.1:5000/v3',
      '      username: admin',
      `      password: "${PW.admin}"`,
      '      project_name: admin',
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '    interface: internal',
      '    identity_api_version: 3',
      '',
    ].join('\n');
    const script = [
      'set -eu',
      'echo "== token"; openstack --os-cloud discovery token issue -f json',
      'echo "== catalog"; openstack --os-cloud discovery catalog list -f json',
      '',
    ].join('\n');
    const dir = configDir(
      'toolbox',
      {
        command: 'bash /var/lib/ansible/smoke.sh',
        config_files: [
          {
            source: '/var/lib/kolla/config_files/clouds.yaml',
            dest: '/var/lib/ansible/.config/openstack/clouds.yaml',
            owner: 'ansible',
            perm: '0600',
          },
          { source: '/var/lib/kolla/config_files/smoke.sh', dest: '/var/lib/ansible/smoke.sh', perm: '0755' },
        ],
      },
      { 'clouds.yaml': clouds, 'smoke.sh': script },
    );
    const t = Date.now();
    const out = await job('toolbox-smoke', 'kolla-toolbox', UID.toolbox, dir);
    process.stderr.write(`toolbox token + catalog: ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    const [, token, catalog] = out.split(/^== \w+$/m);
    const tok = JSON.parse(token!) as { id: string; project_id: string; user_id: string; expires: string };
    expect(tok.id).toMatch(/^gAAAAA/); // a Fernet token
    expect(new Date(tok.expires).getTime()).toBeGreaterThan(Date.now());
    const services = JSON.parse(catalog!) as { Name: string; Type: string; Endpoints: unknown }[];
    const identity = services.find((s) => s.Type === 'identity');
    expect(identity?.Name).toBe('keystone');
    expect(JSON.stringify(identity?.Endpoints)).toContain('http://127.0.0.1:5000');
  });
});

describe('Placement, Glance and nova-api answer with their databases synced', () => {
  test("placement-api: placement-manage db sync, then the rendered Apache configuration serves '/'", async () => {
    await dbCreate('placement', PW.placement);
    const conf = [
      '[DEFAULT]',
      'use_stderr = true',
      '[api]',
      'auth_strategy = noauth2',
      '[placement_database]',
      `connection = ${dbUrl('placement', PW.placement)}`,
      '',
    ].join('\n');
    const files = (command: string, extra: Record<string, string> = {}) => ({
      command,
      config_files: ['placement.conf', ...Object.keys(extra)].map((f) => ({
        source: `/var/lib/kolla/config_files/${f}`,
        dest: `/etc/placement/${f}`,
        owner: 'placement',
        perm: '0600',
      })),
    });
    const sync = 'placement-manage --config-file /etc/placement/placement.conf db sync';
    await job(
      'placement-db-sync',
      'placement-api',
      UID.placement,
      configDir('placement-db-sync', files(sync), { 'placement.conf': conf }),
    );
    expect((await sql('SHOW TABLES FROM placement')).split('\n')).toEqual(
      expect.arrayContaining(['resource_providers', 'inventories']),
    );
    const httpd = wsgiHttpdConf('placement-api', 8778, '/var/lib/kolla/venv/bin/placement-api');
    const api = 'apache2 -DFOREGROUND -f /etc/placement/httpd.conf';
    await service(
      'placement-api',
      'placement-api',
      UID.placement,
      configDir('placement-api', files(api, { 'httpd.conf': httpd }), { 'placement.conf': conf, 'httpd.conf': httpd }),
    );
    const root = await waitFor(
      'placement /',
      () => httpGet('placement-api', 'http://127.0.0.1:8778/'),
      240_000,
      'placement-api',
    );
    expect(root).toMatch(/^200 /);
    expect(root).toContain('"versions"');
  });

  test('glance-api: glance-manage db_sync, then /healthcheck and the versions document', async () => {
    await dbCreate('glance', PW2.glance);
    const conf = [
      '[DEFAULT]',
      'use_stderr = true',
      'bind_host = 127.0.0.1',
      'bind_port = 9292',
      'enabled_backends = file:file',
      '[database]',
      `connection = ${dbUrl('glance', PW2.glance)}`,
      '[glance_store]',
      'default_backend = file',
      '[file]',
      'filesystem_store_datadir = /var/lib/glance/images/',
      '[os_glance_staging_store]',
      'filesystem_store_datadir = /var/lib/glance/staging/',
      '[os_glance_tasks_store]',
      'filesystem_store_datadir = /var/lib/glance/tasks_work/',
      '',
    ].join('\n');
    const cfg = (command: string) =>
      configDir(
        command.includes('db_sync') ? 'glance-db-sync' : 'glance-api',
        {
          command,
          config_files: [
            {
              source: '/var/lib/kolla/config_files/glance-api.conf',
              dest: '/etc/glance/glance-api.conf',
              owner: 'glance',
              perm: '0600',
            },
          ],
        },
        { 'glance-api.conf': conf },
      );
    await job(
      'glance-db-sync',
      'glance-api',
      UID.glance,
      cfg('glance-manage --config-file /etc/glance/glance-api.conf db_sync'),
    );
    expect((await sql('SHOW TABLES FROM glance')).split('\n')).toEqual(
      expect.arrayContaining(['images', 'image_locations']),
    );
    await service('glance-api', 'glance-api', UID.glance, cfg('glance-api --config-file /etc/glance/glance-api.conf'));
    const health = await waitFor(
      'glance /healthcheck',
      () => httpGet('glance-api', 'http://127.0.0.1:9292/healthcheck'),
      180_000,
      'glance-api',
    );
    expect(health).toMatch(/^200 OK/);
    const versions = await httpGet('glance-api', 'http://127.0.0.1:9292/versions');
    expect(versions).toMatch(/^(200|300) /);
    expect(versions).toContain('"v2.');
  });

  test('nova-api: nova-manage api_db sync and db sync, then the compute API answers its versions document', async () => {
    await sql(
      `CREATE DATABASE IF NOT EXISTS nova_api; CREATE DATABASE IF NOT EXISTS nova; ` +
        `CREATE USER IF NOT EXISTS 'nova'@'%' IDENTIFIED BY '${PW2.nova}'; ` +
        "GRANT ALL PRIVILEGES ON nova_api.* TO 'nova'@'%'; GRANT ALL PRIVILEGES ON nova.* TO 'nova'@'%';",
    );
    const conf = [
      '[DEFAULT]',
      'use_stderr = true',
      'enabled_apis = osapi_compute',
      'osapi_compute_listen = 127.0.0.1',
      'osapi_compute_listen_port = 8774',
      'osapi_compute_workers = 1',
      '[api]',
      'auth_strategy = noauth2',
      '[api_database]',
      `connection = mysql+pymysql://nova:${PW2.nova}@127.0.0.1:3306/nova_api?charset=utf8`,
      'max_retries = 10',
      '[database]',
      `connection = mysql+pymysql://nova:${PW2.nova}@127.0.0.1:3306/nova?charset=utf8`,
      'max_retries = 10',
      '[oslo_concurrency]',
      'lock_path = /var/lib/nova/tmp',
      '',
    ].join('\n');
    const cfg = (name: string, command: string) =>
      configDir(
        name,
        {
          command,
          config_files: [
            {
              source: '/var/lib/kolla/config_files/nova.conf',
              dest: '/etc/nova/nova.conf',
              owner: 'nova',
              perm: '0600',
            },
          ],
        },
        { 'nova.conf': conf },
      );
    const sync = 'nova-manage --config-file /etc/nova/nova.conf api_db sync';
    await job('nova-api-db-sync', 'nova-api', UID.nova, cfg('nova-api-db-sync', sync));
    expect((await sql('SHOW TABLES FROM nova_api')).split('\n')).toEqual(
      expect.arrayContaining(['cell_mappings', 'host_mappings', 'flavors']),
    );
    const dbSync = 'nova-manage --config-file /etc/nova/nova.conf db sync';
    await job('nova-db-sync', 'nova-api', UID.nova, cfg('nova-db-sync', dbSync));
    expect((await sql('SHOW TABLES FROM nova')).split('\n')).toEqual(expect.arrayContaining(['instances', 'services']));
    await service('nova-api', 'nova-api', UID.nova, cfg('nova-api', 'nova-api --config-file /etc/nova/nova.conf'));
    const root = await waitFor('nova-api /', () => httpGet('nova-api', 'http://127.0.0.1:8774/'), 180_000, 'nova-api');
    expect(root).toMatch(/^200 /);
    expect(root).toContain('"v2.1"');
  });
});

describe('Neutron, agent-less, with the rendered configuration', () => {
  // The operator's rendering of the centralized sample with spec.services.neutron: {}; only the addresses change
  // (this test's namespace has no Services): the database, memcached and Keystone on 127.0.0.1, Keystone's RegionOne,
  // and oslo.messaging's in-memory `fake://` driver for the bus (no broker here; with no agent, nothing consumes it).
  const sample = sampleDc('centralized');
  const ctx = contextFor({ ...sample, spec: { ...sample.spec, services: { ...sample.spec.services, neutron: {} } } });
  const rendered = neutronConfig(ctx, 'core');
  const conf = structuredClone(rendered.neutron);
  conf.database!.connection = conf.database!.connection!.replace(/@[^/]+\//, '@127.0.0.1:3306/');
  conf.DEFAULT!.transport_url = 'fake://';
  Object.assign(conf.keystone_authtoken!, {
    www_authenticate_uri: 'http://127.0.0.1:5000',
    auth_url: 'http://127.0.0.1:5000',
    memcached_servers: '127.0.0.1:11211',
    region_name: 'RegionOne',
  });
  const files = { 'neutron.conf': renderIni(conf), 'ml2_conf.ini': renderIni(rendered.ml2) };
  const neutronConfigDir = (name: string, command: string) =>
    configDir(
      name,
      {
        command,
        config_files: [
          ['neutron.conf', '/etc/neutron/neutron.conf'],
          ['ml2_conf.ini', '/etc/neutron/plugins/ml2/ml2_conf.ini'],
        ].map(([source, dest]) => ({
          source: `/var/lib/kolla/config_files/${source}`,
          dest,
          owner: 'neutron',
          perm: '0600',
        })),
      },
      files,
    );
  const args = '--config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini';
  const adminEnv = {
    OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
    OS_IDENTITY_API_VERSION: '3',
    OS_INTERFACE: 'internal',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_PROJECT_NAME: 'admin',
    OS_REGION_NAME: 'RegionOne',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_USERNAME: 'admin',
    OS_PASSWORD: PW.admin,
  };
  /** A kolla-toolbox Job running `program` on `input` (as the operator's registration and smoke Jobs do). */
  const toolbox = (name: string, program: string, input: unknown, env: Record<string, string> = {}) =>
    job(
      name,
      'kolla-toolbox',
      UID.toolbox,
      configDir(
        name,
        {
          command: 'python3 /var/lib/ansible/program.py /var/lib/ansible/input.json',
          config_files: ['program.py', 'input.json'].map((f) => ({
            source: `/var/lib/kolla/config_files/${f}`,
            dest: `/var/lib/ansible/${f}`,
            owner: 'ansible',
            perm: '0600',
          })),
        },
        { 'program.py': program, 'input.json': JSON.stringify(input) },
      ),
      { ...adminEnv, ...env },
    );

  test('the rendered configuration is agent-less ML2 without service plugins', () => {
    expect(rendered.neutron.DEFAULT).toMatchObject({ core_plugin: 'ml2', service_plugins: '', rpc_workers: '0' });
    expect(rendered.ml2.ml2).toMatchObject({
      type_drivers: 'flat,vlan',
      mechanism_drivers: '',
      tenant_network_types: '',
    });
  });

  test('neutron-db-manage upgrade heads, with both rendered files, as uid neutron', async () => {
    const name = /\/(\w+)\?/.exec(conf.database!.connection!)![1]!;
    expect(name).toBe('neutron');
    await dbCreate(name, ctx.secrets['database-neutron']!.password!);
    const t = Date.now();
    await job(
      'neutron-db-sync',
      'neutron-server',
      UID.neutron,
      neutronConfigDir('neutron-db-sync', `neutron-db-manage ${args} upgrade heads`),
    );
    process.stderr.write(`neutron-db-manage upgrade heads: ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    const tables = (await sql('SHOW TABLES FROM neutron')).split('\n');
    expect(tables).toEqual(expect.arrayContaining(['ports', 'networks', 'routers', 'portforwardings']));
    expect((await sql('SELECT COUNT(*) FROM neutron.alembic_version')).trim()).not.toBe('0');
  });

  test('the registration program records the network service, its endpoints and the neutron user', async () => {
    const unit = ctx.plan.byId.get('neutron-ks-register@core')!;
    const secret = renderUnit(unit, ctx).find((o) => o.kind === 'Secret')!;
    const input = JSON.parse(
      Buffer.from((secret.data as Record<string, string>)['input.json']!, 'base64').toString('utf8'),
    ) as Registration;
    expect(input.services.map((s) => s.type)).toEqual(['network']);
    const local: Registration = {
      ...input,
      region: 'RegionOne',
      services: input.services.map((s) => ({
        ...s,
        endpoints: Object.fromEntries(Object.keys(s.endpoints).map((i) => [i, 'http://127.0.0.1:9696'])),
      })),
    };
    const out = await toolbox('neutron-ks-register', REGISTER_PY, local, {
      SERVICE_PASSWORD: ctx.secrets['keystone-user-neutron']!.password!,
    });
    expect(out).toContain('user neutron: password set, roles admin, service in project service');
    expect(await sql("SELECT COUNT(*) FROM keystone.endpoint WHERE url = 'http://127.0.0.1:9696'")).toMatch(/^3/);
  });

  test('neutron-server answers GET / and, for a real token, lists the ports of a device (the call nova makes)', async () => {
    const t = Date.now();
    await service(
      'neutron-server',
      'neutron-server',
      UID.neutron,
      neutronConfigDir('neutron-server', `neutron-server ${args}`),
    );
    const root = await waitFor(
      'neutron-server /',
      () => httpGet('neutron-server', 'http://127.0.0.1:9696/'),
      240_000,
      'neutron-server',
    );
    process.stderr.write(`neutron-server: first answer after ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    expect(root).toMatch(/^200 /);
    expect(root).toContain('"v2.0"');
    // The smoke Job's program, as the operator runs it: a token, both endpoints from the catalog answering, and
    // GET /v2.0/ports?device_id=… through keystonemiddleware with the neutron user, as the first request that reaches
    // neutron's database (with type_drivers = flat alone it answers 500: Port.port_forwardings is not configured).
    const check: SmokeCheck = { region: 'RegionOne', services: ['identity', 'network'], novaBinaries: [] };
    const out = await toolbox('neutron-smoke', SMOKE_PY, check).catch((e: Error) => {
      const log = readFileSync(path.join(work, 'neutron-server.log'), 'utf8');
      throw new Error(`${e.message}\nneutron-server log:\n${log.slice(-6000)}`);
    });
    expect(out).toMatch(
      /cloud answers in region RegionOne: token, identity \d+, network 200, network ports of a device listed \(0\)/,
    );
    // Every process runs as neutron: the server and its API workers (no RPC worker process, rpc_workers = 0).
    const ps = (await exec('neutron-server', ['ps', '-eo', 'uid=,args='])).trim().split('\n');
    const server = ps.filter((l) => /neutron-server/.test(l) && !/\bps\b/.test(l));
    expect(new Set(server.map((l) => l.trim().split(/\s+/)[0]))).toEqual(new Set([String(UID.neutron)]));
    process.stderr.write(`neutron-server processes:\n${server.join('\n')}\n`);
    expect(server.length).toBeGreaterThanOrEqual(3); // the parent and api_workers = 2
  });
});
