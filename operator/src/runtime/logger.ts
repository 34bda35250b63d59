// Structured JSON logging (winston) for the operator: one line per event, child loggers carrying {dc, site, unit},
// and a redaction step so that credentials never reach the output.
import winston from 'winston';
import { redact } from './redact.js';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LoggerOptions {
  level?: LogLevel | string;
  /** Fields on every line (e.g. { component: 'operator', replica: podName }). */
  defaultMeta?: Record<string, unknown>;
  /** Where lines go; defaults to stdout. Tests pass a stream transport to capture output. */
  transports?: winston.LoggerOptions['transports'];
}

/** Winston format that deep-redacts every field of a log entry (message, metadata, errors). */
export const redactionFormat = winston.format((info) => {
  const scrubbed = redact({ ...info }) as Record<string, unknown>;
  for (const key of Object.keys(info)) {
    if (!(key in scrubbed)) delete (info as Record<string, unknown>)[key];
  }
  Object.assign(info, scrubbed);
  return info;
});

export function createLogger(options: LoggerOptions = {}): Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: options.defaultMeta,
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format.timestamp(),
      redactionFormat(),
      winston.format.json(),
    ),
    transports: options.transports ?? [new winston.transports.Console()],
  });
}

/** Context fields a controller attaches to the lines about one DistributedCloud, site or unit. */
export interface LogContext {
  dc?: string;
  site?: string;
  unit?: string;
  controller?: string;
  [field: string]: unknown;
}

/** A child logger whose lines carry the given context (undefined fields omitted). */
export function withContext(logger: Logger, context: LogContext): Logger {
  const fields = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
  return logger.child(fields);
}
