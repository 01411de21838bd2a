import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** kubectl running inside a pseudo-terminal made by util-linux `script`. */
export interface PtySession {
  /** Everything the terminal showed so far. */
  readonly output: string;
  /** Types into the terminal. */
  write(data: string): void;
  /** Resolves once the terminal shows `text`; rejects if kubectl exits first. */
  waitFor(text: string): Promise<void>;
  /** kubectl's exit code (`script -e` passes it on). */
  readonly exited: Promise<number>;
  kill(): void;
}

const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * Runs `script -qfec "<kubectl> …" /dev/null`, so kubectl sees a TTY and `-it` puts the terminal in
 * raw mode. Tests await text on the terminal, never a delay.
 */
export async function startPtyKubectl(
  binary: string,
  kubeconfig: string,
  args: readonly string[],
): Promise<PtySession> {
  if (!existsSync('/usr/bin/script') && !existsSync('/bin/script'))
    throw new Error('`script` (util-linux) gives kubectl a TTY in these tests: apt-get install bsdutils');
  const cacheDir = await mkdtemp(join(tmpdir(), 'remoteler-session-pty-'));
  const command = [binary, '--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir, LANG: 'C.UTF-8', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let done = false;
  const waiters = new Set<() => void>();
  const append = (chunk: string) => {
    output += chunk;
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.setEncoding('utf8').on('data', append);
  child.stderr.setEncoding('utf8').on('data', append);
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => {
    child.once('close', (code) => {
      done = true;
      append('');
      void rm(cacheDir, { recursive: true, force: true }).finally(() => resolve(code ?? 1));
    });
  });
  return {
    get output() {
      return output;
    },
    write: (data) => child.stdin.write(data),
    waitFor(text) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (output.includes(text)) {
            waiters.delete(check);
            resolve();
          } else if (done) {
            waiters.delete(check);
            reject(new Error(`kubectl exited before showing ${JSON.stringify(text)}; output: ${output}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    exited,
    kill: () => {
      if (!done) child.kill('SIGKILL');
    },
  };
}
