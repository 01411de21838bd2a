import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `remoteler-server` (`npm run build -w @remoteler/reference-server`; `npm test` builds first). */
export const SERVER_BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface BinResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `remoteler-server ARGS` to completion with `env` (plus PATH). */
export function runServerBin(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  input = '',
): Promise<BinResult> {
  if (!existsSync(SERVER_BIN))
    throw new Error(`${SERVER_BIN} is missing: run npm run build -w @remoteler/reference-server`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_BIN, ...args], {
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
