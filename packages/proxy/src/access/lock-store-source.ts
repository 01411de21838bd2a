import type { Lock, LockStore, ResourceWatch } from '@remoteler/core';
import type { LockSource } from './lock-source.js';

/**
 * The Proxy's view of the lock store: an in-memory snapshot (the Proxy reads `current()` on every
 * request) kept up to date by the store's watch, so a lock an admin creates through Auth ends the
 * user's open watches and sessions at once.
 */
export class LockStoreSource implements LockSource {
  readonly #locks = new Map<string, Lock>();
  readonly #listeners = new Set<() => void>();
  #watch: ResourceWatch | undefined;

  private constructor() {}

  /**
   * Starts watching, then reads what the store holds, so no change in between is lost (a lock
   * deleted in that instant may stay in force until its next change: the safe direction).
   */
  static async open(store: LockStore): Promise<LockStoreSource> {
    const source = new LockStoreSource();
    source.#watch = store.watch((event) => {
      if (event.type === 'put') source.#locks.set(event.resource.metadata.name, event.resource);
      else source.#locks.delete(event.name);
      for (const listener of source.#listeners) listener();
    });
    for (const lock of await store.list())
      if (!source.#locks.has(lock.metadata.name)) source.#locks.set(lock.metadata.name, lock);
    return source;
  }

  /** The locks the store holds now (expired ones included: the Proxy checks expiry itself). */
  current(): readonly Lock[] {
    return [...this.#locks.values()];
  }

  /** Calls `listener` after every change of the store; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops following the store. Idempotent. */
  close(): void {
    this.#watch?.close();
    this.#listeners.clear();
  }
}
