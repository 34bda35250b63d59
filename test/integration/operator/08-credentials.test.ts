// Scenario 8: hostile member-cluster credentials against the real operator. An EdgeSite whose kubeconfig runs a
// command (exec) and one whose Secret lives in a foreign namespace (with perfectly good credentials) are both refused:
// Reachable=False with the precise reason and field, the command never runs, the foreign Secret is never watched, only
// the referenced Secrets are (one informer each, no namespace-wide Secret informer), and no planted secret reaches
// the operator's log.
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import type { EdgeSite } from '../../../operator/src/api/types.js';
import { inlineKubeconfig } from '../../../hack/fleet/fleet.js';
import { testFleet } from '../../harness/fleet.js';
import {
  GROUP,
  VERSION,
  eventually,
  installCrdsAndSites,
  finishScenario,
  parseMetrics,
  startOperator,
  type OperatorProcess,
} from '../../harness/operator.js';

const fleet = testFleet();
const pid = process.pid;
const OPERATOR_NS = 'discovery-system';
const FOREIGN_NS = `e2e-foreign-${pid}`;
const MARKER = `/tmp/discovery-e2e-exec-ran-${pid}`;
const PLANTED = `planted-token-${pid}-9f8e7d6c5b4a`;
const EXEC_SITE = `e2e-hostile-exec-${pid}`;
const FOREIGN_SITE = `e2e-hostile-foreign-${pid}`;
let op: OperatorProcess | undefined;

const core = fleet.management.kubeConfig().makeApiClient(CoreV1Api);
const custom = fleet.management.kubeConfig().makeApiClient(CustomObjectsApi);

function execKubeconfig(): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: fleet.cluster('edge-1').server } }],
    users: [
      {
        name: 'u',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'sh',
            args: [
              '-c',
              `touch ${MARKER}; echo '{"apiVersion":"client.authentication.k8s.io/v1","status":{"token":"${PLANTED}"}}'`,
            ],
            interactiveMode: 'Never',
          },
        },
      },
      { name: 'other', user: { token: PLANTED } },
    ],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'c',
  });
}

function edgeSite(name: string, secretNamespace: string, secretName: string): EdgeSite {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'EdgeSite',
    metadata: { name },
    spec: {
      kubeconfigSecretRef: { namespace: secretNamespace, name: secretName, key: 'kubeconfig' },
      region: 'hostile',
      role: 'edge',
      network: { rttMillis: 10, bandwidthMbps: 100 },
    },
  } as EdgeSite;
}

async function reachable(name: string) {
  const es = (await custom.getClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'edgesites',
    name,
  })) as EdgeSite;
  return es.status?.conditions?.find((c) => c.type === 'Reachable');
}

beforeAll(async () => {
  rmSync(MARKER, { force: true });
  await installCrdsAndSites(fleet);
  await core.createNamespace({ body: { metadata: { name: FOREIGN_NS } } });
  const secret = (namespace: string, name: string, kubeconfig: string) =>
    core.createNamespacedSecret({ namespace, body: { metadata: { name, namespace }, stringData: { kubeconfig } } });
  await secret(OPERATOR_NS, EXEC_SITE, execKubeconfig());
  // Good credentials, wrong place: the operator must not even read them.
  await secret(FOREIGN_NS, FOREIGN_SITE, inlineKubeconfig(fleet.options, 'edge-1'));
  for (const es of [edgeSite(EXEC_SITE, OPERATOR_NS, EXEC_SITE), edgeSite(FOREIGN_SITE, FOREIGN_NS, FOREIGN_SITE)])
    await custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'edgesites', body: es });
  op = await startOperator({ fleet, scenario: 'hostile', namespaces: [`e2e-hostile-${pid}`] });
}, 180_000);

afterAll(async () => {
  await finishScenario(fleet, undefined, op);
  for (const name of [EXEC_SITE, FOREIGN_SITE])
    await custom
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'edgesites', name })
      .catch(() => undefined);
  await core.deleteNamespacedSecret({ namespace: OPERATOR_NS, name: EXEC_SITE }).catch(() => undefined);
  await core.deleteNamespace({ name: FOREIGN_NS }).catch(() => undefined);
  rmSync(MARKER, { force: true });
}, 120_000);

describe('operator e2e: hostile kubeconfig Secrets', () => {
  test('both sites are refused with the precise reason and field; nothing ran, nothing leaked', async () => {
    await eventually(
      'both hostile EdgeSites Reachable=False',
      async () =>
        (await reachable(EXEC_SITE))?.status === 'False' && (await reachable(FOREIGN_SITE))?.status === 'False',
      { timeoutMs: 60_000, describe: async () => op!.logTail(20) },
    );
    expect(await reachable(EXEC_SITE)).toMatchObject({
      reason: 'UnsafeKubeconfig',
      message: expect.stringContaining(
        `Secret ${OPERATOR_NS}/${EXEC_SITE} (key kubeconfig): users[0].user.exec: not allowed: runs a command`,
      ),
    });
    expect(await reachable(FOREIGN_SITE)).toMatchObject({
      reason: 'SecretNamespaceNotAllowed',
      message: expect.stringContaining(`Secret ${FOREIGN_NS}/${FOREIGN_SITE}: kubeconfig Secrets are read only from`),
    });
    expect(existsSync(MARKER)).toBe(false); // the exec command never ran

    // Only the referenced Secrets of the allowed namespace are watched: one informer each, by name.
    const informers = new Set(
      parseMetrics(await op!.metricsText())
        .filter((s) => s.name === 'discovery_informer_relists_total')
        .map((s) => s.labels.informer!),
    );
    expect(informers.has(`secret/${OPERATOR_NS}/${EXEC_SITE}`)).toBe(true);
    expect([...informers].filter((i) => i.startsWith('secrets/') || i.includes(FOREIGN_NS))).toEqual([]);
    expect([...informers].filter((i) => i.startsWith('secret/')).sort()).toEqual(
      [...informers].filter((i) => /^secret\/discovery-system\/(kubeconfig-|e2e-hostile-)/.test(i)).sort(),
    );

    const events = await core.listNamespacedEvent({ namespace: 'default' });
    const ours = events.items.filter((e) => [EXEC_SITE, FOREIGN_SITE].includes(e.involvedObject.name ?? ''));
    expect(ours.map((e) => e.reason)).toContain('SiteUnreachable');
    expect(JSON.stringify(ours)).not.toContain(PLANTED);
    expect(op!.logText()).not.toContain(PLANTED);
  }, 120_000);
});
