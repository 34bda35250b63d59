// Raw JSON access to a Kubernetes API server: resource references, list paths, and one GET returning the document as
// the server sent it (no client-node model deserialization), with errors carrying the HTTP status.
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** An API resource (what an informer watches, what a list path names). group '' is the core API group. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

/** Built-in resources the operator reads or writes. Custom resources are described where they are defined. */
export const RESOURCES = {
  configMaps: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  secrets: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  services: { group: '', version: 'v1', plural: 'services', namespaced: true },
  nodes: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  statefulSets: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  daemonSets: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  jobs: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  persistentVolumeClaims: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

/** API path listing resource (in namespace, or across namespaces / cluster-wide when namespace is undefined). */
export function resourcePath(resource: ResourceRef, namespace?: string): string {
  const prefix = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  if (resource.namespaced && namespace)
    return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
  return `${prefix}/${resource.plural}`;
}

/** Error of a raw API request, with the HTTP status (statusCode, like client-node's watch errors). */
export class KubeRequestError extends Error {
  override readonly name = 'KubeRequestError';
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/**
 * GET a JSON document from the API server of kc's current context, as raw JSON (no client-node model
 * deserialization, so listed objects look exactly like watched ones: timestamps stay strings).
 */
export async function kubeGetJson<R>(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | undefined> = {},
  timeoutMs = 60_000,
): Promise<R> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const options: RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(options);
  options.method = 'GET';
  options.headers = { ...(options.headers as Record<string, string>), Accept: 'application/json' };
  options.timeout = timeoutMs;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<R>((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          try {
            resolve(JSON.parse(body) as R);
          } catch (error) {
            reject(error);
          }
          return;
        }
        let message = `GET ${url.pathname} failed with HTTP ${status}`;
        try {
          const parsed = JSON.parse(body) as { message?: string };
          if (parsed.message) message = `${message}: ${parsed.message}`;
        } catch {
          // non-JSON error body
        }
        reject(new KubeRequestError(message, status));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname} timed out after ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}
