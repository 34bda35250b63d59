// Automation API wiring: a LocalWorkspace stack running the inline Discovery program with the locally built
// Pulumi CLI and Kubernetes provider (.tools/bin), a file backend and a passphrase, fully offline.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalWorkspace, PulumiCommand, type ConfigMap, type Stack } from '@pulumi/pulumi/automation/index.js';
import type { RawDiscoveryConfig } from './config.js';
import { discoveryProgram, PROJECT_NAME, REPO_ROOT } from './program.js';

export interface DiscoveryStackOptions {
  /** Stack name (default dev). */
  stackName?: string;
  /** Directory of the file backend (default $DISCOVERY_PULUMI_STATE_DIR, else ~/.local/state/discovery-pulumi). */
  stateDir?: string;
  /** Secrets passphrase (default $PULUMI_CONFIG_PASSPHRASE, else "discovery-local"). */
  passphrase?: string;
  /** Stack config `discovery:*` to set (replaces those keys). */
  config?: RawDiscoveryConfig;
  /** Directory holding `pulumi` and `pulumi-resource-kubernetes` (default <repo>/.tools/bin). */
  toolsBin?: string;
  /** Base for relative paths in the config (default process.cwd()). */
  cwd?: string;
  /** Extra environment for the CLI and the provider. */
  env?: Record<string, string>;
}

export function defaultStateDir(): string {
  if (process.env.DISCOVERY_PULUMI_STATE_DIR) return path.resolve(process.env.DISCOVERY_PULUMI_STATE_DIR);
  const base = process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'discovery-pulumi');
}

/**
 * Environment that keeps Pulumi offline: no update check, no plugin download, the file backend, and a PATH that
 * starts with the tools dir so the engine finds pulumi-resource-kubernetes there (an "ambient" plugin: the engine
 * uses a provider found on $PATH whatever version the SDK asks for).
 */
export function offlineEnv(stateDir: string, passphrase: string, toolsBin: string): Record<string, string> {
  return {
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_HOME: path.join(stateDir, '.pulumi-home'),
    PATH: `${toolsBin}${path.delimiter}${process.env.PATH ?? ''}`,
  };
}

/** Stack config map for setAllConfig: strings as written, everything else as JSON (see config.readRawConfig). */
export function toConfigMap(config: RawDiscoveryConfig): ConfigMap {
  const map: ConfigMap = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    map[`${PROJECT_NAME}:${k}`] = { value: typeof v === 'string' ? v : JSON.stringify(v) };
  }
  return map;
}

/** Creates (or selects) the stack, wired to the inline program, and sets the given config. */
export async function discoveryStack(options: DiscoveryStackOptions = {}): Promise<Stack> {
  const stateDir = options.stateDir ?? defaultStateDir();
  const toolsBin = options.toolsBin ?? path.join(REPO_ROOT, '.tools', 'bin');
  const passphrase = options.passphrase ?? process.env.PULUMI_CONFIG_PASSPHRASE ?? 'discovery-local';
  mkdirSync(stateDir, { recursive: true });
  const envVars = { ...offlineEnv(stateDir, passphrase, toolsBin), ...(options.env ?? {}) };
  // PulumiCommand.get({ root }) runs <root>/bin/pulumi and checks its version against the SDK's minimum.
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(toolsBin) });
  const stack = await LocalWorkspace.createOrSelectStack(
    {
      stackName: options.stackName ?? 'dev',
      projectName: PROJECT_NAME,
      program: discoveryProgram({ cwd: options.cwd }),
    },
    {
      pulumiCommand,
      envVars,
      pulumiHome: envVars.PULUMI_HOME,
      projectSettings: { name: PROJECT_NAME, runtime: 'nodejs', backend: { url: `file://${stateDir}` } },
      secretsProvider: 'passphrase',
    },
  );
  if (options.config) await stack.setAllConfig(toConfigMap(options.config));
  return stack;
}
