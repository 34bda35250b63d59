// The OpenStack wiring defects found by running the rendered configs by hand (issue 11), each pinned by a test that
// fails on the old renderers: keystone-bootstrap's key repositories, Apache's runtime files as a non-root uid,
// libvirtd without TLS listener and qemu.conf without virtlogd, an idempotent create_cell (its script run against
// a fake nova-manage), `--password=` for passwords that start with "-", process probes that can fail, and no
// credential in any container's command, args or env value.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { renderPlan, renderUnit, type K8sObject, type RenderContext } from '../../../operator/src/render/index.js';
import { HTTPD_RUNTIME_DIR } from '../../../operator/src/services/openstack.js';
import { TOPOLOGIES, contextFor, liveContext, sampleContext, sampleDc } from '../render/fixtures.js';

type Container = {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  readinessProbe?: { exec?: { command: string[] } };
  livenessProbe?: { exec?: { command: string[] } };
};
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Record<string, unknown>[];
  hostPID?: boolean;
};

function unitObjects(ctx: RenderContext, id: string): K8sObject[] {
  const unit = ctx.plan.byId.get(id);
  if (!unit) throw new Error(`no unit ${id}`);
  return renderUnit(unit, ctx);
}

function podSpec(objects: K8sObject[], kind?: string): PodSpec {
  const o = objects.find((x) =>
    kind ? x.kind === kind : ['Job', 'Deployment', 'DaemonSet', 'StatefulSet'].includes(x.kind),
  );
  if (!o) throw new Error(`no ${kind ?? 'workload'} in ${objects.map((x) => x.kind).join(', ')}`);
  return (o.spec as { template: { spec: PodSpec } }).template.spec;
}

function secretFile(objects: K8sObject[], key: string): string {
  for (const o of objects) {
    const data = (o.kind === 'Secret' ? o.data : undefined) as Record<string, string> | undefined;
    if (data?.[key] !== undefined) return Buffer.from(data[key], 'base64').toString('utf8');
  }
  throw new Error(`no Secret key ${key}`);
}

const work = mkdtempSync(path.join(tmpdir(), 'discovery-wiring-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('keystone-bootstrap', () => {
  test('mounts the Fernet and credential key repositories exactly where keystone-api has them', () => {
    const ctx = sampleContext('centralized');
    const mounts = (id: string) =>
      podSpec(unitObjects(ctx, id))
        .containers[0]!.volumeMounts!.filter((m) => m.mountPath.startsWith('/etc/keystone/') && !m.subPath)
        .map((m) => m.mountPath)
        .sort();
    expect(mounts('keystone-bootstrap@core')).toEqual(['/etc/keystone/credential-keys', '/etc/keystone/fernet-keys']);
    expect(mounts('keystone-bootstrap@core')).toEqual(mounts('keystone-api@core'));
    const volumes = podSpec(unitObjects(ctx, 'keystone-bootstrap@core')).volumes!.map((v) => v.secret);
    expect(volumes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ secretName: 'keystone-fernet-keys' }),
        expect.objectContaining({ secretName: 'keystone-credential-keys' }),
      ]),
    );
  });
});

describe('Apache/mod_wsgi as the Kolla uid', () => {
  test.each([
    ['keystone-api@core', 'keystone-api'],
    ['placement-api@core', 'placement-api'],
  ])('%s keeps every runtime file in a writable emptyDir, declared after mod_wsgi is loaded', (id) => {
    const objects = unitObjects(sampleContext('centralized'), id);
    const conf = secretFile(objects, 'httpd.conf').split('\n');
    const at = (prefix: string) => conf.findIndex((l) => l.startsWith(prefix));
    expect(conf).toContain(`WSGISocketPrefix ${HTTPD_RUNTIME_DIR}/wsgi`);
    expect(conf).toContain(`DefaultRuntimeDir ${HTTPD_RUNTIME_DIR}`);
    expect(conf).toContain(`PidFile ${HTTPD_RUNTIME_DIR}/httpd.pid`);
    expect(conf).toContain(`Mutex file:${HTTPD_RUNTIME_DIR} default`);
    expect(at('WSGISocketPrefix')).toBeGreaterThan(at('LoadModule wsgi_module'));
    const pod = podSpec(objects, 'Deployment');
    const mount = pod.containers[0]!.volumeMounts!.find((m) => m.mountPath === HTTPD_RUNTIME_DIR);
    expect(mount).toBeDefined();
    expect(pod.volumes!.find((v) => v.name === mount!.name)).toHaveProperty('emptyDir');
  });
});

describe('nova-compute pod: libvirtd and QEMU', () => {
  const objects = unitObjects(sampleContext('centralized'), 'nova-compute@edge-1');
  const pod = podSpec(objects, 'DaemonSet');
  const libvirt = pod.containers.find((c) => c.name === 'nova-libvirt')!;

  test('libvirtd starts without a TCP/TLS listener (its default listen_tls needs certificates)', () => {
    expect(libvirt.command).not.toContain('--listen');
    const mount = libvirt.volumeMounts!.find((m) => m.mountPath === '/etc/libvirt/libvirtd.conf');
    expect(mount?.subPath).toBe('libvirtd.conf');
    const conf = secretFile(objects, 'libvirtd.conf');
    expect(conf).toMatch(/^listen_tls = 0$/m);
    expect(conf).toMatch(/^listen_tcp = 0$/m);
  });

  test("nova's instances_path exists before nova-compute's first resource update, the same for libvirtd", () => {
    const compute = pod.containers.find((c) => c.name === 'nova-compute')!;
    for (const c of [compute, libvirt]) {
      const m = c.volumeMounts!.find((v) => v.mountPath === '/var/lib/nova/instances');
      expect(pod.volumes!.find((v) => v.name === m?.name)).toEqual({
        name: m!.name,
        hostPath: { path: '/var/lib/nova/instances', type: 'DirectoryOrCreate' },
      });
    }
  });

  test('libvirtd is not PID 1 of a PID namespace of its own (hostPID): the node reaps the daemonized QEMU processes', () => {
    // The rendered command runs libvirtd directly (no dumb-init). QEMU daemonizes: as PID 1 of its own namespace
    // libvirtd would leave the capability probes' QEMU processes zombies and wait 40 s for each (guest-boot test).
    expect(pod.hostPID).toBe(true);
    expect(libvirt.command).toEqual(['/usr/sbin/libvirtd']);
  });

  test('qemu.conf makes QEMU write its own logs (no virtlogd) and keeps domain definitions on the node', () => {
    expect(libvirt.volumeMounts!.find((m) => m.mountPath === '/etc/libvirt/qemu.conf')?.subPath).toBe('qemu.conf');
    expect(secretFile(objects, 'qemu.conf')).toMatch(/^stdio_handler = "file"$/m);
    const etc = libvirt.volumeMounts!.find((m) => m.mountPath === '/etc/libvirt/qemu')!;
    expect(pod.volumes!.find((v) => v.name === etc.name)).toEqual({
      name: etc.name,
      hostPath: { path: '/etc/libvirt/qemu', type: 'DirectoryOrCreate' },
    });
  });
});

describe('nova-compute host names are unique across clusters and stable across pod restarts', () => {
  test('[DEFAULT] host is <site>-<node name>, written by the start script, never the pod or machine name', () => {
    const ctx = sampleContext('centralized');
    const pod = podSpec(unitObjects(ctx, 'nova-compute@edge-2'), 'DaemonSet');
    const compute = pod.containers.find((c) => c.name === 'nova-compute')! as {
      command: string[];
      env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
    };
    expect(compute.env).toEqual([
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'NOVA_HOST', value: 'edge-2-$(NODE_NAME)' },
    ]);
    // run the start script with a fake nova-compute that prints its arguments and the host file
    const dir = mkdtempSync(path.join(work, 'compute-'));
    writeFileSync(path.join(dir, 'nova-compute'), '#!/bin/sh\necho "$@"\ncat /tmp/nova-host.conf\n');
    chmodSync(path.join(dir, 'nova-compute'), 0o755);
    const out = execFileSync(compute.command[0]!, compute.command.slice(1), {
      env: { PATH: `${dir}:/usr/bin:/bin`, NOVA_HOST: 'edge-2-node $(x) "1"' },
    }).toString();
    rmSync('/tmp/nova-host.conf', { force: true });
    expect(out.split('\n')).toEqual([
      '--config-file /etc/nova/nova.conf --config-file /tmp/nova-host.conf',
      '[DEFAULT]',
      'host = edge-2-node $(x) "1"',
      '',
    ]);
  });
});

describe('process probes of the nova daemons can fail', () => {
  test.each(['nova-compute@edge-1', 'nova-conductor@core', 'nova-scheduler@core'])(
    '%s: the probe, run where no such daemon runs, exits non-zero',
    (id) => {
      const pod = podSpec(unitObjects(sampleContext('centralized'), id));
      const c = pod.containers.find((x) => x.name.startsWith('nova-') && x.name !== 'nova-libvirt')!;
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        const cmd = probe!.exec!.command;
        expect(cmd.join(' ')).not.toMatch(/sh -c|pgrep -f/);
        // The old `sh -c 'pgrep -f nova-compute'` exits 0 here: pgrep finds the shell whose argv names the daemon.
        // A PID namespace of its own, as a container has: a real-node fleet on this host may run these daemons.
        const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', ...cmd]);
        expect(r.status).toBe(1);
      }
    },
  );
});

/** Runs a rendered Job script with /etc/discovery redirected to `dir` and fake commands first on PATH. */
function runScript(
  objects: K8sObject[],
  script: string,
  files: string[],
  fakes: Record<string, string>,
  env: Record<string, string> = {},
): string {
  const dir = mkdtempSync(path.join(work, 'job-'));
  const bin = path.join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  for (const f of files) writeFileSync(path.join(dir, f), secretFile(objects, f));
  for (const [name, body] of Object.entries(fakes)) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  const text = secretFile(objects, script).replaceAll('/etc/discovery/', `${dir}/`);
  writeFileSync(path.join(dir, 'script.sh'), text);
  const log = path.join(dir, 'calls.log');
  writeFileSync(log, '');
  execFileSync(script === 'register.sh' ? 'bash' : 'sh', [path.join(dir, 'script.sh')], {
    env: { PATH: `${bin}:/usr/bin:/bin`, CALLS: log, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return readFileSync(log, 'utf8');
}

describe('nova discover_hosts waits until a compute of the cell has registered', () => {
  const objects = unitObjects(sampleContext('centralized'), 'nova-discover-hosts@core');
  // A fake nova-manage: discover_hosts maps the hosts once $REGISTERED_AFTER calls have been made.
  const fake = [
    'echo "$*" >> "$CALLS"',
    'n=$(wc -l < "$CALLS")',
    'case "$*" in',
    '  *list_hosts*) echo "| Cell Name | Cell UUID | Hostname |"; [ "$n" -gt "$REGISTERED_AFTER" ] && echo "| cell1 | 1234 | edge-1-node |"; true ;;',
    'esac',
  ].join('\n');
  const fakes = { 'nova-manage': fake, sleep: 'true' };

  test('retries until a host of its cell is mapped, then succeeds', () => {
    const calls = runScript(objects, 'run.sh', [], fakes, { REGISTERED_AFTER: '4' }).trim().split('\n');
    expect(calls.filter((c) => c.includes('discover_hosts'))).toHaveLength(3);
    expect(calls.at(-1)).toContain('list_hosts');
  });

  test('fails when no compute of the cell ever registers (the unit is not Ready on an empty cell)', () => {
    expect(() => runScript(objects, 'run.sh', [], fakes, { REGISTERED_AFTER: '100000' })).toThrow();
  });
});

describe('nova create_cell is idempotent and keeps credentials off the command line', () => {
  const ctx = sampleContext('cells');
  const objects = unitObjects(ctx, 'nova-create-cell@edge-1');
  const files = ['cell-transport-url', 'cell-database-connection'];
  // A fake nova-manage: logs each call (one argument per line), lists the cells recorded in $CELLS.
  const fake = [
    'for a in "$@"; do printf "%s\\n" "$a" >> "$CALLS"; done; echo --- >> "$CALLS"',
    'case "$*" in',
    '  *list_cells*) echo "| Name | UUID | Transport URL | Database Connection | Disabled |";',
    '    [ -f "$CELLS" ] && cat "$CELLS"; exit 0 ;;',
    '  *create_cell*) echo "| edge-1 | 5b1c0f0e-aaaa-4bbb-8ccc-111122223333 | rabbit://****@x | mysql+pymysql://****@y | False |" > "$CELLS"; exit 0 ;;',
    'esac',
  ].join('\n');

  test('first run creates the cell, a rerun updates it by uuid (create_cell would exit 2)', () => {
    const transport = secretFile(objects, 'cell-transport-url');
    const connection = secretFile(objects, 'cell-database-connection');
    const cells = path.join(mkdtempSync(path.join(work, 'cells-')), 'cells');
    const first = runScript(objects, 'run.sh', files, { 'nova-manage': fake }, { CELLS: cells });
    expect(first).toContain('list_cells');
    expect(first).toContain('create_cell');
    expect(first).toContain('--name=edge-1');
    expect(first).toContain(`--transport-url=${transport}`);
    expect(first).toContain(`--database_connection=${connection}`);
    expect(first).not.toContain('update_cell');
    // The same script once the cell exists: update_cell --cell_uuid=<uuid>, no second create_cell.
    const rerun = runScript(objects, 'run.sh', files, { 'nova-manage': fake }, { CELLS: cells });
    expect(rerun).not.toContain('create_cell');
    expect(rerun).toContain('update_cell');
    expect(rerun).toContain('--cell_uuid=5b1c0f0e-aaaa-4bbb-8ccc-111122223333');
    expect(rerun).toContain(`--transport-url=${transport}`);
    expect(rerun).toContain(`--database_connection=${connection}`);
  });
});

/**
 * A fake openstacksdk (`openstack.connect().identity`, `openstack.exceptions`) over a JSON file ($FAKE_KEYSTONE), so
 * REGISTER_PY runs for real against a Keystone whose state the test reads back. $FAKE_RACE names objects another
 * registration creates just before this one does (its create then gets HTTP 409).
 */
const FAKE_SDK = `
import json, os, types
class exceptions:
    class ConflictException(Exception):
        pass
class Obj(types.SimpleNamespace):
    pass
class Identity:
    def __init__(self):
        self.path = os.environ["FAKE_KEYSTONE"]
        try:
            with open(self.path) as f: self.db = json.load(f)
        except FileNotFoundError:
            self.db = {"regions": [], "projects": [], "users": [], "roles": ["admin", "member", "reader", "service"],
                       "assignments": [], "services": [], "endpoints": [], "calls": []}
        self.race = set(filter(None, os.environ.get("FAKE_RACE", "").split(",")))
    def _save(self):
        with open(self.path, "w") as f: json.dump(self.db, f)
    def _call(self, name):
        self.db["calls"].append(name); self._save()
    def _create(self, kind, key, record):
        self._call("create_" + kind)
        if any(r[key] == record[key] for r in self.db[kind]): raise exceptions.ConflictException(kind)
        self.db[kind].append(record); self._save()
        if f"{kind}:{record[key]}" in self.race: raise exceptions.ConflictException(kind)
        return Obj(**record)
    def _find(self, kind, key, value):
        if f"{kind}:{value}" in self.race:
            self.race.discard(f"{kind}:{value}")
            return None
        for r in self.db[kind]:
            if r[key] == value: return Obj(**r)
        return None
    def find_region(self, rid): return self._find("regions", "id", rid)
    def create_region(self, id): return self._create("regions", "id", {"id": id})
    def find_project(self, name, domain_id): return self._find("projects", "name", name)
    def create_project(self, name, domain_id): return self._create("projects", "name", {"id": "p-" + name, "name": name})
    def find_user(self, name, domain_id): return self._find("users", "name", name)
    def create_user(self, name, domain_id, password):
        return self._create("users", "name", {"id": "u-" + name, "name": name, "password": password})
    def update_user(self, user, password):
        self._call("update_user")
        for r in self.db["users"]:
            if r["id"] == user.id: r["password"] = password
        self._save()
    def find_role(self, name): return Obj(id="r-" + name, name=name) if name in self.db["roles"] else None
    def assign_project_role_to_user(self, project, user, role):
        a = [project.id, user.id, role.id]
        if a not in self.db["assignments"]: self.db["assignments"].append(a)
        self._save()
    def services(self, type): return [Obj(**r) for r in self.db["services"] if r["type"] == type]
    def create_service(self, name, type, description, is_enabled):
        return self._create("services", "type", {"id": "s-" + type, "name": name, "type": type})
    def endpoints(self, service_id, interface, region_id):
        return [Obj(**r) for r in self.db["endpoints"]
                if (r["service_id"], r["interface"], r["region_id"]) == (service_id, interface, region_id)]
    def create_endpoint(self, service_id, interface, url, region_id):
        self._call("create_endpoint")
        n = len(self.db["endpoints"])
        self.db["endpoints"].append({"id": f"e{n}", "service_id": service_id, "interface": interface, "url": url,
                                     "region_id": region_id}); self._save()
    def update_endpoint(self, ep, url):
        self._call("update_endpoint")
        for r in self.db["endpoints"]:
            if r["id"] == ep.id: r["url"] = url
        self._save()
    def delete_endpoint(self, ep):
        self._call("delete_endpoint")
        self.db["endpoints"] = [r for r in self.db["endpoints"] if r["id"] != ep.id]; self._save()
def connect():
    return types.SimpleNamespace(identity=Identity())
`;

describe('Keystone registration (REGISTER_PY, run against a fake openstacksdk)', () => {
  const ctx = sampleContext('centralized');
  const password = '-nOvA_dash1'; // argparse would read "--password -nOvA_dash1" as two options
  ctx.secrets['keystone-user-nova'] = { password };
  const objects = unitObjects(ctx, 'nova-ks-register@core');
  const dir = mkdtempSync(path.join(work, 'ks-'));
  execFileSync('mkdir', ['-p', path.join(dir, 'openstack')]);
  writeFileSync(path.join(dir, 'openstack', '__init__.py'), FAKE_SDK);
  writeFileSync(path.join(dir, 'program.py'), secretFile(objects, 'program.py'));
  writeFileSync(path.join(dir, 'input.json'), secretFile(objects, 'input.json'));
  type Db = {
    regions: { id: string }[];
    projects: { name: string }[];
    users: { name: string; password: string }[];
    assignments: string[][];
    services: { type: string }[];
    endpoints: { interface: string; url: string; region_id: string; service_id: string }[];
    calls: string[];
  };
  const run = (state: string, env: Record<string, string> = {}): Db => {
    execFileSync('python3', [path.join(dir, 'program.py'), path.join(dir, 'input.json')], {
      env: { PATH: '/usr/bin:/bin', PYTHONPATH: dir, FAKE_KEYSTONE: state, SERVICE_PASSWORD: password, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(readFileSync(state, 'utf8')) as Db;
  };

  test('the Job runs one python3 process; its password comes from a secretKeyRef', () => {
    const pod = podSpec(objects, 'Job');
    expect(pod.containers[0]!.command).toEqual(['python3', '/etc/discovery/program.py', '/etc/discovery/input.json']);
    const env = pod.containers[0]!.env as { name: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
    expect(env.find((e) => e.name === 'SERVICE_PASSWORD')?.valueFrom?.secretKeyRef?.key).toBe('SERVICE_PASSWORD');
    expect(secretFile(objects, 'SERVICE_PASSWORD')).toBe(password);
  });

  test('first run creates everything; a rerun creates nothing and moves a changed endpoint', () => {
    const state = path.join(dir, 'state-1.json');
    const first = run(state);
    expect(first.regions.map((r) => r.id)).toEqual(['paris']);
    expect(first.users).toEqual([expect.objectContaining({ name: 'nova', password })]);
    expect(first.assignments).toEqual([
      ['p-service', 'u-nova', 'r-admin'],
      ['p-service', 'u-nova', 'r-service'],
    ]);
    expect(first.services.map((s) => s.type)).toEqual(['compute']);
    expect(first.endpoints.map((e) => e.interface).sort()).toEqual(['admin', 'internal', 'public']);
    expect(first.endpoints.find((e) => e.interface === 'internal')!.url).toMatch(
      /^http:\/\/nova-api\.openstack-demo-centralized-core-[0-9a-f]{8}\.svc:8774\/v2\.1$/,
    );
    // Someone edited an endpoint: the rerun puts it back and creates nothing.
    const wanted = JSON.parse(secretFile(objects, 'input.json')) as {
      services: { endpoints: Record<string, string> }[];
    };
    const edited = JSON.parse(JSON.stringify({ ...first, calls: [] })) as Db;
    edited.endpoints.find((e) => e.interface === 'public')!.url = 'http://elsewhere:1/';
    writeFileSync(state, JSON.stringify(edited));
    const again = run(state);
    expect(again.calls.filter((c) => c.startsWith('create_'))).toEqual([]);
    expect(again.calls).toContain('update_endpoint');
    expect(again.endpoints.find((e) => e.interface === 'public')!.url).toBe(wanted.services[0]!.endpoints.public);
  });

  test('a create that loses a race to another registration (HTTP 409) uses the winner: no failure', () => {
    const state = path.join(dir, 'state-race.json');
    const db = run(state, { FAKE_RACE: 'projects:service,regions:paris,services:compute' });
    expect(db.projects.map((p) => p.name)).toEqual(['service']);
    expect(db.regions.map((r) => r.id)).toEqual(['paris']);
    expect(db.services.map((s) => s.type)).toEqual(['compute']);
  });

  test('duplicate endpoints (an earlier race) are reduced to one per interface', () => {
    const state = path.join(dir, 'state-dup.json');
    const db = run(state);
    db.endpoints.push({ ...db.endpoints[0]!, id: 'dup' } as Db['endpoints'][number]);
    writeFileSync(state, JSON.stringify(db));
    const after = run(state);
    expect(after.endpoints).toHaveLength(3);
    expect(after.calls).toContain('delete_endpoint');
  });
});

describe('no credential in any container command, args or env value', () => {
  const variants = TOPOLOGIES.flatMap((t) => [
    [t, 'sample'],
    [t, 'with neutron'],
  ]) as [(typeof TOPOLOGIES)[number], string][];
  test.each(variants)('%s (%s): every rendered Pod spec is free of generated secret values', (topology, variant) => {
    const sample = sampleDc(topology);
    const dc =
      variant === 'with neutron'
        ? { ...sample, spec: { ...sample.spec, services: { ...sample.spec.services, neutron: {} } } }
        : sample;
    const ctx = contextFor(dc);
    if (variant === 'with neutron') expect(ctx.plan.units.some((u) => u.component === 'neutron')).toBe(true);
    const values = Object.values(ctx.secrets).flatMap((s) => Object.values(s).filter((v) => v.length >= 8));
    expect(values.length).toBeGreaterThan(5);
    const leaks: string[] = [];
    for (const file of renderPlan(ctx)) {
      for (const o of file.objects) {
        const pod = (o.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
        if (!pod) continue;
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          const texts = [...(c.command ?? []), ...(c.args ?? []), ...(c.env ?? []).map((e) => e.value ?? '')];
          for (const t of texts)
            if (values.some((v) => t.includes(v))) leaks.push(`${file.unit}: ${o.kind}/${o.metadata.name} ${c.name}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});

describe('Galera members bootstrap a new cluster and recover from a full restart', () => {
  const dc = sampleDc('centralized');
  const ctx = contextFor({ ...dc, spec: { ...dc.spec, database: { type: 'galera', replicas: 3 } } });
  const objects = unitObjects(ctx, 'database-server@core');
  const script = secretFile(objects, 'galera-start.sh');

  test('the StatefulSet starts members in parallel and runs galera-start.sh through kolla_start', () => {
    const sts = objects.find((o) => o.kind === 'StatefulSet')!;
    expect((sts.spec as { podManagementPolicy: string }).podManagementPolicy).toBe('Parallel');
    const config = JSON.parse(secretFile(objects, 'config.json')) as { command: string };
    expect(config.command).toBe('bash /var/lib/kolla/config_files/galera-start.sh');
    expect(spawnSync('bash', ['-n', '-c', script]).status).toBe(0);
  });

  /** Runs the script as pod `pod` with grastate.dat `state` (or none) and peers answering `peerStatus`. */
  function start(pod: string, state: string | undefined, peerStatus: string): string[] {
    const dir = mkdtempSync(path.join(work, 'galera-'));
    const bin = path.join(dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    if (state !== undefined) writeFileSync(path.join(dir, 'grastate.dat'), state);
    const log = path.join(dir, 'mariadbd.args');
    writeFileSync(path.join(bin, 'mariadbd'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\n`);
    writeFileSync(path.join(bin, 'mariadb'), `#!/bin/sh\nprintf 'wsrep_cluster_status\\t%s\\n' '${peerStatus}'\n`);
    chmodSync(path.join(bin, 'mariadbd'), 0o755);
    chmodSync(path.join(bin, 'mariadb'), 0o755);
    writeFileSync(path.join(dir, 'start.sh'), script.replace('/var/lib/mysql/grastate.dat', `${dir}/grastate.dat`));
    execFileSync('bash', [path.join(dir, 'start.sh'), '--init-file=/run/kolla/x.sql'], {
      env: { PATH: `${bin}:/usr/bin:/bin`, POD_NAME: pod },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return readFileSync(log, 'utf8').trim().split('\n');
  }
  const grastate = (safe: number) => `# GALERA saved state\nversion: 2.1\nseqno: 12\nsafe_to_bootstrap: ${safe}\n`;
  const NEW = ['--wsrep-new-cluster', '--init-file=/run/kolla/x.sql'];
  const JOIN = ['--init-file=/run/kolla/x.sql'];

  test('new data: database-0 bootstraps unless a member already runs a primary component', () => {
    expect(start('database-0', undefined, 'Disconnected')).toEqual(NEW);
    expect(start('database-0', undefined, 'Primary')).toEqual(JOIN);
    expect(start('database-1', undefined, 'Disconnected')).toEqual(JOIN);
  });

  test('full restart: the member that stopped last (safe_to_bootstrap: 1) bootstraps, whatever its ordinal', () => {
    // MariaDB says "Non-Primary" for a member outside a primary component: it must not count as one.
    expect(start('database-2', grastate(1), 'Non-Primary')).toEqual(NEW);
    expect(start('database-0', grastate(0), 'Non-Primary')).toEqual(JOIN);
    expect(start('database-2', grastate(1), 'Primary')).toEqual(JOIN);
  });
});

describe('smoke: Ready means the cloud answers (SMOKE_PY against a fake openstacksdk)', () => {
  const ctx = sampleContext('centralized');
  const plan = ctx.plan;

  test('one smoke unit per control site, after every API, registration and nova daemon of its site', () => {
    const smoke = plan.units.filter((u) => u.component === 'smoke');
    expect(smoke.map((u) => u.id)).toEqual(['smoke-cloud@core']);
    expect([...smoke[0]!.dependsOn].sort()).toEqual(
      expect.arrayContaining([
        'keystone-api@core',
        'glance-api@core',
        'glance-ks-register@core',
        'placement-api@core',
        'nova-api@core',
        'nova-conductor@core',
        'nova-scheduler@core',
        'nova-discover-hosts@core',
      ]),
    );
    const dist = sampleContext('distributed');
    expect(dist.plan.units.filter((u) => u.component === 'smoke').map((u) => u.site)).toEqual(dist.plan.sites);
  });

  const objects = unitObjects(ctx, 'smoke-cloud@core');
  const check = JSON.parse(secretFile(objects, 'input.json')) as { services: string[]; novaBinaries: string[] };
  const dir = mkdtempSync(path.join(work, 'smoke-'));
  execFileSync('mkdir', ['-p', path.join(dir, 'openstack')]);
  // $FAKE_CLOUD: {"status": {type: http status}, "services": [[binary, host, state]],
  //   "hypervisors": [[service host, hypervisor hostname]], "providers": [names]}
  writeFileSync(
    path.join(dir, 'openstack', '__init__.py'),
    [
      'import json, os, types',
      'cloud = json.loads(os.environ["FAKE_CLOUD"])',
      'class Session:',
      '    def get_endpoint(self, service_type, interface, region_name):',
      '        return f"http://{service_type}.svc/" if service_type in cloud["status"] else None',
      '    def get(self, url, authenticated, raise_exc, timeout):',
      '        return types.SimpleNamespace(status_code=cloud["status"][url.split("//")[1].split(".")[0]])',
      'class Conn:',
      '    session = Session()',
      '    def authorize(self): return "token"',
      '    compute = types.SimpleNamespace(services=lambda: [types.SimpleNamespace(binary=b, host=h, state=s,',
      '        status="enabled") for b, h, s in cloud["services"]],',
      '        hypervisors=lambda details: [types.SimpleNamespace(name=n, service_details={"host": h})',
      '            for h, n in cloud["hypervisors"]])',
      '    placement = types.SimpleNamespace(resource_providers=lambda: [types.SimpleNamespace(name=n)',
      '        for n in cloud["providers"]])',
      '    def _ports(device_id):',
      '        if cloud.get("portsError"): raise Exception(cloud["portsError"])',
      '        calls = os.environ.get("PORTS_CALLS")',
      '        if calls: open(calls, "a").write(device_id + "\\n")',
      '        return iter([])',
      '    network = types.SimpleNamespace(ports=_ports)',
      'def connect(region_name): return Conn()',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'smoke.py'), secretFile(objects, 'program.py'));
  writeFileSync(path.join(dir, 'input.json'), JSON.stringify(check));
  const smoke = (cloud: unknown, input = path.join(dir, 'input.json'), env: Record<string, string> = {}) =>
    spawnSync('python3', [path.join(dir, 'smoke.py'), input], {
      env: { PATH: '/usr/bin:/bin', PYTHONPATH: dir, FAKE_CLOUD: JSON.stringify(cloud), ...env },
      encoding: 'utf8',
    });
  const healthy = {
    status: { identity: 200, image: 300, placement: 200, compute: 200 },
    services: [
      ['nova-conductor', 'c1', 'up'],
      ['nova-scheduler', 's1', 'up'],
      ['nova-compute', 'edge-1-node', 'up'],
    ],
    // the provider is named after the hypervisor (libvirt's hostname), not the service host
    hypervisors: [['edge-1-node', 'machine-1']],
    providers: ['machine-1'],
  };

  test('checks every enabled service type of the catalog and the nova daemons', () => {
    expect(check.services).toEqual(['identity', 'image', 'placement', 'compute']);
    expect(check.novaBinaries).toEqual(['nova-conductor', 'nova-scheduler']);
    const r = smoke(healthy);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('cloud answers in region paris: token, identity 200, image 300');
    expect(r.stdout).toContain('1 nova-compute up, each a resource provider');
  });

  test('with neutron deployed: the network endpoint answers and lists the ports of a device, as nova asks', () => {
    const dc = sampleDc('centralized');
    const withNeutron = liveContext({ ...dc, spec: { ...dc.spec, services: { ...dc.spec.services, neutron: {} } } });
    const input = path.join(dir, 'input-neutron.json');
    writeFileSync(input, secretFile(unitObjects(withNeutron, 'smoke-cloud@core'), 'input.json'));
    const calls = path.join(dir, 'ports-calls');
    const cloud = { ...healthy, status: { ...healthy.status, network: 200 } };
    const r = smoke(cloud, input, { PORTS_CALLS: calls });
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(input, 'utf8'))).toMatchObject({
      services: ['identity', 'image', 'placement', 'network', 'compute'],
    });
    expect(r.stdout).toContain('network 200, compute 200, network ports of a device listed (0)');
    expect(readFileSync(calls, 'utf8')).toBe('discovery-smoke\n');
    // the 500 of a neutron-server whose ORM mappers nothing configured at start (`Port.port_forwardings` missing)
    const broken = smoke({ ...cloud, portsError: 'HttpException: 500' }, input);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain("FAIL network: listing a device's ports fails (HttpException: 500)");
    // without neutron the ports are not asked for
    expect(smoke({ ...healthy, portsError: 'must not be called' }).status).toBe(0);
  });

  test.each([
    ['an API answering 503', { ...healthy, status: { ...healthy.status, placement: 503 } }, 'placement: http'],
    [
      'a service missing from the catalog',
      { ...healthy, status: { identity: 200, image: 200, compute: 200 } },
      'placement: no internal endpoint',
    ],
    [
      'no scheduler up',
      {
        ...healthy,
        services: [
          ['nova-conductor', 'c1', 'up'],
          ['nova-scheduler', 's1', 'down'],
        ],
      },
      'compute: no nova-scheduler is up',
    ],
    [
      'a compute without resource provider',
      { ...healthy, providers: [] },
      'placement: compute host(s) without a hypervisor resource provider: edge-1-node',
    ],
    [
      "a provider named like the service host but not the compute's hypervisor",
      { ...healthy, providers: ['edge-1-node'] },
      'placement: compute host(s) without a hypervisor resource provider: edge-1-node',
    ],
  ])('fails, naming it, on %s', (_name, cloud, message) => {
    const r = smoke(cloud);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`FAIL ${message}`);
  });
});
