/**
 * Counts the exchanges (requests, watches, exec/attach/port-forward sessions) each user has open,
 * so one user cannot hold every connection slot of the Proxy. Owned by one Proxy.
 */
export class UserConcurrencyLimiter {
  readonly #open = new Map<string, number>();
  readonly #max: number;

  /** `max` exchanges per user; `0` means unlimited. */
  constructor(max: number) {
    this.#max = max;
  }

  /**
   * Takes a slot for `user`. Returns the function that gives it back (idempotent), or `undefined`
   * when the user already holds `max` slots.
   */
  acquire(user: string): (() => void) | undefined {
    const open = this.#open.get(user) ?? 0;
    if (this.#max > 0 && open >= this.#max) return undefined;
    this.#open.set(user, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(user) ?? 1) - 1;
      if (left <= 0) this.#open.delete(user);
      else this.#open.set(user, left);
    };
  }

  /** Slots `user` holds now. */
  openFor(user: string): number {
    return this.#open.get(user) ?? 0;
  }
}
