import { open, readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { RemotelerError } from '@remoteler/core';

/** Options of {@link withRenewLock}. */
export interface RenewLockOptions {
  /** A lock older than this is broken, in ms (default 120 000). */
  readonly staleMs?: number;
  /** How long to wait for the lock, in ms (default 150 000: longer than a stale lock lives). */
  readonly timeoutMs?: number;
  /** Clock for tests (default Date.now). */
  readonly now?: () => number;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(path: string, staleMs: number, now: number): Promise<boolean> {
  try {
    const { pid, time } = JSON.parse(await readFile(path, 'utf8')) as { pid?: number; time?: number };
    if (typeof pid !== 'number' || typeof time !== 'number') return true;
    return now - time > staleMs || !processIsAlive(pid);
  } catch (error) {
    // Gone already (released): not stale, just try again.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // Not JSON yet: the holder is between create and write. Stale only when that is old.
    try {
      return now - (await stat(path)).mtimeMs > staleMs;
    } catch {
      return false;
    }
  }
}

/**
 * Runs `work` while holding the lock file `path`, created exclusively with the holder's pid and time.
 * kubectl runs the exec plugin once per process, so ten parallel kubectl calls after expiry start ten
 * plugins; the lock lets one renew while the others wait and then re-read the cache. A lock whose
 * holder died or that is older than `staleMs` is broken.
 */
export async function withRenewLock<T>(
  path: string,
  work: () => Promise<T>,
  options: RenewLockOptions = {},
): Promise<T> {
  const now = options.now ?? Date.now;
  const staleMs = options.staleMs ?? 120_000;
  const deadline = now() + (options.timeoutMs ?? 150_000);
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, time: now() }));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(path, staleMs, now())) {
        await rm(path, { force: true });
        continue;
      }
      if (now() >= deadline) {
        throw new RemotelerError('RMT_CLIENT_LOCK_TIMEOUT', `the renewal lock ${path} is still held`);
      }
      // Referenced on purpose: the caller awaits this wait, and an unreferenced timer would let a CLI
      // process exit in the middle of it (Node's exit code 13, unsettled top-level await).
      await delay(wait);
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}
