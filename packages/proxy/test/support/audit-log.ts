import type { ProxyAuditEvent } from '../../src/index.js';

/** The Proxy's audit events as a test sees them: `record` is the `onAudit` hook. */
export interface AuditLog {
  readonly events: ProxyAuditEvent[];
  readonly record: (event: ProxyAuditEvent) => void;
  /** Resolves with the first event (already recorded or still to come) that matches. */
  where(match: (event: ProxyAuditEvent) => boolean): Promise<ProxyAuditEvent>;
}

export function createAuditLog(): AuditLog {
  const events: ProxyAuditEvent[] = [];
  const waiters = new Set<() => void>();
  return {
    events,
    record(event) {
      events.push(event);
      for (const waiter of [...waiters]) waiter();
    },
    where(match) {
      return new Promise((resolve) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
