/** A list a test appends to and awaits entries of (no polling). */
export interface AwaitableList<T> {
  readonly items: T[];
  push(item: T): void;
  /** Resolves with the first item (already pushed or still to come) that matches. */
  waitFor(match: (item: T) => boolean): Promise<T>;
}

export function awaitableList<T>(): AwaitableList<T> {
  const items: T[] = [];
  const waiters = new Set<() => void>();
  return {
    items,
    push(item) {
      items.push(item);
      for (const waiter of [...waiters]) waiter();
    },
    waitFor(match) {
      return new Promise((resolve) => {
        const check = () => {
          const found = items.find(match);
          if (found === undefined) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
