// Unit tests of the image definitions and build contexts: bases come first, --only pulls in the bases it needs, and
// a context's digests (hence the key) change with the files Docker sends and not with the ones it ignores.
import { afterAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { selectImages } from '../../../hack/images/build.js';
import {
  AssembledContext,
  checkSpecs,
  DirContext,
  imageGroup,
  imageSpecs,
  REPO_ROOT,
  type ImageSpec,
} from '../../../hack/images/specs.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'images-specs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('image specs', () => {
  const specs = imageSpecs();

  test('the images the real nodes need, bases before their dependents', () => {
    expect(specs.filter((s) => imageGroup(s) === 'default').map((s) => s.name)).toEqual([
      'debian',
      'node-build',
      'node-runtime',
      'toolbox',
      'pause',
      'coredns',
      'local-path-provisioner',
      'discovery-operator',
    ]);
    expect(() => checkSpecs(specs)).not.toThrow();
    expect(specs.filter((s) => s.use === 'node' && !s.group).map((s) => s.name)).toEqual([
      'toolbox',
      'pause',
      'coredns',
      'local-path-provisioner',
      'discovery-operator',
    ]);
  });

  test('versions come from their sources: package.json, the node package, hack/tools/versions.env', () => {
    const v = Object.fromEntries(specs.map((s) => [s.name, s.version]));
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
      dependencies: Record<string, string>;
    };
    expect(v['discovery-operator']).toBe(pkg.version);
    expect(v['node-build']).toBe(pkg.dependencies.node);
    expect(v.coredns).toBe('1.15.0');
    expect(v['local-path-provisioner']).toBe('0.0.30');
  });

  test('the operator is built from the repository Dockerfile with both Node bases as build arguments', () => {
    const op = specs.find((s) => s.name === 'discovery-operator')!;
    expect(op.bases).toEqual({ BUILD_IMAGE: 'node-build', RUNTIME_IMAGE: 'node-runtime' });
    expect(op.recipe.type === 'dockerfile' && op.recipe.dockerfile).toBe(path.join(REPO_ROOT, 'Dockerfile'));
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    // Users with registry access still get the official bases by default.
    expect(dockerfile).toContain('ARG BUILD_IMAGE=node:${NODE_VERSION}-bookworm-slim');
    expect(dockerfile).toContain('ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs${NODE_VERSION}-debian12:nonroot');
    expect(dockerfile).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/dist/operator/src/main.js"]');
  });

  test('the opt-in openstack group: Kolla image names, 2025.1 on Debian trixie, all on openstack-base', () => {
    const os = specs.filter((s) => s.group === 'openstack');
    expect(os.map((s) => s.name)).toEqual(
      expect.arrayContaining(['openstack-base', 'kolla-toolbox', 'mariadb-server', 'rabbitmq', 'memcached']),
    );
    expect(os.map((s) => s.name)).toEqual(
      expect.arrayContaining(['keystone', 'glance-api', 'placement-api', 'nova-api', 'nova-conductor']),
    );
    expect(os.map((s) => s.name)).toEqual(expect.arrayContaining(['nova-scheduler', 'nova-compute', 'nova-libvirt']));
    for (const s of os) {
      expect(s.version).toBe('2025.1-debian-trixie');
      if (s.name === 'openstack-base') expect(s.bases).toEqual({ BASE_IMAGE: 'debian' });
      else expect(['openstack-base', 'nova-base']).toContain(s.bases.BASE_IMAGE);
    }
    // The base's scripts are part of its key (its context), so editing kolla_start rebuilds every OpenStack image.
    const base = os.find((s) => s.name === 'openstack-base')!;
    const files = base.recipe.type === 'dockerfile' ? Object.keys(base.recipe.context().digests()) : [];
    expect(files.sort()).toEqual(['Dockerfile', 'apt-install', 'kolla-users', 'kolla_set_configs', 'kolla_start']);
  });

  test('the Kolla uids of the base are the ones the renderers run the services as', () => {
    const users = readFileSync(path.join(REPO_ROOT, 'hack/images/openstack/openstack-base/kolla-users'), 'utf8');
    const uid = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(users)?.[1]);
    const rendered = (file: string) =>
      Number(/const UID = (\d+);/.exec(readFileSync(path.join(REPO_ROOT, 'operator/src/services', file), 'utf8'))?.[1]);
    expect(uid('keystone')).toBe(rendered('keystone.ts'));
    expect(uid('glance')).toBe(rendered('glance.ts'));
    expect(uid('placement')).toBe(rendered('placement.ts'));
    expect(uid('nova')).toBe(rendered('nova.ts'));
    expect(uid('neutron')).toBe(rendered('neutron.ts'));
    const toolbox = /image: 'kolla-toolbox', uid: (\d+)/.exec(
      readFileSync(path.join(REPO_ROOT, 'operator/src/services/keystone.ts'), 'utf8'),
    )?.[1];
    expect(uid('ansible')).toBe(Number(toolbox));
  });

  test('checkSpecs refuses a base defined after its dependent and duplicate names', () => {
    const s = (name: string, bases: Record<string, string> = {}) => ({ name, bases }) as unknown as ImageSpec;
    expect(() => checkSpecs([s('a', { BASE_IMAGE: 'b' }), s('b')])).toThrow(/base 'b'.*must be defined before/);
    expect(() => checkSpecs([s('a'), s('a')])).toThrow(/defined twice/);
  });
});

describe('selectImages (--only)', () => {
  const specs = imageSpecs();
  const names = (only?: string[]) => selectImages(specs, only).map((s) => s.name);

  test('the default group by default: no opt-in image', () => {
    expect(names()).toEqual(specs.filter((s) => !s.group).map((s) => s.name));
    expect(names()).not.toContain('keystone');
  });

  test('--group builds a group with the bases it needs; --only still reaches any image', () => {
    const group = (groups: string[], only?: string[]) => selectImages(specs, only, groups).map((s) => s.name);
    const os = group(['openstack']);
    expect(os[0]).toBe('debian');
    expect(os).toContain('keystone');
    expect(os).not.toContain('discovery-operator');
    expect(group(['openstack'], ['pause'])).toEqual(expect.arrayContaining(['pause', 'keystone']));
    expect(names(['nova-api'])).toEqual(['debian', 'openstack-base', 'nova-base', 'nova-api']);
    expect(group(['default', 'openstack'])).toEqual(specs.map((s) => s.name));
    expect(() => group(['nope'])).toThrow(/unknown image group 'nope' \(known: default, openstack\)/);
  });

  test('an image brings the bases it builds on, in build order', () => {
    expect(names(['discovery-operator'])).toEqual(['debian', 'node-build', 'node-runtime', 'discovery-operator']);
    expect(names(['toolbox'])).toEqual(['debian', 'toolbox']);
    expect(names(['pause', 'coredns'])).toEqual(['pause', 'coredns']);
  });

  test('an unknown name lists the known ones', () => {
    expect(() => names(['nope'])).toThrow(/unknown image 'nope' \(known: debian, node-build/);
  });
});

describe('build contexts', () => {
  test('a directory context covers what .dockerignore lets through and COPY reads, plus the Dockerfile', () => {
    const dir = path.join(tmp, 'repo');
    mkdirSync(path.join(dir, 'src/sub'), { recursive: true });
    mkdirSync(path.join(dir, 'node_modules/x'), { recursive: true });
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM a\nCOPY package.json ./\nCOPY src/ src/\nCOPY --from=b /x /y\n');
    writeFileSync(path.join(dir, '.dockerignore'), 'node_modules\n*.log\nDockerfile\nsrc/sub\n');
    writeFileSync(path.join(dir, 'package.json'), '{}');
    writeFileSync(path.join(dir, 'README.md'), 'readme');
    writeFileSync(path.join(dir, 'src/main.ts'), 'one');
    writeFileSync(path.join(dir, 'src/sub/skip.ts'), 'skip');
    writeFileSync(path.join(dir, 'node_modules/x/i.js'), 'dep');
    writeFileSync(path.join(dir, 'debug.log'), 'log');
    const ctx = new DirContext(dir, path.join(dir, 'Dockerfile'));
    const before = ctx.digests();
    expect(Object.keys(before).sort()).toEqual(['@.dockerignore', '@Dockerfile', 'package.json', 'src/main.ts']);

    // Ignored files and files no COPY reads do not change it ...
    writeFileSync(path.join(dir, 'node_modules/x/i.js'), 'dep2');
    writeFileSync(path.join(dir, 'debug.log'), 'log2');
    writeFileSync(path.join(dir, 'README.md'), 'readme2');
    writeFileSync(path.join(dir, 'src/sub/skip.ts'), 'skip2');
    expect(new DirContext(dir, path.join(dir, 'Dockerfile')).digests()).toEqual(before);
    // ... sent files, their modes and the Dockerfile do.
    writeFileSync(path.join(dir, 'src/main.ts'), 'two');
    const afterEdit = new DirContext(dir, path.join(dir, 'Dockerfile')).digests();
    expect(afterEdit['src/main.ts']).not.toBe(before['src/main.ts']);
    chmodSync(path.join(dir, 'src/main.ts'), 0o755);
    expect(new DirContext(dir, path.join(dir, 'Dockerfile')).digests()['src/main.ts']).not.toBe(
      afterEdit['src/main.ts'],
    );
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM b\n');
    expect(new DirContext(dir, path.join(dir, 'Dockerfile')).digests()['@Dockerfile']).not.toBe(before['@Dockerfile']);
  });

  test('an assembled context keys copies by content and generated parts by their inputs, then materializes them', async () => {
    const src = path.join(tmp, 'src.txt');
    writeFileSync(src, 'content');
    let made = 0;
    const ctx = () =>
      new AssembledContext().file('a.txt', src).generated('gen', { version: '1' }, async (out) => {
        made++;
        writeFileSync(out, 'generated');
      });
    const d1 = ctx().digests();
    expect(Object.keys(d1)).toEqual(['a.txt', 'gen']);
    expect(made).toBe(0); // computing the key builds nothing
    writeFileSync(src, 'changed!');
    const d2 = ctx().digests();
    expect(d2['a.txt']).not.toBe(d1['a.txt']);
    expect(d2.gen).toBe(d1.gen);
    const other = new AssembledContext().generated('gen', { version: '2' }, async () => {}).digests();
    expect(other.gen).not.toBe(d1.gen);

    const out = path.join(tmp, 'ctx');
    await ctx().materialize(out, path.join(tmp, 'log'));
    expect(readFileSync(path.join(out, 'a.txt'), 'utf8')).toBe('changed!');
    expect(readFileSync(path.join(out, 'gen'), 'utf8')).toBe('generated');
    expect(made).toBe(1);
  });
});
