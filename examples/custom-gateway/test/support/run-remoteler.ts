import { fileURLToPath } from 'node:url';
import { runNodeScript, type ScriptResult } from '@remoteler/testkit';

/** The stock `remoteler` command as npm installed it (`npm run build` makes its dist/). */
export const REMOTELER_BIN = fileURLToPath(
  new URL('../../../../node_modules/@remoteler/client/dist/bin.js', import.meta.url),
);

/** Runs `remoteler …` as a real process with exactly `env` (plus PATH) and `input` on stdin. */
export function runRemoteler(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  input = '',
): Promise<ScriptResult> {
  return runNodeScript(REMOTELER_BIN, args, { env, input });
}
