import { type AuditEvent, type AuditSink, MemoryAuditSink } from '@remoteler/core';
import { awaitableList } from './awaitable-list.js';

/** A MemoryAuditSink whose events a test can await (no polling). */
export interface AwaitableAuditSink extends AuditSink {
  readonly events: readonly AuditEvent[];
  /** Resolves with the first event (already emitted or later) that matches. */
  waitFor<E extends AuditEvent>(match: (event: AuditEvent) => event is E): Promise<E>;
  waitFor(match: (event: AuditEvent) => boolean): Promise<AuditEvent>;
}

export function awaitableAuditSink(): AwaitableAuditSink {
  const inner = new MemoryAuditSink();
  const list = awaitableList<AuditEvent>();
  return {
    capabilities: inner.capabilities,
    events: list.items,
    async emit(event) {
      await inner.emit(event);
      list.push(event);
    },
    flush: () => inner.flush(),
    close: () => inner.close(),
    waitFor: (match: (event: AuditEvent) => boolean) => list.waitFor(match),
  } as AwaitableAuditSink;
}
