import type { Clock } from '@remoteler/core';

/**
 * A bounded map whose entries expire. No timer: expired entries are dropped when touched and swept
 * from the oldest end on every insert (entries are inserted with roughly increasing expiry), so an
 * instance holds no handle that could keep a process alive.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();
  readonly #clock: Clock;
  readonly #capacity: number;

  constructor(clock: Clock, capacity: number) {
    this.#clock = clock;
    this.#capacity = capacity;
  }

  /** Number of entries, expired ones included until swept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Adds an entry; returns false (and adds nothing) when the map is full of live entries. */
  add(key: string, value: V, expiresAt: number): boolean {
    this.sweep();
    if (this.#entries.size >= this.#capacity) return false;
    this.#entries.set(key, { value, expiresAt });
    return true;
  }

  /**
   * Removes the entry and returns it with whether it had expired: single use by construction, the
   * entry is gone whatever the caller decides next.
   */
  take(key: string): { readonly value: V; readonly expired: boolean } | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    return { value: entry.value, expired: this.#clock() >= entry.expiresAt };
  }

  /** Live entries, oldest first. */
  *entries(): IterableIterator<{ readonly key: string; readonly value: V; readonly expiresAt: number }> {
    const now = this.#clock();
    for (const [key, entry] of this.#entries) if (entry.expiresAt > now) yield { key, ...entry };
  }

  /** Removes an entry; true when there was one. */
  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Drops expired entries from the oldest end. */
  sweep(): void {
    const now = this.#clock();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
