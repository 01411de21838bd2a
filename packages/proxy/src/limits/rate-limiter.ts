/** Options of {@link UserRateLimiter}. */
export interface UserRateLimiterOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Bucket size: requests allowed at once. */
  readonly burst: number;
  /** Clock in ms; default `Date.now`. */
  readonly now?: () => number;
  /** Buckets kept before full ones are forgotten. Default 10 000. */
  readonly maxTrackedUsers?: number;
}

/** The answer of {@link UserRateLimiter.take}. */
export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per user: `burst` requests at once, then `ratePerSecond` sustained. Owned by one
 * Proxy. Memory stays bounded: when more than `maxTrackedUsers` buckets exist, the ones that have
 * refilled completely (indistinguishable from a new bucket) are dropped.
 */
export class UserRateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #max: number;

  constructor(options: UserRateLimiterOptions) {
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#now = options.now ?? Date.now;
    this.#max = options.maxTrackedUsers ?? 10_000;
  }

  /** Takes one token for `user`; when none is left, says how many whole seconds until one is. */
  take(user: string): RateDecision {
    const now = this.#now();
    let bucket = this.#buckets.get(user);
    if (!bucket) {
      if (this.#buckets.size >= this.#max) this.#forgetFull(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(user, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    // Retry-After is whole seconds (RFC 9110 §10.2.3); round up so the retry finds a token.
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate)) };
  }

  #forgetFull(now: number): void {
    for (const [user, bucket] of this.#buckets)
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.#rate >= this.#burst) this.#buckets.delete(user);
  }

  /** Users currently tracked (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }
}
