// The service registry: a toy OpenStack service added through one module and the registry alone plans, gets its
// credentials and renders (wired to Keystone and the database like the real ones); the compiler and the registry
// refuse a module missing a renderer; the API lists exactly the registered services and the supported releases.
import { describe, expect, test } from '@jest/globals';
import { distributedCloud } from '../../../operator/src/api/schema/index.js';
import type { DistributedCloud } from '../../../operator/src/api/types.js';
import { CONTROL, DATABASE_READY, dep, serviceEnabled } from '../../../operator/src/catalog/steps.js';
import { buildPlan } from '../../../operator/src/planner/index.js';
import { applySite } from '../../../operator/src/render/endpoints.js';
import { SUPPORTED_RELEASES, kollaImage } from '../../../operator/src/render/images.js';
import {
  createRenderContext,
  generateMissingSecrets,
  missingSecrets,
  renderPlan,
  type K8sObject,
} from '../../../operator/src/render/index.js';
import { memberNamespace } from '../../../operator/src/render/labels.js';
import { parseIni, renderIni } from '../../../operator/src/render/ini.js';
import {
  configMounts,
  configSecret,
  configVolume,
  restrictedPodSecurity,
  serviceOf,
  workload,
} from '../../../operator/src/render/k8s.js';
import { selectorLabels } from '../../../operator/src/render/labels.js';
import { resolveReplicas } from '../../../operator/src/render/overrides.js';
import { keystoneAuthtoken, serviceUserSecret } from '../../../operator/src/services/keystone.js';
import { createRegistry, defineOpenStackService } from '../../../operator/src/services/module.js';
import {
  databaseUserSecret,
  dbConnection,
  dbCreateJob,
  openStackImage,
} from '../../../operator/src/services/openstack.js';
import { CATALOG, OPENSTACK_SERVICES, REGISTRY } from '../../../operator/src/services/registry.js';
import { sampleDc, sampleSites, seededBytes } from '../render/fixtures.js';

/** A whole OpenStack service in one module: catalog entry, renderers, credentials and facts. */
const TOY = { name: 'toy', ports: { api: 7777 }, serviceNames: { api: 'toy-api' }, images: ['toy-api'], uid: 42999 };
const toy = defineOpenStackService({
  component: {
    name: TOY.name,
    description: 'a toy API service',
    enabled: serviceEnabled(TOY.name),
    requires: ['keystone'],
    steps: [
      {
        id: 'db-create',
        kind: 'job',
        expectedSeconds: 10,
        placement: CONTROL,
        dependsOn: DATABASE_READY,
        description: 'toy database and user',
      },
      {
        id: 'api',
        kind: 'workload',
        expectedSeconds: 20,
        placement: CONTROL,
        dependsOn: [dep(TOY.name, 'db-create', 'same-site'), dep('keystone', 'api')],
        description: 'toy-api Deployment and Service',
      },
    ],
  },
  renderers: {
    'db-create': (unit, ctx) => dbCreateJob(ctx, unit, TOY.name, [TOY.name]),
    api: (unit, ctx) => {
      const site = applySite(unit);
      const conf = renderIni({
        database: { connection: dbConnection(ctx, site, { user: TOY.name, base: TOY.name, ownerSite: site }) },
        keystone_authtoken: keystoneAuthtoken(ctx, site, TOY.name),
      });
      const files = [{ key: 'toy.conf', path: '/etc/toy/toy.conf', content: conf }];
      const config = configSecret('toy-api-etc', files);
      const deployment = workload(ctx, unit, {
        kind: 'Deployment',
        name: TOY.serviceNames.api,
        replicas: resolveReplicas(ctx, TOY.name, site),
        role: 'control-plane',
        config: [config],
        containers: [
          {
            name: 'toy-api',
            image: openStackImage(ctx, TOY, 'toy-api', site),
            ports: [{ name: 'http', containerPort: TOY.ports.api }],
            volumeMounts: configMounts(files),
          },
        ],
        volumes: [configVolume('toy-api-etc')],
        securityContext: restrictedPodSecurity(TOY.uid),
      });
      const labels = selectorLabels(ctx, unit.component, unit.step, unit.site);
      return [config, deployment, serviceOf(TOY.serviceNames.api, labels, [{ name: 'http', port: TOY.ports.api }])];
    },
  },
  secrets: [databaseUserSecret(TOY.name), serviceUserSecret(TOY.name)],
  ports: TOY.ports,
  serviceNames: TOY.serviceNames,
  images: TOY.images,
  uid: TOY.uid,
});

function toyCloud(): DistributedCloud {
  const dc = structuredClone(sampleDc('centralized'));
  // spec.services.toy exists once `npm run generate` has run with the module registered; here it is set by hand.
  (dc.spec.services as Record<string, unknown>).toy = { replicas: 2, image: 'example.org/toy:1' };
  return dc;
}

describe('service registry', () => {
  test('a toy service added through one module and the registry plans, gets credentials and renders', () => {
    const registry = createRegistry([...REGISTRY.modules, toy]);
    const dc = toyCloud();
    const sites = sampleSites();
    const plan = buildPlan(dc, sites, { catalog: registry.catalog });
    expect(plan.byId.get('toy-api@core')?.dependsOn.sort()).toEqual(['keystone-api@core', 'toy-db-create@core']);

    const required = registry.requiredSecrets(plan);
    expect(required.map((r) => r.name)).toEqual(expect.arrayContaining(['database-toy', 'keystone-user-toy']));
    const secrets = generateMissingSecrets({}, required, seededBytes('toy'));
    expect(missingSecrets(secrets, required)).toEqual([]);

    const ctx = createRenderContext({
      dc,
      sites: new Map(sites.map((s) => [s.metadata.name!, s])),
      plan,
      secrets,
      registry,
    });
    const files = renderPlan(ctx);
    const toyFiles = files.filter((f) => f.unit?.startsWith('toy-'));
    // Level 2 after the database server; the API after keystone-api (level 5).
    expect(toyFiles.map((f) => f.path)).toEqual(['core/02-toy-db-create.yaml', 'core/06-toy-api.yaml']);
    const api = toyFiles.find((f) => f.unit === 'toy-api@core')!.objects;
    const byKind = (kind: string) => api.find((o) => o.kind === kind)!;
    const deployment = byKind('Deployment') as K8sObject & {
      spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
    };
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.containers[0]!.image).toBe('example.org/toy:1');
    expect(deployment.metadata.labels?.['discovery.beyondtheclouds.io/component']).toBe('toy');
    expect((byKind('Service').spec as { ports: { port: number }[] }).ports[0]!.port).toBe(7777);
    const conf = parseIni(
      Buffer.from((byKind('Secret').data as Record<string, string>)['toy.conf']!, 'base64').toString('utf8'),
    );
    const ns = memberNamespace(dc, 'core');
    expect(conf.database!.connection).toBe(
      `mysql+pymysql://toy:${secrets['database-toy']!.password}@database.${ns}.svc:3306/toy?charset=utf8`,
    );
    expect(conf.keystone_authtoken!.auth_url).toBe(`http://keystone-api.${ns}.svc:5000`);
    expect(conf.keystone_authtoken!.password).toBe(secrets['keystone-user-toy']!.password);
    // The built-in registry is untouched: no toy there.
    expect(CATALOG.some((c) => c.name === 'toy')).toBe(false);
  });

  test('a module without a renderer for one of its steps is refused by the compiler and by the registry', () => {
    const incomplete = defineOpenStackService({
      component: { ...toy.component, name: 'broken' },
      // @ts-expect-error -- no renderer for step `api`: the compiler names it
      renderers: { 'db-create': toy.renderers['db-create'] },
      secrets: [],
      ports: {},
      serviceNames: {},
      images: [],
      uid: 1,
    });
    expect(() => createRegistry([...REGISTRY.modules, incomplete])).toThrow(
      'service module broken has no renderer for step api',
    );
    defineOpenStackService({
      ...toy,
      // @ts-expect-error -- a renderer for a step the catalog entry does not have
      renderers: { ...toy.renderers, 'no-such-step': toy.renderers.api },
    });
    expect(() => createRegistry([...REGISTRY.modules, toy, toy])).toThrow('service module toy is registered twice');
  });

  test('every catalog step of the built-in registry has its renderer', () => {
    const missing = CATALOG.flatMap((c) =>
      c.steps.filter((s) => REGISTRY.renderer(c.name, s.id) === undefined).map((s) => `${c.name}/${s.id}`),
    );
    expect(missing).toEqual([]);
    expect(REGISTRY.renderer('nova', 'no-such-step')).toBeUndefined();
    expect(REGISTRY.renderer('nova', 'toString')).toBeUndefined();
  });

  test('the API lists exactly the registered OpenStack services and the releases the renderers support', () => {
    const spec = distributedCloud.schema.properties!.spec!;
    expect(Object.keys(spec.properties!.services!.properties!)).toEqual([...OPENSTACK_SERVICES]);
    expect(OPENSTACK_SERVICES).toEqual(['keystone', 'glance', 'placement', 'neutron', 'nova']);
    const perSite = spec.properties!.siteOverrides!.items!.properties!;
    for (const field of ['replicas', 'images', 'config'])
      expect(Object.keys(perSite[field]!.properties!)).toEqual([...OPENSTACK_SERVICES]);
    expect(spec.properties!.release!.enum).toEqual(Object.keys(SUPPORTED_RELEASES));
    for (const release of spec.properties!.release!.enum!)
      expect(kollaImage('keystone', release)).toMatch(new RegExp(`:${release.replace('.', '\\.')}-ubuntu-`));
  });
});
