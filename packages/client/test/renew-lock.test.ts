import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withRenewLock } from '../src/renew-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renewal lock', () => {
  it('holds the lock with pid and time while working and removes it afterwards', async () => {
    const lock = join(dir, 'renew.lock');
    const seen = await withRenewLock(lock, async () => JSON.parse(await readFile(lock, 'utf8')));
    expect(seen).toEqual({ pid: process.pid, time: expect.any(Number) });
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('runs one holder at a time', async () => {
    const lock = join(dir, 'renew.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withRenewLock(lock, async () => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise<void>((resolve) => setImmediate(resolve));
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('breaks a lock whose holder is gone or that is older than the stale limit', async () => {
    const lock = join(dir, 'renew.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, time: 0 }));
    expect(await withRenewLock(lock, async () => 'ran', { staleMs: 1_000 })).toBe('ran');
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 7, time: Date.now() }));
    expect(await withRenewLock(lock, async () => 'ran again')).toBe('ran again');
  });

  it('gives up with RMT_CLIENT_LOCK_TIMEOUT while a live holder keeps it', async () => {
    const lock = join(dir, 'renew.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, time: Date.now() }));
    await expect(withRenewLock(lock, async () => 'never', { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'RMT_CLIENT_LOCK_TIMEOUT',
    });
  });
});
