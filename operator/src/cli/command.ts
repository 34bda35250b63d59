// What a `discovery` subcommand looks like, and the shared parseArgs wrapper that handles --help and usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type CliIO } from './io.js';

export interface CliCommand {
  name: string;
  /** One line for `discovery --help`. */
  summary: string;
  /** Full `discovery <name> --help` text. */
  help: string;
  /** Returns the exit code. */
  run(argv: string[], io: CliIO): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** parseArgs (strict) with `-h/--help`; returns undefined when help was printed. Throws UsageError on bad flags. */
export function parseCommandArgs(
  command: Pick<CliCommand, 'help'>,
  argv: string[],
  options: Options,
  io: CliIO,
): ParsedValues | undefined {
  let values: ParsedValues;
  try {
    values = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }).values as ParsedValues;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) {
    io.stdout(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return undefined;
  }
  return values;
}

/** Values of a repeatable string option. */
export function strings(v: ParsedValues[string]): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}
