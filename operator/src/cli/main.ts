#!/usr/bin/env node
// The `discovery` CLI: a tiny subcommand dispatcher over the pure core (planner, renderers); no cluster needed.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliCommand } from './command.js';
import { InputError, UsageError, processIO, type CliIO } from './io.js';
import { PlanError } from '../planner/errors.js';

/** Subcommands, loaded on use. Registering a command is one line here; its module exports `command`. */
const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  plan: () => import('./plan.js'),
  graph: () => import('./graph.js'),
  render: () => import('./render.js'),
};

async function topHelp(): Promise<string> {
  const rows: string[] = [];
  for (const name of Object.keys(COMMANDS).sort()) {
    const { command } = await COMMANDS[name]!();
    rows.push(`  ${name.padEnd(8)}${command.summary}`);
  }
  return [
    'Usage: discovery <command> [options]',
    '',
    'Plan and inspect Discovery DistributedClouds (OpenStack over a fleet of edge Kubernetes clusters).',
    '',
    'Commands:',
    ...rows,
    '',
    'Run `discovery <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

/** Runs the CLI with argv (without node and script) and returns the exit code. Never calls process.exit. */
export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(await topHelp());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`discovery: unknown command "${name}"\n\n${await topHelp()}`);
    return 2;
  }
  const { command } = await load();
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`discovery ${name}: ${err.message}\nRun \`discovery ${name} --help\` for usage.\n`);
      return 2;
    }
    if (err instanceof PlanError || err instanceof InputError || (err as Error).name === 'GraphvizError') {
      io.stderr(`discovery ${name}: ${(err as Error).message}\n`);
      return 1;
    }
    io.stderr(`discovery ${name}: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

function executedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (executedDirectly()) {
  process.exitCode = await runCli(process.argv.slice(2));
}
