import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The stock `remoteler` command as npm installed it (`npm run build` makes its dist/). */
export const REMOTELER_BIN = fileURLToPath(
  new URL('../../../../node_modules/@remoteler/client/dist/bin.js', import.meta.url),
);

/** Runs `remoteler …` as a real process with exactly `env` (plus PATH) and `input` on stdin. */
export function runRemoteler(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  input = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(REMOTELER_BIN)) throw new Error(`${REMOTELER_BIN} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REMOTELER_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}
