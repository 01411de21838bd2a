import type { AuditEvent, AuditEventType } from '../types/audit-event.js';

/** What an audit sink offers beyond emit/flush/close. */
export interface AuditSinkCapabilities {
  /** `search()` is present. */
  readonly search: boolean;
  /** Events survive a restart of the process once `emit()` (or `flush()`) has resolved. */
  readonly durable: boolean;
}

/** A query over stored audit events. */
export interface AuditSearchQuery {
  /** RFC 3339; only events at or after this time. */
  readonly from?: string;
  /** RFC 3339; only events strictly before this time. */
  readonly to?: string;
  /** Only these types. Default: all. */
  readonly types?: readonly AuditEventType[];
  /** Only events whose `user` is this. */
  readonly user?: string;
  /** Most events per page, 1-1000. Default 100. */
  readonly limit?: number;
  /** `asc` (oldest first, the default) or `desc`. */
  readonly order?: 'asc' | 'desc';
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** One page of search results. */
export interface AuditSearchResult {
  readonly events: AuditEvent[];
  /** Present when more events match; pass it as `cursor` to get the next page. */
  readonly nextCursor?: string;
}

/**
 * Where audit events go. `emit()` never drops an event silently: its promise resolves once the
 * sink has accepted the event (persisted, for durable sinks) and rejects with a `RMT_AUDIT_…` code
 * otherwise, so that callers can refuse an action they cannot audit (fail closed).
 */
export interface AuditSink {
  readonly capabilities: AuditSinkCapabilities;
  /** Records one event. Rejects with RMT_AUDIT_EVENT_INVALID, RMT_AUDIT_SINK_FULL or RMT_AUDIT_SINK_CLOSED. */
  emit(event: AuditEvent): Promise<void>;
  /** Resolves when every event whose `emit()` was called before has been persisted. */
  flush(): Promise<void>;
  /** Events matching the query, in time order. Present when `capabilities.search`. */
  search?(query: AuditSearchQuery): Promise<AuditSearchResult>;
  /** Flushes, then releases resources; idempotent. Later calls reject with RMT_AUDIT_SINK_CLOSED. */
  close(): Promise<void>;
}
