import type { AuditEvent, AuditSink } from '@remoteler/core';
import type { ServerMetrics } from './server-metrics.js';

/**
 * An audit sink that counts events into `metrics` and forwards them to `delegate` (the real sink;
 * none: events are only counted). Pass it wherever the Proxy (`auditSink`) or the Auth service
 * (`audit`) takes a sink.
 *
 * Sessions are counted as they are reported (a session runs whether or not its audit event was
 * stored). Logins and certificates are counted once the delegate accepted the event, because Auth
 * refuses a login or a certificate it cannot audit (fail closed): a refused event was no success.
 * The delegate's answer (and rejection) is returned unchanged.
 */
export function createMetricsAuditSink(metrics: ServerMetrics, delegate?: AuditSink): AuditSink {
  const count = (event: AuditEvent) => {
    try {
      metrics.onAuditEvent(event);
    } catch {
      // Counting must never refuse an action; onAuditEvent does not throw, this is a last guard.
    }
  };
  const countsFirst = (event: AuditEvent) => event.type === 'session.start' || event.type === 'session.end';
  const sink: AuditSink = {
    capabilities: delegate?.capabilities ?? { search: false, durable: false },
    async emit(event) {
      if (countsFirst(event)) count(event);
      if (delegate) await delegate.emit(event);
      if (!countsFirst(event)) count(event);
    },
    flush: () => delegate?.flush() ?? Promise.resolve(),
    close: () => delegate?.close() ?? Promise.resolve(),
  };
  if (delegate?.search) {
    const search = delegate.search.bind(delegate);
    return { ...sink, search: (query) => search(query) };
  }
  return sink;
}
