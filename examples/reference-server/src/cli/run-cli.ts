import { RemotelerError } from '@remoteler/core';
import { loadServerConfig } from '../config/load-config.js';
import { parseArgs } from './parse-args.js';

/** Where the command writes, and how it stays in the foreground; injected so tests run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads all of standard input (for `hash-password`). */
  readonly readStdin: () => Promise<string>;
  /** Runs a long-lived command until it is told to stop; resolves with the exit code. */
  readonly serve?: (start: () => Promise<{ close(): Promise<void> }>) => Promise<number>;
}

export const USAGE = `Usage: remoteler-server <command>

  start [--config FILE]            Start Auth and/or Proxy from remoteler.yaml; with no --config,
                                   start the demo (two simulated clusters, users alice and bob).
        demo flags: --state-dir DIR (default $XDG_STATE_HOME/remoteler-demo), --port N (default 3080),
                    --listen HOST (default 127.0.0.1), --diag-listen HOST:PORT
  config check FILE [--json]       Validate remoteler.yaml without starting; exits 1 with every problem.
  ca status --config FILE          The CAs' rotation phase, signing generation and trusted fingerprints.
  ca rotate start|switch|finish --config FILE [--ca user|host|both] [--json]
                                   One CA rotation step on auth.ca_dir (start: a new generation is
                                   trusted; switch: it signs, the old one stays trusted; finish: the
                                   old one is dropped). Then SIGHUP the running server.
  hash-password                    Read a password on standard input and print its scrypt hash for
                                   auth.connectors[].users[].password_hash.
  --help                           This text.

Errors carry a stable RMT_ code; see docs/errors.md.
`;

/** Writes an error as a person reads it (code, message, next step), never a stack trace. */
export function reportError(error: unknown, io: Pick<CliIo, 'stderr'>): number {
  if (RemotelerError.is(error)) {
    io.stderr(`remoteler-server: ${error.code}: ${error.message.trimEnd()}\n${error.hint}\n`);
    return 2;
  }
  const text = error instanceof Error ? error.message : String(error);
  io.stderr(`remoteler-server: RMT_INTERNAL: ${text}\nReport it with the command you ran.\n`);
  return 70;
}

async function configCheck(argv: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(argv, { valued: [], booleans: ['json'] });
  const file = positional[0];
  if (file === undefined || positional.length > 1)
    throw new RemotelerError(
      'RMT_SERVER_USAGE',
      'config check takes one file: remoteler-server config check FILE',
    );
  try {
    const { config } = await loadServerConfig(file);
    io.stdout(
      flags.json
        ? `${JSON.stringify({ valid: true, file, roles: config.roles })}\n`
        : `${file} is valid (roles: ${config.roles.join(', ')})\n`,
    );
    return 0;
  } catch (error) {
    if (flags.json && RemotelerError.is(error)) {
      io.stdout(`${JSON.stringify({ valid: false, file, error: error.toJSON() })}\n`);
      return 1;
    }
    if (RemotelerError.is(error)) {
      io.stderr(`${error.code}: ${error.message.trimEnd()}\n${error.hint}\n`);
      return 1;
    }
    throw error;
  }
}

async function hashPasswordCommand(io: CliIo): Promise<number> {
  const { hashPassword } = await import('@remoteler/core');
  const password = (await io.readStdin()).replace(/\r?\n$/, '');
  if (password === '')
    throw new RemotelerError(
      'RMT_SERVER_USAGE',
      'hash-password reads the password on standard input; it was empty',
    );
  io.stdout(`${await hashPassword(password)}\n`);
  return 0;
}

/** Runs `remoteler-server ARGV`; resolves with the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === 'help' || command === '-h') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'config' && rest[0] === 'check') return await configCheck(rest.slice(1), io);
    if (command === 'hash-password') return await hashPasswordCommand(io);
    if (command === 'ca') {
      const { caCommand } = await import('./ca-command.js');
      return await caCommand(rest, io);
    }
    if (command === 'start') {
      const { startCommand } = await import('./start-command.js');
      return await startCommand(rest, io);
    }
    throw new RemotelerError('RMT_SERVER_USAGE', `unknown command ${JSON.stringify(argv.join(' '))}`);
  } catch (error) {
    return reportError(error, io);
  }
}
