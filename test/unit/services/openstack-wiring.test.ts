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
import { TOPOLOGIES, contextFor, sampleContext, sampleDc } from '../render/fixtures.js';

type Container = {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  readinessProbe?: { exec?: { command: string[] } };
  livenessProbe?: { exec?: { command: string[] } };
};
type PodSpec = { containers: Container[]; initContainers?: Container[]; volumes?: Record<string, unknown>[] };

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

describe('process probes of the nova daemons can fail', () => {
  test.each(['nova-compute@edge-1', 'nova-conductor@core', 'nova-scheduler@core'])(
    '%s: the probe, run here where no such daemon runs, exits non-zero',
    (id) => {
      const pod = podSpec(unitObjects(sampleContext('centralized'), id));
      const c = pod.containers.find((x) => x.name.startsWith('nova-') && x.name !== 'nova-libvirt')!;
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        const cmd = probe!.exec!.command;
        expect(cmd.join(' ')).not.toMatch(/sh -c|pgrep -f/);
        // The old `sh -c 'pgrep -f nova-compute'` exits 0 here: pgrep finds the shell whose argv names the daemon.
        const r = spawnSync(cmd[0]!, cmd.slice(1));
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

describe('passwords that start with "-"', () => {
  test('service users get --password=<value> (argparse refuses "--password -x")', () => {
    const ctx = sampleContext('centralized');
    const password = '-nOvA_dash1';
    ctx.secrets['keystone-user-nova'] = { password };
    const objects = unitObjects(ctx, 'nova-ks-register@core');
    // The Job's env has SERVICE_PASSWORD from the Secret key of the same name (secretKeyRef).
    expect(secretFile(objects, 'SERVICE_PASSWORD')).toBe(password);
    const calls = runScript(
      objects,
      'register.sh',
      [],
      { openstack: 'for a in "$@"; do printf "%s\\n" "$a" >> "$CALLS"; done; case "$2" in show) exit 1 ;; esac' },
      { SERVICE_PASSWORD: password },
    ).split('\n');
    // `openstack user show` fails (fake exit 1), so the user is created, then its password set.
    expect(calls).toContain(`--password=${password}`);
    expect(calls).not.toContain('--password');
  });
});

describe('no credential in any container command, args or env value', () => {
  test.each(TOPOLOGIES)('%s: every rendered Pod spec is free of generated secret values', (topology) => {
    const dc = sampleDc(topology);
    const ctx = contextFor(dc);
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
