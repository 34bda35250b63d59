// The CLI's contact with the outside world, passed to every command so tests can run commands in-process, and the
// errors a command reports to its user (cliFailure turns any error into one clean line and an exit code).
import { readFile, writeFile } from 'node:fs/promises';
import { PlanError } from '../planner/errors.js';
import { RenderError } from '../render/types.js';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
  writeFile(path: string, content: string): Promise<void>;
}

export function processIO(): CliIO {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    readFile: (p) => readFile(p, 'utf8'),
    writeFile: (p, c) => writeFile(p, c, 'utf8'),
  };
}

/** Bad command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Bad input resources (unreadable file, YAML error, schema violation): exit code 1. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Graphviz missing or failing (`discovery graph --format svg`): exit code 1. */
export class GraphvizError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphvizError';
  }
}

export interface CliFailure {
  /** What to print after `discovery <command>: `; never a stack trace. */
  message: string;
  /** 2 for a bad command line, else 1. */
  exitCode: 1 | 2;
  /** Point at `discovery <command> --help`. */
  showUsage: boolean;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** A Node.js system error (ENOENT, EACCES, ...): its message names the operation and the path. */
// Duck-typed: Node's fs errors are not instances of this realm's Error under vm sandboxes (jest), and a system error is
// recognised by its shape anyway (code, syscall, message).
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as Partial<NodeJS.ErrnoException>;
  return typeof e.code === 'string' && typeof e.syscall === 'string' && typeof e.message === 'string';
}

/**
 * How an error thrown by a command reaches the user. Errors about the input (usage, resources, plan, rendering,
 * Graphviz, files) print their message; anything else is an internal error, reported on one line too.
 */
export function cliFailure(error: unknown): CliFailure {
  if (error instanceof UsageError) return { message: oneLine(error.message), exitCode: 2, showUsage: true };
  if (
    error instanceof InputError ||
    error instanceof PlanError ||
    error instanceof RenderError ||
    error instanceof GraphvizError ||
    isSystemError(error)
  )
    return { message: oneLine(error.message), exitCode: 1, showUsage: false };
  const text = error instanceof Error ? error.message : String(error);
  return { message: `internal error: ${text.split('\n', 1)[0] ?? ''}`, exitCode: 1, showUsage: false };
}
