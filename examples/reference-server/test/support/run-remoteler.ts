import { fileURLToPath } from 'node:url';
import { runNodeScript, type ScriptResult } from '@remoteler/testkit';

/** The built `remoteler` command of @remoteler/client (`npm test` builds it first). */
export const REMOTELER_CLIENT_BIN = fileURLToPath(
  new URL('../../../../packages/client/dist/bin.js', import.meta.url),
);

export type RunResult = ScriptResult;

/** Runs `remoteler ARGS` as a real process with exactly `env` (plus PATH) and `input` on stdin. */
export function runRemoteler(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  input = '',
): Promise<RunResult> {
  return runNodeScript(REMOTELER_CLIENT_BIN, args, { env, input });
}
