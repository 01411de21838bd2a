/** Collects events and lets a test await one that matches, instead of polling or sleeping. */
export interface EventWaiter<T> {
  readonly events: readonly T[];
  push(event: T): void;
  /** Resolves with the first event (already seen or to come) that matches. */
  waitFor(match: (event: T) => boolean): Promise<T>;
}

export function eventWaiter<T>(): EventWaiter<T> {
  const events: T[] = [];
  const waiters = new Set<(event: T) => boolean>();
  return {
    events,
    push(event) {
      events.push(event);
      for (const waiter of [...waiters]) if (waiter(event)) waiters.delete(waiter);
    },
    waitFor(match) {
      const seen = events.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => {
        waiters.add((event) => {
          if (!match(event)) return false;
          resolve(event);
          return true;
        });
      });
    },
  };
}
