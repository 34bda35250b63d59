// Operator entry point: parses flags (--flag value, --flag=value, bare booleans), starts the manager and shuts it
// down gracefully on SIGTERM/SIGINT. `npm run operator -- --help` lists the flags.
import { hostname } from 'node:os';
import { Manager, type ManagerOptions } from './manager.js';

const HELP = `discovery-operator: reconciles EdgeSites and DistributedClouds across member clusters

Flags (--flag value or --flag=value; booleans also bare or --flag=false):
  --kubeconfig PATH                  management cluster kubeconfig (default: in-cluster, else $KUBECONFIG/~/.kube/config)
  --namespaces a,b                   namespaces watched for DistributedClouds (default: all)
  --concurrency N                    reconciles in parallel per controller (default 4)
  --log-level info|debug|warn|error  (default info)
  --http-port N                      /healthz, /readyz, /metrics (default 8080)
  --leader-elect[=true|false]        Lease-based leader election (default true)
  --leader-election-namespace NS     (default $POD_NAMESPACE, else discovery-system)
  --leader-election-id NAME          Lease name (default discovery-operator)
  --identity ID                      leader identity (default $POD_NAME, else hostname-pid)
  --probe-interval DURATION          EdgeSite probe interval (default 30s)
  --resync-period DURATION           periodic reconcile of settled DistributedClouds (default 10m)
  --site-delete-timeout DURATION     deletion waits this long for an unreachable site, then abandons it (default 5m)
  --kubeconfig-secret-namespaces a,b extra namespaces EdgeSite kubeconfig Secrets may live in; the operator's own
                                     namespace ($POD_NAMESPACE, else the leader-election namespace) is always allowed,
                                     and a Secret anywhere else is refused (EdgeSite Reachable=False)
  --help`;

/** Go-style durations: 500ms, 2s, 5m, 1h, 1m30s; a bare number is seconds. */
export function parseDuration(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`invalid duration "${text}"`);
  return total;
}

const BOOLEAN_FLAGS = new Set(['leader-elect', 'help']);

export function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const name = arg.slice(2);
    if (BOOLEAN_FLAGS.has(name)) {
      const next = argv[i + 1];
      if (next === 'true' || next === 'false') {
        flags.set(name, next);
        i++;
      } else flags.set(name, 'true');
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`flag --${name} needs a value`);
    flags.set(name, value);
    i++;
  }
  return flags;
}

const KNOWN = new Set([
  'kubeconfig',
  'namespaces',
  'concurrency',
  'log-level',
  'http-port',
  'leader-elect',
  'leader-election-namespace',
  'leader-election-id',
  'identity',
  'probe-interval',
  'resync-period',
  'site-delete-timeout',
  'kubeconfig-secret-namespaces',
  'help',
]);

export function managerOptions(flags: Map<string, string>, env: NodeJS.ProcessEnv): ManagerOptions {
  for (const k of flags.keys()) if (!KNOWN.has(k)) throw new Error(`unknown flag --${k} (see --help)`);
  const int = (name: string, def: number): number => {
    const v = flags.get(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const level = flags.get('log-level') ?? 'info';
  if (!['error', 'warn', 'info', 'debug'].includes(level)) throw new Error(`--log-level must be error|warn|info|debug`);
  const list = (name: string): string[] =>
    (flags.get(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const leaderElectionNamespace = flags.get('leader-election-namespace') ?? env.POD_NAMESPACE ?? 'discovery-system';
  const extraSecretNamespaces = list('kubeconfig-secret-namespaces');
  for (const ns of extraSecretNamespaces)
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns))
      throw new Error(`--kubeconfig-secret-namespaces: "${ns}" is not a namespace name`);
  return {
    kubeconfig: flags.get('kubeconfig'),
    namespaces: list('namespaces'),
    concurrency: Math.max(1, int('concurrency', 4)),
    logLevel: level,
    httpPort: int('http-port', 8080),
    leaderElect: (flags.get('leader-elect') ?? 'true') !== 'false',
    leaderElectionNamespace,
    leaderElectionId: flags.get('leader-election-id') ?? 'discovery-operator',
    identity: flags.get('identity') ?? env.POD_NAME ?? `${hostname()}-${process.pid}`,
    probeIntervalMs: parseDuration(flags.get('probe-interval') ?? '30s'),
    resyncPeriodMs: parseDuration(flags.get('resync-period') ?? '10m'),
    siteDeleteTimeoutMs: parseDuration(flags.get('site-delete-timeout') ?? '5m'),
    progressRequeueMs: 2000,
    secretNamespaces: [...new Set([env.POD_NAMESPACE ?? leaderElectionNamespace, ...extraSecretNamespaces])],
  };
}

async function main(): Promise<void> {
  let options: ManagerOptions;
  try {
    const flags = parseFlags(process.argv.slice(2));
    if (flags.get('help') === 'true') {
      console.log(HELP);
      return;
    }
    options = managerOptions(flags, process.env);
  } catch (error) {
    console.error(`discovery-operator: ${(error as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const manager = new Manager(options);
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    manager.logger.info('signal received', { signal });
    stopping = manager.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        manager.logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await manager.start();
  } catch (error) {
    manager.logger.error('operator failed to start', { error });
    await manager.stop().catch(() => undefined);
    process.exit(1);
  }
}

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith('main.ts') ||
  process.argv[1]?.endsWith('main.js')
) {
  void main();
}
