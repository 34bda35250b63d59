// Drift through managedFields (coexistence with other controllers): only what Discovery sets and no longer holds counts.
// The fixture is what a v1.37 API server returned after `kubectl apply --server-side --field-manager=discovery-operator`
// of DESIRED (defaults, normalised values, our managedFields entry); each case changes it the way the API server does
// for that actor (another applier, an Update by kubectl, a mutating webhook), as observed on the fleet.
import { describe, expect, test } from '@jest/globals';
import { FIELD_MANAGER } from '../../../operator/src/engine/apply.js';
import { appliedFieldsOf, managedDrift, type FieldsNode } from '../../../operator/src/engine/drift.js';
import type { LiveObject } from '../../../operator/src/engine/readiness.js';
import { driftOf } from '../../../operator/src/engine/state.js';
import type { K8sObject } from '../../../operator/src/render/types.js';

const HASH = 'discovery.beyondtheclouds.io/spec-hash';
const DC = 'discovery.beyondtheclouds.io/dc';

const DESIRED: K8sObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'keystone-api',
    namespace: 'openstack',
    labels: { app: 'keystone-api', [DC]: 'demo' },
    annotations: { [HASH]: 'h2' },
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'keystone-api' } },
    template: {
      metadata: { labels: { app: 'keystone-api' } },
      spec: {
        containers: [
          {
            name: 'keystone',
            image: 'kolla/keystone:1',
            args: ['--debug'],
            env: [
              { name: 'OS_REGION', value: 'core' },
              { name: 'EMPTY', value: '' },
            ],
            ports: [{ name: 'api', containerPort: 5000 }],
            resources: { limits: { cpu: '1000m' } },
            volumeMounts: [{ name: 'etc', mountPath: '/etc/keystone' }],
          },
        ],
        volumes: [{ name: 'etc', secret: { secretName: 'keystone-api-etc' } }],
      },
    },
  },
};

/** Our managedFields entry, as the API server recorded it. */
const OURS = {
  apiVersion: 'apps/v1',
  fieldsType: 'FieldsV1',
  manager: FIELD_MANAGER,
  operation: 'Apply',
  fieldsV1: {
    'f:metadata': { 'f:annotations': { [`f:${HASH}`]: {} }, 'f:labels': { 'f:app': {}, [`f:${DC}`]: {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"keystone"}': {
              '.': {},
              'f:args': {},
              'f:env': {
                'k:{"name":"EMPTY"}': { '.': {}, 'f:name': {}, 'f:value': {} },
                'k:{"name":"OS_REGION"}': { '.': {}, 'f:name': {}, 'f:value': {} },
              },
              'f:image': {},
              'f:name': {},
              'f:ports': {
                'k:{"containerPort":5000,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} },
              },
              'f:resources': { 'f:limits': { 'f:cpu': {} } },
              'f:volumeMounts': { 'k:{"mountPath":"/etc/keystone"}': { '.': {}, 'f:mountPath': {}, 'f:name': {} } },
            },
          },
          'f:volumes': { 'k:{"name":"etc"}': { '.': {}, 'f:name': {}, 'f:secret': { 'f:secretName': {} } } },
        },
      },
    },
  },
};

/** The kube-controller-manager's entry (status and the revision annotation). */
const CONTROLLER = {
  apiVersion: 'apps/v1',
  fieldsType: 'FieldsV1',
  manager: 'kube-controller-manager',
  operation: 'Update',
  subresource: 'status',
  fieldsV1: {
    'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } },
    'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} },
  },
};

/** What the API server returns after our apply: defaults, `1000m` → `1`, the empty env value dropped, status. */
function applied(): LiveObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'keystone-api',
      namespace: 'openstack',
      generation: 1,
      resourceVersion: '410',
      labels: { app: 'keystone-api', [DC]: 'demo' },
      annotations: { 'deployment.kubernetes.io/revision': '1', [HASH]: 'h2' },
      managedFields: [structuredClone(OURS), structuredClone(CONTROLLER)],
    },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: 2,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'keystone-api' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: {
        metadata: { labels: { app: 'keystone-api' } },
        spec: {
          containers: [
            {
              args: ['--debug'],
              env: [{ name: 'OS_REGION', value: 'core' }, { name: 'EMPTY' }],
              image: 'kolla/keystone:1',
              imagePullPolicy: 'IfNotPresent',
              name: 'keystone',
              ports: [{ containerPort: 5000, name: 'api', protocol: 'TCP' }],
              resources: { limits: { cpu: '1' } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              volumeMounts: [{ mountPath: '/etc/keystone', name: 'etc' }],
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
          volumes: [{ name: 'etc', secret: { defaultMode: 420, secretName: 'keystone-api-etc' } }],
        },
      },
    },
    status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
  };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const podSpec = (o: LiveObject): Json => (o.spec as Json).template.spec;
const ours = (o: LiveObject): Json => podSpec(o).containers.find((c: Json) => c.name === 'keystone');
const entries = (o: LiveObject): Json[] => o.metadata!.managedFields as Json[];
const ourFields = (o: LiveObject): Json => entries(o).find((e) => e.manager === FIELD_MANAGER)!.fieldsV1;
const ourContainerFields = (o: LiveObject): Json =>
  ourFields(o)['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"keystone"}'];

/** Another manager's managedFields entry. */
function entry(manager: string, operation: 'Apply' | 'Update', fieldsV1: FieldsNode): Json {
  return { apiVersion: 'apps/v1', fieldsType: 'FieldsV1', manager, operation, fieldsV1 };
}
const containerFields = (fields: FieldsNode): FieldsNode => ({
  'f:spec': { 'f:template': { 'f:spec': { 'f:containers': fields } } },
});

/** A sidecar injector applying its container, with its own field manager (no conflict with ours). */
function withSidecar(o: LiveObject, first = false): LiveObject {
  const sidecar = { name: 'istio-proxy', image: 'istio/proxyv2:1.24', imagePullPolicy: 'IfNotPresent' };
  const containers = podSpec(o).containers as Json[];
  if (first) containers.unshift(sidecar);
  else containers.push(sidecar);
  podSpec(o).volumes.push({ name: 'istio-envoy', emptyDir: {} });
  entries(o).push(
    entry('sidecar-injector', 'Apply', {
      'f:spec': {
        'f:template': {
          'f:spec': {
            'f:containers': { 'k:{"name":"istio-proxy"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
            'f:volumes': { 'k:{"name":"istio-envoy"}': { '.': {}, 'f:emptyDir': {}, 'f:name': {} } },
          },
        },
      },
    }),
  );
  return o;
}

type Case = [name: string, live: () => LiveObject | undefined, expected: string | undefined];

const NOT_DRIFT: Case[] = [
  ['as applied (server defaults, 1000m → 1, an empty env value dropped)', applied, undefined],
  ['a sidecar container (and its volume) appended by another field manager', () => withSidecar(applied()), undefined],
  [
    'a sidecar inserted before our container (lists match by key, not index)',
    () => withSidecar(applied(), true),
    undefined,
  ],
  [
    'a webhook adds an env entry and a port to our container, an annotation and a label (another manager)',
    () => {
      const o = applied();
      ours(o).env.push({ name: 'INJECTED', value: '1' });
      ours(o).ports.push({ name: 'metrics', containerPort: 15090, protocol: 'TCP' });
      o.metadata!.annotations!['sidecar.istio.io/status'] = '{"containers":["istio-proxy"]}';
      o.metadata!.labels!['security.istio.io/tlsMode'] = 'istio';
      (o.spec as Json).template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' };
      entries(o).push(
        entry('webhook', 'Update', {
          'f:metadata': {
            'f:annotations': { 'f:sidecar.istio.io/status': {} },
            'f:labels': { 'f:security.istio.io/tlsMode': {} },
          },
          ...containerFields({
            'k:{"name":"keystone"}': {
              'f:env': { 'k:{"name":"INJECTED"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
              'f:ports': {
                'k:{"containerPort":15090,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} },
              },
            },
          }),
        }),
      );
      return o;
    },
    undefined,
  ],
  [
    'a webhook change nobody tracks (admission during another request): an env entry without a managedFields entry',
    () => {
      const o = applied();
      ours(o).env.unshift({ name: 'HTTP_PROXY', value: 'http://proxy:3128' });
      return o;
    },
    undefined,
  ],
  [
    'a mutating webhook rewrote our image during our own apply (the field is still ours: applying again changes nothing)',
    () => {
      const o = applied();
      ours(o).image = 'mirror.local/kolla/keystone:1';
      return o;
    },
    undefined,
  ],
  [
    'another manager set the same value (shared ownership)',
    () => {
      const o = applied();
      entries(o).push(
        entry('helm', 'Apply', containerFields({ 'k:{"name":"keystone"}': { 'f:image': {}, 'f:name': {} } })),
      );
      return o;
    },
    undefined,
  ],
];

const DRIFT: Case[] = [
  ['the object deleted', () => undefined, 'missing'],
  [
    'the object being deleted',
    () => {
      const o = applied();
      o.metadata!.deletionTimestamp = '2025-01-01T00:00:00Z';
      return o;
    },
    'being deleted',
  ],
  [
    'another version of our inputs',
    () => {
      const o = applied();
      o.metadata!.annotations![HASH] = 'h1';
      return o;
    },
    'outdated',
  ],
  [
    'kubectl edit of our image (ownership moved to kubectl-edit)',
    () => {
      const o = applied();
      ours(o).image = 'evil:1';
      delete ourContainerFields(o)['f:image'];
      entries(o).push(entry('kubectl-edit', 'Update', containerFields({ 'k:{"name":"keystone"}': { 'f:image': {} } })));
      return o;
    },
    'spec.template.spec.containers[name=keystone].image changed',
  ],
  [
    'kubectl edit of our args (an atomic list: ownership of the whole list moved)',
    () => {
      const o = applied();
      ours(o).args = ['--debug', '--insecure'];
      delete ourContainerFields(o)['f:args'];
      entries(o).push(entry('kubectl-edit', 'Update', containerFields({ 'k:{"name":"keystone"}': { 'f:args': {} } })));
      return o;
    },
    'spec.template.spec.containers[name=keystone].args changed',
  ],
  [
    'kubectl removed one of our env entries (it left every manager set)',
    () => {
      const o = applied();
      ours(o).env = ours(o).env.filter((e: Json) => e.name !== 'OS_REGION');
      delete ourContainerFields(o)['f:env']['k:{"name":"OS_REGION"}'];
      return o;
    },
    'spec.template.spec.containers[name=keystone].env[name=OS_REGION] removed',
  ],
  [
    'our container replaced by another one',
    () => {
      const o = applied();
      podSpec(o).containers = [{ name: 'other', image: 'other:1' }];
      delete ourFields(o)['f:spec']['f:template']['f:spec']['f:containers']; // fieldsV1 holds no empty nodes
      entries(o).push(
        entry('kubectl-edit', 'Update', containerFields({ 'k:{"name":"other"}': { '.': {}, 'f:image': {} } })),
      );
      return o;
    },
    'spec.template.spec.containers[name=keystone] removed',
  ],
  [
    'kubectl scale (replicas taken over)',
    () => {
      const o = applied();
      (o.spec as Json).replicas = 5;
      delete ourFields(o)['f:spec']['f:replicas'];
      entries(o).push(entry('kubectl', 'Update', { 'f:spec': { 'f:replicas': {} } }));
      return o;
    },
    'spec.replicas changed',
  ],
  [
    'kubectl label --overwrite of one of our labels',
    () => {
      const o = applied();
      o.metadata!.labels!.app = 'hijacked';
      delete ourFields(o)['f:metadata']['f:labels']['f:app'];
      entries(o).push(entry('kubectl-label', 'Update', { 'f:metadata': { 'f:labels': { 'f:app': {} } } }));
      return o;
    },
    'metadata.labels.app changed',
  ],
  [
    'our volume switched from a Secret to a hostPath',
    () => {
      const o = applied();
      podSpec(o).volumes = [{ name: 'etc', hostPath: { path: '/etc' } }];
      delete ourFields(o)['f:spec']['f:template']['f:spec']['f:volumes']['k:{"name":"etc"}']['f:secret'];
      return o;
    },
    'spec.template.spec.volumes[name=etc].secret.secretName removed',
  ],
];

describe('driftOf through managedFields', () => {
  test.each(NOT_DRIFT)('not drift: %s', (_name, live, expected) => {
    expect(driftOf(DESIRED, live())).toBe(expected);
  });

  test.each(DRIFT)('drift: %s', (_name, live, expected) => {
    expect(driftOf(DESIRED, live())).toBe(expected);
  });

  test('a repair (our apply with force) takes the fields back: no drift afterwards', () => {
    const edited = applied();
    expect(driftOf(DESIRED, withSidecar(edited))).toBeUndefined();
    ours(edited).image = 'evil:1';
    delete ourContainerFields(edited)['f:image'];
    expect(driftOf(DESIRED, edited)).toBe('spec.template.spec.containers[name=keystone].image changed');
    ours(edited).image = 'kolla/keystone:1';
    ourContainerFields(edited)['f:image'] = {};
    expect(driftOf(DESIRED, edited)).toBeUndefined();
    expect(podSpec(edited).containers.map((c: Json) => c.name)).toEqual(['keystone', 'istio-proxy']);
  });
});

describe('without our managedFields entry nothing counts as ours (everything we set is compared)', () => {
  const bare = (o: LiveObject): LiveObject => {
    delete o.metadata!.managedFields;
    return o;
  };
  /** DESIRED with the values the API server normalises written as it returns them. */
  const normalised = structuredClone(DESIRED);
  ours(normalised as LiveObject).env.pop();
  ours(normalised as LiveObject).resources.limits.cpu = '1';

  test.each<[string, K8sObject, () => LiveObject, string | undefined]>([
    ['a sidecar appended (named items match by name)', normalised, () => bare(withSidecar(applied())), undefined],
    ['a sidecar inserted first', normalised, () => bare(withSidecar(applied(), true)), undefined],
    [
      'the server normalised a value we set (an empty env value dropped): only ownership tells it from an edit',
      DESIRED,
      () => bare(applied()),
      'spec.template.spec.containers[name=keystone].env[name=EMPTY].value removed',
    ],
    [
      'our image edited',
      normalised,
      () => {
        const o = bare(applied());
        ours(o).image = 'evil:1';
        return o;
      },
      'spec.template.spec.containers[name=keystone].image changed',
    ],
  ])('%s', (_name, desired, live, expected) => {
    expect(driftOf(desired, live())).toBe(expected);
  });

  test('an entry of our manager that is not an Apply (e.g. a create) does not count', () => {
    const o = applied();
    entries(o)[0]!.operation = 'Update';
    expect(appliedFieldsOf(o, FIELD_MANAGER)).toBeUndefined();
    expect(appliedFieldsOf(applied(), FIELD_MANAGER)).toEqual(OURS.fieldsV1);
    expect(appliedFieldsOf(applied(), 'someone-else')).toBeUndefined();
  });
});

describe('managedDrift: list shapes', () => {
  const spec = (finalizers: string[]) => ({ spec: { finalizers } });
  const setShape = { 'f:spec': { 'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} } } };

  test.each([
    ['set: extra values of others are ignored', spec(['a']), spec(['x', 'a']), undefined, setShape, undefined],
    [
      'set: a value we set removed by someone else',
      spec(['a']),
      spec(['x']),
      undefined,
      setShape,
      'spec.finalizers lacks "a"',
    ],
    [
      'set: a value we still own is not drift',
      spec(['a']),
      spec(['x']),
      { 'f:spec': { 'f:finalizers': { 'v:"a"': {} } } },
      setShape,
      undefined,
    ],
    [
      'atomic (a leaf in the managed fields): compared whole',
      spec(['a']),
      spec(['a', 'b']),
      undefined,
      { 'f:spec': { 'f:finalizers': {} } },
      'spec.finalizers changed',
    ],
    [
      'no shape, no names: positional, same length',
      spec(['a']),
      spec(['a', 'b']),
      undefined,
      {},
      'spec.finalizers changed',
    ],
  ] as const)('%s', (_name, desired, live, ours, shape, expected) => {
    expect(managedDrift(desired, live, ['spec'], ours as FieldsNode | undefined, shape as FieldsNode)).toBe(expected);
  });

  test('ports keyed by containerPort and protocol match a desired port that leaves the protocol to the default', () => {
    const desired = { spec: { ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53 }] } };
    const live = {
      spec: {
        ports: [
          { containerPort: 53, protocol: 'TCP' },
          { containerPort: 53, protocol: 'UDP' },
          { containerPort: 9153, protocol: 'TCP' },
        ],
      },
    };
    const shape = {
      'f:spec': {
        'f:ports': { 'k:{"containerPort":53,"protocol":"TCP"}': {}, 'k:{"containerPort":53,"protocol":"UDP"}': {} },
      },
    };
    expect(managedDrift(desired, live, ['spec'], undefined, shape)).toBeUndefined();
    const udpGone = { spec: { ports: [live.spec.ports[0], live.spec.ports[2]] } };
    expect(managedDrift(desired, udpGone, ['spec'], undefined, shape)).toBe(
      'spec.ports[containerPort=53,protocol=UDP] removed',
    );
  });
});

describe('ConfigMap/Secret data stays exact (configuration as a whole)', () => {
  const config: K8sObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'keystone-api-etc', namespace: 'openstack', annotations: { [HASH]: 'h1' } },
    data: { 'keystone.conf': 'W0RFRkFVTFRd' },
  };
  const live = (data: Record<string, string>, extra: Partial<LiveObject['metadata']> = {}): LiveObject => ({
    ...structuredClone(config),
    metadata: { ...structuredClone(config.metadata), ...extra },
    data,
  });

  test.each<[string, LiveObject, string | undefined]>([
    ['as applied', live({ 'keystone.conf': 'W0RFRkFVTFRd' }), undefined],
    [
      'labels and annotations of other managers',
      live(
        { 'keystone.conf': 'W0RFRkFVTFRd' },
        { labels: { backup: 'yes' }, annotations: { [HASH]: 'h1', 'reflector/enabled': 'true' } },
      ),
      undefined,
    ],
    ['a value edited', live({ 'keystone.conf': 'eA==' }), 'data.keystone.conf changed'],
    ['a key added', live({ 'keystone.conf': 'W0RFRkFVTFRd', extra: 'eA==' }), 'data.extra changed'],
    ['a key removed', live({}), 'data.keystone.conf changed'],
  ])('%s', (_name, l, expected) => {
    expect(driftOf(config, l)).toBe(expected);
  });
});
