import type { AuditEvent, AuditSink } from '@remoteler/core';

/**
 * Wraps a real sink and lets a test await an event once the real sink has accepted it: the
 * Proxy audits after the response, so kubectl can exit before its `kube.request` is written.
 */
export class ObservedAuditSink implements AuditSink {
  readonly capabilities: AuditSink['capabilities'];
  readonly #inner: AuditSink;
  readonly #accepted: AuditEvent[] = [];
  readonly #waiters = new Set<{
    match: (event: AuditEvent) => boolean;
    resolve: (event: AuditEvent) => void;
  }>();

  constructor(inner: AuditSink) {
    this.#inner = inner;
    this.capabilities = inner.capabilities;
  }

  async emit(event: AuditEvent): Promise<void> {
    await this.#inner.emit(event);
    this.#accepted.push(event);
    for (const waiter of this.#waiters)
      if (waiter.match(event)) {
        this.#waiters.delete(waiter);
        waiter.resolve(event);
      }
  }

  /** Resolves with the first accepted event (past or future) that matches. */
  waitFor<T extends AuditEvent>(match: (event: AuditEvent) => event is T): Promise<T>;
  waitFor(match: (event: AuditEvent) => boolean): Promise<AuditEvent>;
  waitFor(match: (event: AuditEvent) => boolean): Promise<AuditEvent> {
    const seen = this.#accepted.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.add({ match, resolve }));
  }

  flush(): Promise<void> {
    return this.#inner.flush();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
