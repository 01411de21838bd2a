import { createMemoryLockStore, type Lock } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import { LockStoreSource } from '../src/index.js';

// The Proxy reads locks on every request from a snapshot; LockStoreSource keeps that snapshot in step
// with a core LockStore (memory today, etcd later) and tells the Proxy when it changed, so a new lock
// ends open sessions at once.

const lock = (name: string, user: string): Lock => ({
  kind: 'lock',
  version: 'v1',
  metadata: { name },
  spec: { target: { user }, message: 'incident 7' },
});

describe('LockStoreSource', () => {
  it('starts with what the store holds and follows creations and deletions, announcing each', async () => {
    const store = createMemoryLockStore();
    await store.create(lock('first', 'mallory'));
    const source = await LockStoreSource.open(store);
    try {
      expect(source.current().map((l) => l.metadata.name)).toEqual(['first']);
      let changes = 0;
      const changed = new Promise<void>((resolve) =>
        source.subscribe(() => {
          changes += 1;
          resolve();
        }),
      );
      await store.create(lock('second', 'eve'));
      await changed;
      expect(
        source
          .current()
          .map((l) => l.metadata.name)
          .sort(),
      ).toEqual(['first', 'second']);
      await store.delete('first');
      expect(source.current().map((l) => l.metadata.name)).toEqual(['second']);
      expect(changes).toBe(2);
    } finally {
      source.close();
    }
  });

  it('stops following the store when closed', async () => {
    const store = createMemoryLockStore();
    const source = await LockStoreSource.open(store);
    let heard = false;
    source.subscribe(() => {
      heard = true;
    });
    source.close();
    source.close();
    await store.create(lock('late', 'mallory'));
    expect(heard).toBe(false);
    expect(source.current()).toEqual([]);
  });
});
