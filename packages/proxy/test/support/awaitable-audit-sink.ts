import { type AuditEvent, type AuditSink, MemoryAuditSink } from '@remoteler/core';

/** A MemoryAuditSink whose events a test can await (no polling). */
export interface AwaitableAuditSink extends AuditSink {
  readonly events: readonly AuditEvent[];
  /** Resolves with the first event (already emitted or later) that matches. */
  waitFor<E extends AuditEvent>(match: (event: AuditEvent) => event is E): Promise<E>;
  waitFor(match: (event: AuditEvent) => boolean): Promise<AuditEvent>;
}

export function awaitableAuditSink(): AwaitableAuditSink {
  const inner = new MemoryAuditSink();
  const events: AuditEvent[] = [];
  const waiters = new Set<() => void>();
  return {
    capabilities: inner.capabilities,
    events,
    async emit(event) {
      await inner.emit(event);
      events.push(event);
      for (const waiter of [...waiters]) waiter();
    },
    flush: () => inner.flush(),
    close: () => inner.close(),
    waitFor(match: (event: AuditEvent) => boolean) {
      return new Promise<AuditEvent>((resolve) => {
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
  } as AwaitableAuditSink;
}
