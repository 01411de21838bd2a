import { hostname } from 'node:os';
import { RemotelerError } from '@remoteler/core';
import { type DestinationStream, type Logger, type LoggerOptions as PinoOptions, pino } from 'pino';
import pinoPretty from 'pino-pretty';
import { redactSecrets, redactText } from './redaction.js';

/** Log levels, most to least severe; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The logger every ops part takes: a pino logger (child loggers carry bindings such as `reqId`). */
export type RemotelerLogger = Logger;

/** Options for {@link createLogger}. Validated once. */
export interface CreateLoggerOptions {
  /** Least severe level written. Default `info`. */
  readonly level?: LogLevel;
  /**
   * `json` (default): one JSON object per line, for log collectors. `pretty`: coloured, human
   * readable lines (pino-pretty, in-process), for a terminal.
   */
  readonly format?: 'json' | 'pretty';
  /**
   * Where lines go: a writable stream, a file descriptor, or a file path (appended to, created
   * 0600). Default: standard output (fd 1). Writes are synchronous so that the last lines before an
   * exit or a crash are never lost.
   */
  readonly destination?: NodeJS.WritableStream | DestinationStream | number | string;
  /** Fields on every line. Default `{ service: 'remoteler' }` (plus pid and hostname). */
  readonly base?: Readonly<Record<string, unknown>>;
}

function validate(options: CreateLoggerOptions): void {
  const problems: string[] = [];
  if (options.level !== undefined && !LOG_LEVELS.includes(options.level))
    problems.push(`level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(options.level)}`);
  if (options.format !== undefined && options.format !== 'json' && options.format !== 'pretty')
    problems.push(`format must be "json" or "pretty", got ${JSON.stringify(options.format)}`);
  const destination = options.destination;
  if (
    destination !== undefined &&
    typeof destination !== 'number' &&
    typeof destination !== 'string' &&
    typeof (destination as { write?: unknown }).write !== 'function'
  )
    problems.push('destination must be a writable stream, a file descriptor or a file path');
  if (problems.length > 0)
    throw new RemotelerError('RMT_CONFIG_INVALID', `invalid logger options: ${problems.join('; ')}`, {
      details: { problems },
    });
}

function destinationFor(options: CreateLoggerOptions): DestinationStream | NodeJS.WritableStream {
  const target = options.destination ?? 1;
  if (options.format === 'pretty')
    return pinoPretty({
      destination:
        typeof target === 'string' ? pino.destination({ dest: target, sync: true, mode: 0o600 }) : target,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
    });
  if (typeof target === 'number') return pino.destination({ dest: target, sync: true });
  if (typeof target === 'string')
    return pino.destination({ dest: target, sync: true, mode: 0o600, mkdir: true });
  return target;
}

/**
 * A structured logger (pino) that never writes a secret: every logged object, child binding and
 * error is passed through {@link redactSecrets} (fields named like `authorization`, `password`,
 * `clientSecret`, `joinToken`, `privateKey`, `code_verifier`… become `[REDACTED]`), and messages
 * through {@link redactText} (PEM private keys, `Bearer …`, JWTs, `?code=`/`?state=` parameters).
 * Use `logger.child({ reqId })` for per-request loggers (see `createRequestId`).
 *
 * @throws RemotelerError `RMT_CONFIG_INVALID` for an unknown level or format.
 */
export function createLogger(options: CreateLoggerOptions = {}): RemotelerLogger {
  validate(options);
  const pinoOptions: PinoOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid, hostname: hostname(), service: 'remoteler', ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names, not numbers: `"level":"warn"` is what operators grep for.
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redactSecrets(object) as Record<string, unknown>,
      bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>,
    },
    serializers: { err: (error: unknown) => redactSecrets(error) },
    hooks: {
      // The message string (and printf-style arguments) never pass through `formatters.log`.
      logMethod(args, method) {
        const cleaned = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)) as typeof args;
        method.apply(this, cleaned);
      },
    },
  };
  const logger = pino(pinoOptions, destinationFor(options) as DestinationStream);
  // pino applies `formatters.bindings` to the root's base fields only, not to child bindings.
  // Children are created with Object.create(parent), so these own properties of the root are what
  // every descendant's child()/setBindings() resolve to.
  const child = logger.child;
  const setBindings = logger.setBindings;
  Object.defineProperties(logger, {
    child: {
      value: function redactedChild(this: Logger, bindings: Record<string, unknown>, childOptions?: unknown) {
        return child.call(this, redactSecrets(bindings) as Record<string, unknown>, childOptions as never);
      },
    },
    setBindings: {
      value: function redactedSetBindings(this: Logger, bindings: Record<string, unknown>) {
        setBindings.call(this, redactSecrets(bindings) as Record<string, unknown>);
      },
    },
  });
  return logger;
}
