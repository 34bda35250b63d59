// kind variant (clusterProvider: kind): a Pulumi dynamic resource that creates one kind cluster per site with the
// `kind` CLI (needs Docker; it cannot run on the machine that builds this project, which has no Docker engine).
// Dynamic providers run in the Pulumi Node.js language host: use the Pulumi CLI (`pulumi up`) or a LocalWorkspace
// with the nodejs plugins installed. The functions below are serialized by Pulumi, so they `require` what they use.
import * as pulumi from '@pulumi/pulumi';

export interface KindClusterArgs {
  /** kind cluster name (the Docker containers are named <name>-control-plane, <name>-worker...). */
  name: pulumi.Input<string>;
  /** Node image, e.g. kindest/node:v1.35.0 (default: kind's own default). */
  image?: pulumi.Input<string>;
  /** Worker nodes labelled for nova-compute (default 1). */
  workers?: pulumi.Input<number>;
  /** Region label put on every node (topology.kubernetes.io/region). */
  region: pulumi.Input<string>;
  /** kind binary (default: `kind` on PATH). */
  kindBinary?: pulumi.Input<string>;
}

interface KindInputs {
  name: string;
  image?: string;
  workers?: number;
  region: string;
  kindBinary?: string;
}

/**
 * kind cluster config with openstack-helm node labels (control-plane / compute), as the local fleet has. The
 * `node-role.kubernetes.io/compute` role label is not in it: kind hands node labels to the kubelet's --node-labels,
 * and the kubelet refuses node-role.kubernetes.io/* there (it exits, so `kind create` fails joining the worker);
 * `computeRoleLabelArgs` sets it once the cluster is up.
 */
export function kindClusterConfig(inputs: Pick<KindInputs, 'workers' | 'region'>): string {
  const zone = `${inputs.region}-a`;
  const topology = `      topology.kubernetes.io/region: "${inputs.region}"\n      topology.kubernetes.io/zone: "${zone}"\n`;
  const cp = `  - role: control-plane\n    labels:\n      openstack-control-plane: enabled\n${topology}`;
  const worker = `  - role: worker\n    labels:\n      openstack-compute-node: enabled\n${topology}`;
  const workers = Array.from({ length: inputs.workers ?? 1 }, () => worker).join('');
  return `kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n${cp}${workers}`;
}

/** `docker` arguments labelling the compute workers of cluster `name` with the compute role, from its control plane. */
export function computeRoleLabelArgs(name: string): string[] {
  return [
    'exec',
    `${name}-control-plane`,
    'kubectl',
    '--kubeconfig=/etc/kubernetes/admin.conf',
    'label',
    'node',
    '-l',
    'openstack-compute-node=enabled',
    'node-role.kubernetes.io/compute=',
    '--overwrite',
  ];
}

const kindProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: KindInputs & { config: string; labelArgs: string[] }) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- serialized into the dynamic provider host (CommonJS)
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const kind = inputs.kindBinary ?? 'kind';
    const args = ['create', 'cluster', '--name', inputs.name, '--config', '-', '--wait', '180s'];
    if (inputs.image) args.push('--image', inputs.image);
    execFileSync(kind, args, { input: inputs.config, stdio: ['pipe', 'pipe', 'pipe'] });
    execFileSync('docker', inputs.labelArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    const get = (internal: boolean) =>
      execFileSync(kind, ['get', 'kubeconfig', '--name', inputs.name, ...(internal ? ['--internal'] : [])]).toString();
    return { id: inputs.name, outs: { ...inputs, kubeconfig: get(false), internalKubeconfig: get(true) } };
  },
  async diff(_id: string, olds: KindInputs & { config: string }, news: KindInputs & { config: string }) {
    const replaces = (['name', 'image', 'config'] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(id: string, props: KindInputs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- serialized into the dynamic provider host (CommonJS)
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    execFileSync(props.kindBinary ?? 'kind', ['delete', 'cluster', '--name', id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  },
};

/** A kind cluster; `kubeconfig` reaches it from the host, `internalKubeconfig` from other kind clusters' pods. */
export class KindCluster extends pulumi.dynamic.Resource {
  declare readonly kubeconfig: pulumi.Output<string>;
  declare readonly internalKubeconfig: pulumi.Output<string>;

  constructor(name: string, args: KindClusterArgs, opts?: pulumi.CustomResourceOptions) {
    const config = pulumi
      .all([args.workers, args.region])
      .apply(([workers, region]) => kindClusterConfig({ workers, region }));
    super(
      kindProvider,
      name,
      {
        ...args,
        config,
        labelArgs: pulumi.output(args.name).apply(computeRoleLabelArgs),
        kubeconfig: undefined,
        internalKubeconfig: undefined,
      },
      { ...opts, additionalSecretOutputs: ['kubeconfig', 'internalKubeconfig'] },
    );
  }
}
