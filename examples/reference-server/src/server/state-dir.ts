import { mkdir, stat } from 'node:fs/promises';
import { RemotelerError } from '@remoteler/core';

/** The state-directory error for a failed file-system call, naming the directory and what to do. */
export function stateDirError(dir: string, error: unknown, what = 'the state directory'): RemotelerError {
  if (RemotelerError.is(error)) return error;
  const code = (error as NodeJS.ErrnoException)?.code ?? String(error);
  return new RemotelerError('RMT_SERVER_STATE_DIR_UNUSABLE', `${what} ${dir} cannot be used (${code})`, {
    details: { path: dir, errno: code },
    cause: error,
  });
}

/**
 * Creates `dir` (and its parents) with mode 0700 when missing, and checks that an existing one is a
 * directory nobody else can write (anyone who can write it could swap key files).
 */
export async function ensurePrivateDir(dir: string, what = 'the state directory'): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await stat(dir);
    if (!info.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    if ((info.mode & 0o022) !== 0)
      throw new RemotelerError(
        'RMT_SERVER_STATE_DIR_UNUSABLE',
        `${what} ${dir} has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}: others could replace key material in it`,
        { hint: `Run chmod 700 ${dir}.`, details: { path: dir } },
      );
  } catch (error) {
    throw stateDirError(dir, error, what);
  }
}
