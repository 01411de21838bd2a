import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { SERVER_BIN } from './run-server-bin.js';

/** A `remoteler-server` process started by a test. */
export interface ServerProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout (or stderr, with `stream`); rejects when the process exits first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
  /** The exit code once it exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit. Idempotent. */
  stop(): Promise<number | null>;
}

/** Spawns the built `remoteler-server ARGS` with `env` (plus PATH). */
export function startServerProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): ServerProcess {
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    text.stdout += d;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    text.stderr += d;
    notify();
  });
  let exitCode: number | null | undefined;
  const exited = once(child, 'exit').then(([code]) => {
    exitCode = code as number | null;
    notify();
    return exitCode;
  });
  let stopping: Promise<number | null> | undefined;
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    waitFor(pattern, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text[stream]);
          if (match) {
            waiters.delete(check);
            resolve(match);
          } else if (exitCode !== undefined) {
            waiters.delete(check);
            reject(
              new Error(
                `remoteler-server exited (${exitCode}) before ${pattern}:\n${text.stdout}\n${text.stderr}`,
              ),
            );
          }
        };
        waiters.add(check);
        check();
      });
    },
    stop() {
      stopping ??= (async () => {
        if (exitCode === undefined) child.kill('SIGTERM');
        return exited;
      })();
      return stopping;
    },
  };
}
