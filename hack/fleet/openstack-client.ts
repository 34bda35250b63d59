// An OpenStack client next to a cloud the operator deployed on real nodes: a kolla-toolbox pod
// (python-openstackclient) in the DistributedCloud's member namespace at the core site, authenticated as the
// cloud's admin through a secretKeyRef on the bootstrap Job's Secret (no credential in the pod spec or on a command
// line), on the internal endpoints of its region. Used by the main job and the real-node OpenStack e2e.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { LABEL_DC } from '../../operator/src/render/labels.js';
import { LOCAL_REGISTRY } from '../images/manifest.js';

export type Kubectl = (args: string[], timeoutMs?: number) => Promise<string>;

export interface OpenStackClient {
  /** The member namespace the client runs in. */
  namespace: string;
  /** Runs a shell script in the client (OS_* set), returns its stdout. */
  exec(script: string, timeoutMs?: number): Promise<string>;
}

/** The member namespace of DistributedCloud `dc` on a site's cluster, read back from its objects (of `kind`) there. */
export async function memberNamespace(kubectl: Kubectl, dc: string, kind = 'svc'): Promise<string> {
  const ns = (
    await kubectl(['get', kind, '-A', '-l', `${LABEL_DC}=${dc}`, '-o', 'jsonpath={.items[0].metadata.namespace}'])
  ).trim();
  if (!ns) throw new Error(`no ${kind} of DistributedCloud ${dc} on this cluster`);
  return ns;
}

/** Starts (or reuses) the client pod in `namespace` and waits until it runs. */
export async function startOpenStackClient(opts: {
  kubeConfig: KubeConfig;
  kubectl: Kubectl;
  namespace: string;
  /** The images' group tag (npm run fleet -- openstack-images). */
  tag: string;
  region: string;
  name?: string;
}): Promise<OpenStackClient> {
  const name = opts.name ?? 'osclient';
  const env = [
    ['OS_AUTH_URL', `http://keystone-api.${opts.namespace}.svc:5000/v3`],
    ['OS_IDENTITY_API_VERSION', '3'],
    ['OS_INTERFACE', 'internal'],
    ['OS_PROJECT_DOMAIN_NAME', 'Default'],
    ['OS_USER_DOMAIN_NAME', 'Default'],
    ['OS_PROJECT_NAME', 'admin'],
    ['OS_USERNAME', 'admin'],
    ['OS_REGION_NAME', opts.region],
  ].map(([n, value]) => ({ name: n!, value: value! }));
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  const existing = await core.readNamespacedPod({ name, namespace: opts.namespace }).catch(() => undefined);
  if (!existing)
    await core.createNamespacedPod({
      namespace: opts.namespace,
      body: {
        metadata: { name },
        spec: {
          restartPolicy: 'Never',
          securityContext: { runAsNonRoot: true, runAsUser: 42401, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'client',
              image: `${LOCAL_REGISTRY}/kolla-toolbox:${opts.tag}`,
              imagePullPolicy: 'Never',
              command: ['sleep', 'infinity'],
              workingDir: '/tmp',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              env: [
                ...env,
                {
                  name: 'OS_PASSWORD',
                  valueFrom: { secretKeyRef: { name: 'keystone-bootstrap-etc', key: 'admin-password' } },
                },
              ],
            },
          ],
        },
      },
    });
  await opts.kubectl(['wait', '-n', opts.namespace, '--for=condition=Ready', `pod/${name}`, '--timeout=120s'], 130_000);
  return {
    namespace: opts.namespace,
    exec: (script, timeoutMs = 300_000) =>
      opts.kubectl(['exec', '-n', opts.namespace, name, '--', 'sh', '-c', script], timeoutMs),
  };
}

/**
 * A sample DistributedCloud made real on the local fleet: on `sites`, every image from the fleet's OpenStack group
 * (`tag`, never pulled), QEMU's TCG (KVM hangs on this kind of VM), a small database volume, a longer unit timeout.
 */
export function realCloud(sample: Record<string, unknown>, tag: string, sites: string[]): Record<string, unknown> {
  const spec = structuredClone(sample.spec) as Record<string, unknown> & {
    services: { nova?: { config?: Record<string, Record<string, string>> } };
  };
  const nova = spec.services.nova ?? {};
  // KVM hangs on this kind of VM (a paravirtual /dev/kvm): QEMU's TCG, the generic CPU model
  nova.config = { ...nova.config, libvirt: { virt_type: 'qemu', cpu_mode: 'none' } };
  return {
    ...sample,
    spec: {
      ...spec,
      sites,
      services: { ...spec.services, nova },
      images: { registry: LOCAL_REGISTRY, tag, pullPolicy: 'Never' },
      // one real node per site: every API once, a small volume
      database: { ...(spec.database as object), storageSize: '2Gi' },
      rollout: { ...(spec.rollout as object), unitTimeoutSeconds: 900 },
    },
  };
}
