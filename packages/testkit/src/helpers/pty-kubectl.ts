import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A kubectl run inside a pseudo-terminal made by util-linux `script`. */
export interface PtyKubectl {
  /** Everything the terminal showed so far. */
  readonly output: string;
  /** Types into the terminal. */
  write(data: string): void;
  /** Resolves once the terminal shows `text` (after `from`, default 0); rejects if kubectl exits first. */
  waitFor(text: string, from?: number): Promise<void>;
  /** kubectl's exit code (script -e passes it on). */
  readonly exited: Promise<number>;
  kill(): void;
}

const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
^ * Starts `script -qfec "<kubectl> …" /dev/null`: kubectl sees a real TTY on stdin/stdout, so `-it`
 * puts its terminal in raw mode and sends keystrokes as typed. The test awaits prompt text instead of
 * sleeping.
 */
export async function startPtyKubectl(
  binary: string,
  kubeconfig: string,
  args: readonly string[],
): Promise<PtyKubectl> {
  if (!existsSync('/usr/bin/script') && !existsSync('/bin/script'))
    throw new Error('`script` (util-linux) is needed to give kubectl a TTY: apt-get install bsdutils');
  const cacheDir = await mkdtemp(join(tmpdir(), 'remoteler-pty-kubectl-'));
  const command = [binary, '--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir, LANG: 'C.UTF-8', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    notify();
  });
  child.stdin.on('error', () => undefined);
  let done = false;
  const exited = new Promise<number>((resolve) => {
    child.once('close', (code) => {
      done = true;
      notify();
      void rm(cacheDir, { recursive: true, force: true }).finally(() => resolve(code ?? 1));
    });
  });
  return {
    get output() {
      return output;
    },
    write: (data) => child.stdin.write(data),
    waitFor(text, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (output.indexOf(text, from) >= 0) {
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
