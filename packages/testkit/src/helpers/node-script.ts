import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What a finished process left behind. */
export interface ScriptResult {
  /** Exit code; -1 when it was ended by a signal. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link runNodeScript}. */
export interface NodeScriptOptions {
  /** The whole environment besides PATH: nothing else of the test process leaks in. Default none. */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to stdin, which is then closed. Default empty. */
  readonly input?: string;
}

/**
 * Runs a Node script (a package's built command, e.g. `dist/bin.js`) to completion as a real
 * process with the current Node binary, exactly `env` plus PATH, and `input` on stdin. Fails at once
 * with what to do when the script does not exist (a package that was not built).
 */
export function runNodeScript(
  script: string,
  args: readonly string[],
  options: NodeScriptOptions = {},
): Promise<ScriptResult> {
  if (!existsSync(script)) return Promise.reject(new Error(`${script} is missing: run npm run build first`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
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
    child.stdin.end(options.input ?? '');
  });
}
