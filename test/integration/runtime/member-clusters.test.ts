// Runtime glue against the real fleet: member-cluster clients built from the kubeconfig Secret the fleet created in
// the mgmt cluster, owned-object informers in that member cluster enqueueing the owning DistributedCloud key, and the
// referenced-Secret watches (one Secret, not its namespace).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Secret } from '@kubernetes/client-node';
import { testFleet } from '../../harness/fleet.js';
import { MemberClusters } from '../../../operator/src/runtime/clusters.js';
import { owningDistributedCloudKey, OWNED_SELECTOR } from '../../../operator/src/engine/ownership.js';
import { LABEL_DC, LABEL_DC_NAMESPACE } from '../../../operator/src/render/labels.js';
import { Informer, waitFor } from '../../../operator/src/runtime/informer.js';
import { RESOURCES } from '../../../operator/src/runtime/kube-http.js';
import { MemberInformers } from '../../../operator/src/runtime/member-informers.js';
import { ReferencedSecrets } from '../../../operator/src/runtime/secrets.js';

const fleet = testFleet();
const namespace = `rt-member-${process.pid}`;

describe('member clusters (fleet kubeconfig Secrets)', () => {
  const kc = fleet.management.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const secrets = new Informer<V1Secret>(kc, RESOURCES.secrets, { namespace: 'discovery-system' });

  beforeAll(async () => {
    secrets.start();
    await secrets.waitForSync(20_000);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  afterAll(async () => {
    await secrets.stop();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  test('clients from the kubeconfig-core Secret reach the member API server', async () => {
    const clusters = new MemberClusters({
      secretNamespaces: ['discovery-system'],
      getSecret: (ns, name) => secrets.getByName(name, ns),
    });
    const clients = await clusters.clientsFor('core', { namespace: 'discovery-system', name: 'kubeconfig-core' });
    const version = await clients.version.getCode();
    expect(version.gitVersion).toMatch(/^v1\./);
    expect(await clusters.clientsFor('core', { namespace: 'discovery-system', name: 'kubeconfig-core' })).toBe(clients);
  }, 60_000);

  test('owned objects in a member cluster enqueue their DistributedCloud; unowned ones do not', async () => {
    const clusters = new MemberClusters({
      secretNamespaces: ['discovery-system'],
      getSecret: (ns, name) => secrets.getByName(name, ns),
    });
    const clients = await clusters.clientsFor('core', { namespace: 'discovery-system', name: 'kubeconfig-core' });
    const enqueued: string[] = [];
    const members = new MemberInformers(
      { add: (k) => enqueued.push(k) },
      { resources: [RESOURCES.configMaps], labelSelector: OWNED_SELECTOR, keysOf: owningDistributedCloudKey },
    );
    members.ensure('core', clients.kubeConfig, clients.hash);
    try {
      await waitFor(() => members.hasSynced('core'), 20_000);
      enqueued.length = 0;
      await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name: 'unowned', namespace }, data: {} },
      });
      await core.createNamespacedConfigMap({
        namespace,
        body: {
          metadata: { name: 'owned', namespace, labels: { [LABEL_DC]: 'demo', [LABEL_DC_NAMESPACE]: 'openstack' } },
          data: { a: '1' },
        },
      });
      await waitFor(() => enqueued.length >= 1, 20_000);
      await core.deleteNamespacedConfigMap({ name: 'owned', namespace }); // drift: an owned object deleted
      await waitFor(() => enqueued.length >= 2, 20_000);
      expect(enqueued).toEqual(['openstack/demo', 'openstack/demo']);
      expect(members.informer('core', RESOURCES.configMaps)?.get(`${namespace}/unowned`)).toBeUndefined();
      // Same credentials: ensure() keeps the running informers.
      const informers = members.ensure('core', clients.kubeConfig, clients.hash);
      expect(informers[0]).toBe(members.informer('core', RESOURCES.configMaps));
    } finally {
      await members.stopAll();
    }
  }, 60_000);

  test('only the referenced Secret is listed, watched and cached, not its neighbours', async () => {
    for (const name of ['neighbour-a', 'kubeconfig-x', 'neighbour-b'])
      await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { v: name } } });
    const changes: string[] = [];
    const watched = new ReferencedSecrets(kc, {
      namespaces: [namespace],
      onChange: (ns, name) => changes.push(`${ns}/${name}`),
    });
    try {
      watched.sync([
        { namespace, name: 'kubeconfig-x' },
        { namespace: 'kube-system', name: 'bootstrap-token-abcdef' }, // not allowed: never watched
      ]);
      await waitFor(() => watched.synced(namespace, 'kubeconfig-x'), 20_000);
      expect(watched.cached()).toEqual([`${namespace}/kubeconfig-x`]);
      expect(watched.watched()).toEqual([`${namespace}/kubeconfig-x`]);
      changes.length = 0;
      await core.patchNamespacedSecret(
        { namespace, name: 'neighbour-a', body: { stringData: { v: 'changed' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await core.patchNamespacedSecret(
        { namespace, name: 'kubeconfig-x', body: { stringData: { v: 'changed' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await waitFor(() => changes.length >= 1, 20_000);
      expect(changes).toEqual([`${namespace}/kubeconfig-x`]);
      expect(watched.cached()).toEqual([`${namespace}/kubeconfig-x`]);
    } finally {
      await watched.stop();
    }
  }, 60_000);
});
