import type { ProxyAuditEvent } from '../../src/index.js';
import { awaitableList } from './awaitable-list.js';

/** The Proxy's audit events as a test sees them: `record` is the `onAudit` hook. */
export interface AuditLog {
  readonly events: ProxyAuditEvent[];
  readonly record: (event: ProxyAuditEvent) => void;
  /** Resolves with the first event (already recorded or still to come) that matches. */
  where(match: (event: ProxyAuditEvent) => boolean): Promise<ProxyAuditEvent>;
}

export function createAuditLog(): AuditLog {
  const list = awaitableList<ProxyAuditEvent>();
  return { events: list.items, record: (event) => list.push(event), where: (match) => list.waitFor(match) };
}
