// The write gate: every API client the controllers write through (management and member clusters) checks it right
// before each request. Writes pass only while this replica leads (the gate holds the leadership's AbortSignal); the
// moment leadership is lost the signal aborts every request in flight and every later write is refused.
import {
  KubernetesObjectApi,
  Observable,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { TemporaryError } from './workqueue.js';

/** A write attempted while this replica does not lead (or is shutting down): nothing was sent. */
export class NotLeaderError extends TemporaryError {
  constructor(what: string) {
    super(`${what} refused: this replica is not the leader (writes are stopped)`);
  }
}

/** The reason a term's signal aborts with: requests in flight reject with it (a TemporaryError, passed through). */
export class WritesStoppedError extends TemporaryError {
  constructor(why: string) {
    super(`writes stopped: ${why}`);
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class WriteGate {
  private signal?: AbortSignal;

  /** Open the gate for one term (leadership, or the process lifetime without leader election). */
  open(signal: AbortSignal): void {
    this.signal = signal;
  }

  /** Close the gate now (the term's signal aborting closes it too). */
  close(): void {
    this.signal = undefined;
  }

  get isOpen(): boolean {
    return this.signal !== undefined && !this.signal.aborted;
  }

  /** The signal of the open term, or undefined when closed. */
  current(): AbortSignal | undefined {
    return this.isOpen ? this.signal : undefined;
  }

  /** Throws NotLeaderError unless open; returns the term's signal (pass it to the write so it aborts with the term). */
  check(what: string): AbortSignal {
    const signal = this.current();
    if (!signal) throw new NotLeaderError(what);
    return signal;
  }

  /**
   * client-node middleware: a write (any method but GET/HEAD/OPTIONS) is refused unless the gate is open, and carries
   * the term's signal; a read issued while open carries it too (a reconcile's reads end with the term), a read while
   * closed (standby, warm-up) none.
   */
  middleware(): ObservableMiddleware {
    return {
      pre: (context: RequestContext): Observable<RequestContext> => {
        const method = String(context.getHttpMethod()).toUpperCase();
        const write = !READ_METHODS.has(method);
        const signal = write ? this.check(`${method} ${new URL(context.getUrl()).pathname}`) : this.current();
        if (signal) {
          const existing = context.getSignal();
          context.setSignal(existing ? AbortSignal.any([existing, signal]) : signal);
        }
        return new Observable(Promise.resolve(context));
      },
      post: (response: ResponseContext): Observable<ResponseContext> => new Observable(Promise.resolve(response)),
    };
  }
}

function gatedConfiguration(kc: KubeConfig, gate: WriteGate): Configuration {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    middleware: [gate.middleware()],
  });
}

/** Like kc.makeApiClient(ApiType), with every request going through the gate. */
export function gatedApiClient<T>(
  kc: KubeConfig,
  apiType: new (configuration: Configuration) => T,
  gate: WriteGate,
): T {
  return new apiType(gatedConfiguration(kc, gate));
}

class GatedObjectApi extends KubernetesObjectApi {
  static gated(kc: KubeConfig, gate: WriteGate): KubernetesObjectApi {
    const client = new GatedObjectApi(gatedConfiguration(kc, gate));
    client.setDefaultNamespace(kc);
    return client;
  }
}

/** Like KubernetesObjectApi.makeApiClient(kc) (server-side apply, generic delete), through the gate. */
export function gatedObjectApi(kc: KubeConfig, gate: WriteGate): KubernetesObjectApi {
  return GatedObjectApi.gated(kc, gate);
}
