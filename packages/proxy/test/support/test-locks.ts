import type { Lock, LockTarget } from '@remoteler/core';
import type { LockSource } from '../../src/index.js';

/** A {@link LockSource} a test sets by hand; `set` tells the Proxy at once, as a store watch would. */
export interface TestLocks {
  readonly source: LockSource;
  set(next: Lock[]): void;
}

export function createTestLocks(): TestLocks {
  let current: Lock[] = [];
  const listeners = new Set<() => void>();
  return {
    source: {
      current: () => current,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    set(next) {
      current = next;
      for (const listener of listeners) listener();
    },
  };
}

/** A v1 lock on `target` with an operator's message. */
export function lockOn(name: string, target: LockTarget, extra: Partial<Lock['spec']> = {}): Lock {
  return {
    kind: 'lock',
    version: 'v1',
    metadata: { name },
    spec: { target, message: 'incident 42: contact secops@example.com', ...extra },
  };
}
