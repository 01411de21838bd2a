import type { Clock } from '@remoteler/core';

/** A fixed-window limit: at most `max` attempts per key within `windowMs` milliseconds. */
export interface RateLimit {
  /** Attempts allowed per window. */
  readonly max: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

/**
 * Fixed-window attempt counter per key. Memory is bounded: beyond `maxKeys` the oldest windows are
 * forgotten (which can only let an attacker who spreads over that many keys in one window retry
 * early; the connector's own lockout still applies).
 */
export class FixedWindowLimiter {
  readonly #limit: RateLimit;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(limit: RateLimit, clock: Clock, maxKeys = 100_000) {
    this.#limit = limit;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /**
   * Counts one attempt for `key`. Returns 0 when allowed, or the seconds until the window ends when
   * the limit is reached (the attempt is then not counted).
   */
  attempt(key: string): number {
    const now = this.#clock();
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.#limit.windowMs) {
      this.#windows.delete(key);
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
      while (this.#windows.size > this.#maxKeys) {
        const oldest = this.#windows.keys().next().value as string;
        this.#windows.delete(oldest);
      }
    }
    if (window.count >= this.#limit.max)
      return Math.max(1, Math.ceil((window.start + this.#limit.windowMs - now) / 1000));
    window.count++;
    return 0;
  }

  clear(): void {
    this.#windows.clear();
  }
}
