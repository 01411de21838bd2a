import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, RemotelerError } from '@remoteler/core';
import { stateDirError } from '../server/state-dir.js';

/** The demo's users and the password each got at the first start. */
export const DEMO_USERS = [
  { username: 'alice', roles: ['developer'] },
  { username: 'bob', roles: ['admin'] },
] as const;

/** A demo user's generated password and its hash (kept so a restart does not hash again). */
export interface DemoCredential {
  readonly username: string;
  readonly password: string;
  readonly passwordHash: string;
}

/**
 * The demo's state directory: `--state-dir`, else `$XDG_STATE_HOME/remoteler-demo` (XDG Base
 * Directory spec: state that should persist between restarts), else `~/.local/state/remoteler-demo`.
 */
export function demoStateDir(env: Readonly<Record<string, string | undefined>>, flag?: string): string {
  if (flag) return flag;
  const xdg = env.XDG_STATE_HOME;
  if (xdg?.startsWith('/')) return join(xdg, 'remoteler-demo');
  return join(env.HOME || homedir(), '.local', 'state', 'remoteler-demo');
}

/**
 * The demo users' passwords: read from `passwords.json` (0600), or generated (128 bits, base64url)
 * and saved at the first start, so a restart keeps the logins people already made.
 */
export async function demoCredentials(stateDir: string): Promise<DemoCredential[]> {
  const file = join(stateDir, 'passwords.json');
  let saved: DemoCredential[] | undefined;
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as DemoCredential[];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && !(error instanceof SyntaxError)) throw stateDirError(stateDir, error);
  }
  if (
    saved &&
    Array.isArray(saved) &&
    DEMO_USERS.every((u) =>
      saved?.some((s) => s.username === u.username && typeof s.passwordHash === 'string'),
    )
  )
    return saved;
  const made: DemoCredential[] = [];
  for (const user of DEMO_USERS) {
    const password = randomBytes(16).toString('base64url');
    made.push({ username: user.username, password, passwordHash: await hashPassword(password) });
  }
  try {
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    throw RemotelerError.is(error) ? error : stateDirError(stateDir, error);
  }
  return made;
}
