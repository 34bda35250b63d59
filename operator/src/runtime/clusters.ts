// Member-cluster clients: a KubeConfig built from each EdgeSite's kubeconfig Secret (only in allowed namespaces, only
// inline credentials), one client set per site, cached and rebuilt only when the Secret's content changes.
// Credentials never appear in errors or logs.
import { createHash } from 'node:crypto';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  VersionApi,
  type ApiConstructor,
  type ApiType,
} from '@kubernetes/client-node';
import type { Logger } from './logger.js';
import { KubeconfigProblem, parseKubeconfig } from './kubeconfig.js';
import { gatedApiClient, gatedObjectApi, type WriteGate } from './writegate.js';
import { PermanentError } from './workqueue.js';

export const DEFAULT_KUBECONFIG_KEY = 'kubeconfig';

/** The parts of a Secret we read (a V1Secret or a raw watched object both fit). */
export interface SecretLike {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface SecretRef {
  namespace: string;
  name: string;
  key?: string;
}

export type CredentialsProblem =
  'SecretNotFound' | 'KeyMissing' | 'InvalidKubeconfig' | 'UnsafeKubeconfig' | 'SecretNamespaceNotAllowed';

/**
 * A site's credentials cannot be used. Permanent for the work queue: only a change of the Secret (an informer event)
 * can fix it. `reason` is meant for conditions; the message names the Secret and key, never their content.
 */
export class ClusterCredentialsError extends PermanentError {
  constructor(
    readonly reason: CredentialsProblem,
    message: string,
  ) {
    super(message);
  }
}

function secretName(ref: SecretRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/** The kubeconfig text stored under key in secret (base64 in data, or plain in stringData). */
export function kubeconfigText(secret: SecretLike, ref: SecretRef): string {
  const key = ref.key ?? DEFAULT_KUBECONFIG_KEY;
  const encoded = secret.data?.[key];
  if (encoded !== undefined) return Buffer.from(encoded, 'base64').toString('utf8');
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;
  throw new ClusterCredentialsError('KeyMissing', `Secret ${secretName(ref)} has no key "${key}"`);
}

/**
 * Build a KubeConfig from a kubeconfig Secret. The text is checked by parseKubeconfig (inline credentials only) and
 * client-node gets only the checked fields, never the raw text. Throws ClusterCredentialsError (reason
 * InvalidKubeconfig or UnsafeKubeconfig, message naming the Secret, key and offending field, no content) if unusable.
 */
export function kubeConfigFromSecret(secret: SecretLike, ref: SecretRef): KubeConfig {
  const text = kubeconfigText(secret, ref);
  const kc = new KubeConfig();
  try {
    kc.loadFromOptions(parseKubeconfig(text));
  } catch (error) {
    if (!(error instanceof KubeconfigProblem)) throw error;
    const key = ref.key ?? DEFAULT_KUBECONFIG_KEY;
    throw new ClusterCredentialsError(error.reason, `Secret ${secretName(ref)} (key ${key}): ${error.message}`);
  }
  return kc;
}

/**
 * Refuses a Secret reference outside the allowed namespaces (the operator's own, plus --kubeconfig-secret-namespaces):
 * an EdgeSite must not make the operator read Secrets of arbitrary namespaces.
 */
export function checkSecretNamespace(ref: SecretRef, allowed: readonly string[]): void {
  if (allowed.includes(ref.namespace)) return;
  throw new ClusterCredentialsError(
    'SecretNamespaceNotAllowed',
    `Secret ${secretName(ref)}: kubeconfig Secrets are read only from namespace(s) ${allowed.join(', ')} ` +
      `(spec.kubeconfigSecretRef.namespace; see --kubeconfig-secret-namespaces)`,
  );
}

/** sha256 of the kubeconfig content: identifies one set of credentials without revealing it. */
export function credentialsHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The clients of one member cluster. */
export interface MemberClients {
  site: string;
  /** Credentials identity (hash of the kubeconfig): changes whenever the clients are rebuilt. */
  hash: string;
  /** API server URL (safe to log). */
  server: string;
  secretRef: SecretRef;
  secretResourceVersion?: string;
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  version: VersionApi;
  /** Generic client, for server-side apply of rendered objects. */
  objects: KubernetesObjectApi;
}

export interface MemberClustersOptions {
  /** Namespaces kubeconfig Secrets may be read from; any other reference is refused before any read. */
  secretNamespaces: readonly string[];
  /** Read a Secret (typically from the Secret informer cache). */
  getSecret(namespace: string, name: string): SecretLike | undefined | Promise<SecretLike | undefined>;
  logger?: Logger;
  /** When given, every request of the member clients goes through it (writes only while leading). */
  writeGate?: WriteGate;
  /** Called after a site's clients are (re)built, e.g. to restart that site's member informers. */
  onRebuilt?(clients: MemberClients, previous: MemberClients | undefined): void;
}

/** Cache of member-cluster client sets, one per site. */
export class MemberClusters {
  private readonly bySite = new Map<string, MemberClients>();

  constructor(private readonly options: MemberClustersOptions) {}

  /**
   * Clients of site built from the Secret ref points at: the cached set when the Secret is unchanged (same
   * resourceVersion, or same content), else a new set. Throws ClusterCredentialsError when the Secret is unusable
   * (and then forgets the cached set: stale credentials are not used).
   */
  async clientsFor(site: string, ref: SecretRef): Promise<MemberClients> {
    const cached = this.bySite.get(site);
    let secret: SecretLike | undefined;
    try {
      checkSecretNamespace(ref, this.options.secretNamespaces);
      secret = await this.options.getSecret(ref.namespace, ref.name);
      if (!secret) throw new ClusterCredentialsError('SecretNotFound', `Secret ${secretName(ref)} not found`);
    } catch (error) {
      if (error instanceof ClusterCredentialsError) this.bySite.delete(site);
      throw error;
    }
    const sameRef =
      cached &&
      cached.secretRef.namespace === ref.namespace &&
      cached.secretRef.name === ref.name &&
      (cached.secretRef.key ?? DEFAULT_KUBECONFIG_KEY) === (ref.key ?? DEFAULT_KUBECONFIG_KEY);
    const rv = secret.metadata?.resourceVersion;
    if (cached && sameRef && rv !== undefined && cached.secretResourceVersion === rv) return cached;
    let text: string;
    let kubeConfig: KubeConfig;
    try {
      text = kubeconfigText(secret, ref);
      kubeConfig = kubeConfigFromSecret(secret, ref);
    } catch (error) {
      this.bySite.delete(site);
      throw error;
    }
    const hash = credentialsHash(text);
    if (cached && sameRef && cached.hash === hash) {
      cached.secretResourceVersion = rv;
      return cached;
    }
    const gate = this.options.writeGate;
    const api = <T extends ApiType>(type: ApiConstructor<T>): T =>
      gate ? gatedApiClient(kubeConfig, type, gate) : kubeConfig.makeApiClient(type);
    const clients: MemberClients = {
      site,
      hash,
      server: kubeConfig.getCurrentCluster()?.server ?? '',
      secretRef: { ...ref },
      secretResourceVersion: rv,
      kubeConfig,
      core: api(CoreV1Api),
      apps: api(AppsV1Api),
      batch: api(BatchV1Api),
      version: api(VersionApi),
      objects: gate ? gatedObjectApi(kubeConfig, gate) : KubernetesObjectApi.makeApiClient(kubeConfig),
    };
    this.bySite.set(site, clients);
    this.options.logger?.info(
      cached ? 'member cluster credentials changed; clients rebuilt' : 'member cluster clients built',
      {
        site,
        server: clients.server,
        secret: secretName(ref),
        credentials: hash,
      },
    );
    this.options.onRebuilt?.(clients, cached);
    return clients;
  }

  /** Cached clients of site, without checking the Secret. */
  peek(site: string): MemberClients | undefined {
    return this.bySite.get(site);
  }

  forget(site: string): void {
    this.bySite.delete(site);
  }

  sites(): string[] {
    return [...this.bySite.keys()].sort();
  }

  /** Sites whose cached clients come from Secret namespace/name (to requeue them when it changes). */
  sitesUsingSecret(namespace: string, name: string): string[] {
    return [...this.bySite.values()]
      .filter((c) => c.secretRef.namespace === namespace && c.secretRef.name === name)
      .map((c) => c.site)
      .sort();
  }
}
