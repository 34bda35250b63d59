// DiscoveryFleet: the Pulumi component that installs Discovery into a management cluster (namespace, CRDs, the
// operator Helm chart) and registers every member cluster as an EdgeSite with its kubeconfig Secret, optionally
// with a sample DistributedCloud. It takes already-loaded inputs (kubeconfig contents, parsed CRDs): no file I/O.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { FLEET_LABEL, type ResolvedConfig, type ResolvedSite } from './config.js';

export const API_VERSION = 'discovery.beyondtheclouds.io/v1alpha1';
/** Annotation read by pulumi-kubernetes (>= 4.18): `up` waits until the condition holds. */
export const WAIT_FOR_ANNOTATION = 'pulumi.com/waitFor';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

export interface DiscoveryFleetArgs {
  config: ResolvedConfig;
  /** Kubeconfig (contents) of the management cluster. */
  managementKubeconfig: pulumi.Input<string>;
  /** Kubeconfig (contents) per site name, stored in that site's Secret. */
  siteKubeconfigs: Record<string, pulumi.Input<string>>;
  /** CRD manifests (parsed YAML documents of kind CustomResourceDefinition). */
  crds: CrdManifest[];
  /** Depend on these before touching the management cluster (e.g. clusters the program creates). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export interface CrdManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: unknown };
  spec: Record<string, unknown>;
}

/** One registered site as shown in the stack outputs. */
export interface SiteOutput {
  name: string;
  role: string;
  region: string;
  zone: string;
  rttMillis: number;
  kubeconfigSecret: string;
  /** Status of the EdgeSite's Ready condition as last read by Pulumi (Unknown until the operator reports). */
  ready: string;
  /** Message of the Ready condition, if any. */
  message: string;
}

interface Condition {
  type?: string;
  status?: string;
  message?: string;
}

/** Ready condition status and message of an EdgeSite status object (as read back by the provider). */
export function readyOf(status: unknown): { ready: string; message: string } {
  const conditions = (status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  return { ready: ready?.status ?? 'Unknown', message: ready?.message ?? '' };
}

/** The EdgeSite object for a site (also used by tests to compare with what lands in the cluster). */
export function edgeSiteManifest(site: ResolvedSite, config: ResolvedConfig) {
  const annotations = config.waitForSitesReady ? { [WAIT_FOR_ANNOTATION]: 'condition=Ready' } : undefined;
  return {
    apiVersion: API_VERSION,
    kind: 'EdgeSite',
    metadata: {
      name: site.name,
      labels: { ...site.labels, [FLEET_LABEL]: config.fleetLabel, [MANAGED_BY_LABEL]: 'pulumi' },
      ...(annotations ? { annotations } : {}),
    },
    spec: {
      kubeconfigSecretRef: {
        namespace: config.namespace,
        name: `${config.secretPrefix}${site.name}`,
        key: 'kubeconfig',
      },
      region: site.region,
      zone: site.zone,
      role: site.role,
      network: { rttMillis: site.rttMillis, bandwidthMbps: site.bandwidthMbps },
      tenancy: { namespaces: config.tenantNamespaces, allowPrivileged: config.allowPrivileged },
    },
  };
}

/** The sample DistributedCloud: centralized around the core site (or distributed when there is none). */
export function sampleCloudManifest(config: ResolvedConfig) {
  const core = config.sites.find((s) => s.role === 'core');
  return {
    apiVersion: API_VERSION,
    kind: 'DistributedCloud',
    metadata: {
      name: `${config.fleetLabel}-sample`,
      namespace: config.sampleCloudNamespace,
      labels: { [MANAGED_BY_LABEL]: 'pulumi' },
    },
    spec: {
      release: '2025.1',
      topology: core ? 'centralized' : 'distributed',
      ...(core ? { coreSite: core.name } : {}),
      siteSelector: { matchLabels: { [FLEET_LABEL]: config.fleetLabel } },
      services: { keystone: {}, glance: {}, placement: {}, nova: {} },
      messageBus: { type: 'rabbitmq' },
      database: { type: 'mariadb' },
    },
  };
}

export class DiscoveryFleet extends pulumi.ComponentResource {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Output<string>;
  readonly crds: k8s.apiextensions.v1.CustomResourceDefinition[];
  readonly release?: k8s.helm.v3.Release;
  readonly secrets: Record<string, k8s.core.v1.Secret> = {};
  readonly edgeSites: Record<string, k8s.apiextensions.CustomResource> = {};
  readonly sampleCloud?: k8s.apiextensions.CustomResource;
  /** Registered sites with their last-read Ready status. */
  readonly sites: pulumi.Output<SiteOutput[]>;

  constructor(name: string, args: DiscoveryFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('discovery:index:DiscoveryFleet', name, {}, opts);
    const { config } = args;
    this.provider = new k8s.Provider(
      `${name}-management`,
      { kubeconfig: pulumi.secret(args.managementKubeconfig) },
      { parent: this, dependsOn: args.dependsOn },
    );
    const provider = this.provider;

    const ns = config.createNamespace
      ? new k8s.core.v1.Namespace(
          `${name}-namespace`,
          { metadata: { name: config.namespace, labels: { [MANAGED_BY_LABEL]: 'pulumi' } } },
          { parent: this, provider },
        )
      : undefined;
    this.namespace = ns ? ns.metadata.name : pulumi.output(config.namespace);
    const nsDeps = ns ? [ns] : [];

    this.crds = config.installCrds
      ? args.crds.map(
          (crd) =>
            new k8s.apiextensions.v1.CustomResourceDefinition(
              `${name}-crd-${crd.metadata.name}`,
              crd as unknown as k8s.apiextensions.v1.CustomResourceDefinitionArgs,
              { parent: this, provider, retainOnDelete: config.retainCrds },
            ),
        )
      : [];

    if (config.installOperator) {
      this.release = new k8s.helm.v3.Release(
        `${name}-operator`,
        {
          name: config.releaseName,
          chart: config.chartPath,
          namespace: config.namespace,
          // The CRDs are managed above (and kept on destroy); the chart's crds/ copy would race with them.
          skipCrds: true,
          values: config.operatorValues,
          timeout: 300,
        },
        { parent: this, provider, dependsOn: [...nsDeps, ...this.crds] },
      );
    }

    const sites: pulumi.Output<SiteOutput>[] = [];
    for (const site of config.sites) {
      const kubeconfig = args.siteKubeconfigs[site.name];
      if (kubeconfig === undefined) throw new Error(`no kubeconfig given for site ${site.name}`);
      const manifest = edgeSiteManifest(site, config);
      const secretName = manifest.spec.kubeconfigSecretRef.name;
      const secret = new k8s.core.v1.Secret(
        `${name}-secret-${site.name}`,
        {
          metadata: {
            name: secretName,
            namespace: config.namespace,
            labels: { [FLEET_LABEL]: config.fleetLabel, [MANAGED_BY_LABEL]: 'pulumi' },
          },
          type: 'Opaque',
          data: {
            kubeconfig: pulumi.secret(pulumi.output(kubeconfig).apply((k) => Buffer.from(k).toString('base64'))),
          },
        },
        { parent: this, provider, dependsOn: nsDeps },
      );
      // `status: undefined` registers the property so the object's status (read back after create) is an output.
      const edgeSite = new k8s.apiextensions.CustomResource(
        `${name}-edgesite-${site.name}`,
        { ...manifest, status: undefined },
        { parent: this, provider, dependsOn: [secret, ...this.crds] },
      );
      this.secrets[site.name] = secret;
      this.edgeSites[site.name] = edgeSite;
      const status = (edgeSite as unknown as { status?: pulumi.Output<object | undefined> }).status;
      sites.push(
        pulumi.output(status ?? undefined).apply((st) => ({
          name: site.name,
          role: site.role,
          region: site.region,
          zone: site.zone,
          rttMillis: site.rttMillis,
          kubeconfigSecret: `${config.namespace}/${secretName}`,
          ...readyOf(st),
        })),
      );
    }
    this.sites = pulumi.all(sites);

    if (config.sampleCloud) {
      this.sampleCloud = new k8s.apiextensions.CustomResource(`${name}-sample-cloud`, sampleCloudManifest(config), {
        parent: this,
        provider,
        dependsOn: [...Object.values(this.edgeSites), ...this.crds],
      });
    }
    this.registerOutputs({ namespace: this.namespace, sites: this.sites });
  }
}
