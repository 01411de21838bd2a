import { fileURLToPath } from 'node:url';
import { runNodeScript, type ScriptResult } from '@remoteler/testkit';

/** The built `remoteler-server` (`npm run build -w @remoteler/reference-server`; `npm test` builds first). */
export const SERVER_BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export type BinResult = ScriptResult;

/** Runs `remoteler-server ARGS` to completion with `env` (plus PATH). */
export function runServerBin(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  input = '',
): Promise<BinResult> {
  return runNodeScript(SERVER_BIN, args, { env, input });
}
