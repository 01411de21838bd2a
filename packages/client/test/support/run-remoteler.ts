import { fileURLToPath } from 'node:url';
import { runNodeScript, type ScriptResult } from '@remoteler/testkit';

/** The built command (`npm run build` makes it; `npm test` builds first). */
export const REMOTELER_BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export type RunResult = ScriptResult;

/** Runs `remoteler …` as a real process with exactly `env` (plus PATH) and `input` on stdin. */
export function runRemoteler(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  input = '',
): Promise<RunResult> {
  return runNodeScript(REMOTELER_BIN, args, { env, input });
}
