#!/usr/bin/env node
// The `discovery` CLI: a tiny subcommand dispatcher over the pure core (planner, renderers); no cluster needed.
// Every failure reaches the user as one clean message and an exit code (cliFailure in io.ts), never a stack trace.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from './commands.js';
import { cliFailure, processIO, type CliIO } from './io.js';

function topHelp(): string {
  const rows = Object.keys(COMMANDS)
    .sort()
    .map((name) => `  ${name.padEnd(8)}${COMMANDS[name]!.summary}`);
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
    io.stdout(topHelp());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`discovery: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const failure = cliFailure(error);
    const usage = failure.showUsage ? `\nRun \`discovery ${name} --help\` for usage.` : '';
    io.stderr(`discovery ${name}: ${failure.message}${usage}\n`);
    return failure.exitCode;
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
