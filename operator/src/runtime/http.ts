// Small HTTP server for probes and scraping: /healthz (process alive), /readyz (caches synced) and /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { OperatorMetrics } from './metrics.js';

/** Readiness verdict; reasons say what is not ready yet (e.g. "informer edgesites not synced"). */
export interface Readiness {
  ready: boolean;
  reasons?: string[];
}

export interface HealthServerOptions {
  /** Port to listen on; 0 picks a free one (tests). */
  port: number;
  host?: string;
  metrics?: OperatorMetrics;
  /**
   * Readiness check. Policy: a replica is ready once its informer caches are synced, whether or not it is the leader,
   * so a standby replica is Ready (rolling updates do not stall) and can take over with warm caches.
   */
  readiness: () => Readiness;
  /** Liveness check; default: the process answers. */
  liveness?: () => Readiness;
  logger?: Logger;
}

export interface HealthServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': contentType });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    const probe = (check: () => Readiness): void => {
      let verdict: Readiness;
      try {
        verdict = check();
      } catch (error) {
        verdict = { ready: false, reasons: [`check failed: ${(error as Error).message}`] };
      }
      const lines = verdict.reasons?.length ? verdict.reasons.join('\n') + '\n' : '';
      reply(verdict.ready ? 200 : 503, (verdict.ready ? 'ok\n' : 'not ready\n') + lines);
    };
    switch (path) {
      case '/healthz':
      case '/livez':
        return probe(options.liveness ?? (() => ({ ready: true })));
      case '/readyz':
        return probe(options.readiness);
      case '/metrics':
        if (!options.metrics) return reply(404, 'metrics disabled\n');
        options.metrics
          .exposition()
          .then((text) => reply(200, text, options.metrics!.contentType))
          .catch((error: unknown) => {
            options.logger?.error('metrics exposition failed', { error });
            reply(500, 'metrics exposition failed\n');
          });
        return;
      default:
        return reply(404, 'not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.logger?.info('health server listening', { port });
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
