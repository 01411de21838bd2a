import { mkdir, open, readFile, realpath, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { RemotelerError } from '@remoteler/core';
import { writeFileAtomic } from '../atomic-file.js';

/** Options of {@link updateKubeconfigFile}. */
export interface UpdateKubeconfigOptions {
  /** How long to wait for kubectl's `<file>.lock` held by another process, in ms (default 10 000). */
  readonly lockTimeoutMs?: number;
  /** Strip group and other permissions (the file is going to hold a private key). Default false. */
  readonly ownerOnly?: boolean;
}

/** What the update callback sees. */
export interface KubeconfigFileContent {
  /** The file's text; `''` when it does not exist. */
  readonly source: string;
  /** True when the file does not exist yet. */
  readonly isNew: boolean;
}

async function acquireLock(lockPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    try {
      // client-go (tools/clientcmd/loader.go lockFile) creates `<file>.lock` with O_CREATE|O_EXCL and
      // removes it afterwards; taking the same lock keeps a concurrent kubectl config write out.
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() >= deadline) {
        throw new RemotelerError(
          'RMT_CLIENT_KUBECONFIG_LOCKED',
          `the kubeconfig lock ${lockPath} is held by another process`,
        );
      }
      // Referenced on purpose: the caller awaits this wait, and an unreferenced timer would let a CLI
      // process exit in the middle of it (Node's exit code 13, unsettled top-level await).
      await delay(wait);
    }
  }
}

async function resolveTarget(path: string): Promise<string> {
  try {
    // Write through symlinks (a kubeconfig kept in a dotfiles repository stays a symlink).
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw error;
  }
}

/**
 * Reads, transforms and atomically replaces a kubeconfig file under kubectl's own `<file>.lock`.
 * Symlinks are resolved and the target is written; the file mode is kept (0600 for a new file).
 * `update` returns the new text, `undefined` to delete the file, or `null` to leave it untouched.
 */
export async function updateKubeconfigFile<T>(
  path: string,
  update: (content: KubeconfigFileContent) => { source: string | undefined | null; result: T },
  options: UpdateKubeconfigOptions = {},
): Promise<T> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const release = await acquireLock(`${path}.lock`, options.lockTimeoutMs ?? 10_000);
  try {
    const target = await resolveTarget(path);
    let source = '';
    let mode = 0o600;
    let isNew = false;
    try {
      source = await readFile(target, 'utf8');
      mode = (await stat(target)).mode & 0o777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      isNew = true;
    }
    if (options.ownerOnly) mode &= 0o700;
    const { source: next, result } = update({ source, isNew });
    if (next === undefined) await rm(target, { force: true });
    else if (next !== null && (isNew || next !== source || options.ownerOnly))
      await writeFileAtomic(target, next, mode);
    return result;
  } finally {
    await release();
  }
}
