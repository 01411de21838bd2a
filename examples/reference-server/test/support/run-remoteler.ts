import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `remoteler` command of @remoteler/client (`npm test` builds it first). */
export const REMOTELER_CLIENT_BIN = fileURLToPath(
  new URL('../../../../packages/client/dist/bin.js', import.meta.url),
);

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `remoteler ARGS` as a real process with exactly `env` (plus PATH) and `input` on stdin. */
export function runRemoteler(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  input = '',
): Promise<RunResult> {
  if (!existsSync(REMOTELER_CLIENT_BIN))
    throw new Error(`${REMOTELER_CLIENT_BIN} is missing: run npm run build`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REMOTELER_CLIENT_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}
