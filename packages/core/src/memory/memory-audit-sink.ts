import type {
  AuditSearchQuery,
  AuditSearchResult,
  AuditSink,
  AuditSinkCapabilities,
} from '../contracts/audit-sink.js';
import { RemotelerError } from '../errors/remoteler-error.js';
import { type AuditEvent, assertAuditEvent } from '../types/audit-event.js';

/** Options for {@link MemoryAuditSink}. */
export interface MemoryAuditSinkOptions {
  /**
   * Most events held. When full, `emit()` rejects with RMT_AUDIT_SINK_FULL: an audit sink never
   * drops the new event nor an old one to make room. Default 100,000.
   */
  readonly maxEvents?: number;
}

interface StoredEvent {
  readonly event: AuditEvent;
  readonly timeMs: number;
  /** Arrival order, to keep events with the same time in emit order. */
  readonly seq: number;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * An {@link AuditSink} in process memory, with search: the reference implementation, and what tests
 * use to assert that something was audited. Not durable.
 */
export class MemoryAuditSink implements AuditSink {
  readonly capabilities: AuditSinkCapabilities = Object.freeze({ search: true, durable: false });
  readonly #maxEvents: number;
  /** Sorted by (time, seq). */
  readonly #events: StoredEvent[] = [];
  #seq = 0;
  #closed = false;

  constructor(options: MemoryAuditSinkOptions = {}) {
    const maxEvents = options.maxEvents ?? 100_000;
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 1)
      throw new RemotelerError(
        'RMT_CONFIG_INVALID',
        'MemoryAuditSink options are invalid: maxEvents: must be a positive integer',
        {
          details: { problems: [{ path: 'maxEvents', message: 'must be a positive integer' }] },
        },
      );
    this.#maxEvents = maxEvents;
  }

  async emit(event: AuditEvent): Promise<void> {
    this.#assertOpen();
    assertAuditEvent(event);
    if (this.#events.length >= this.#maxEvents)
      throw new RemotelerError(
        'RMT_AUDIT_SINK_FULL',
        `the memory audit sink holds ${this.#maxEvents} events`,
        {
          details: { maxEvents: this.#maxEvents, type: event.type },
        },
      );
    const stored: StoredEvent = {
      event: Object.freeze(structuredClone(event)),
      timeMs: Date.parse(event.time),
      seq: this.#seq++,
    };
    // Events usually arrive in time order, so searching from the end is nearly always one step.
    let index = this.#events.length;
    while (index > 0 && compare(this.#events[index - 1]!, stored) > 0) index -= 1;
    this.#events.splice(index, 0, stored);
  }

  async flush(): Promise<void> {
    this.#assertOpen();
  }

  async search(query: AuditSearchQuery = {}): Promise<AuditSearchResult> {
    this.#assertOpen();
    const { from, to, limit, after } = parseQuery(query);
    const types = query.types === undefined ? undefined : new Set<string>(query.types);
    const ordered = query.order === 'desc' ? [...this.#events].reverse() : this.#events;
    const page: AuditEvent[] = [];
    let last: StoredEvent | undefined;
    for (const stored of ordered) {
      if (after !== undefined) {
        const position = compare(stored, after);
        if (query.order === 'desc' ? position >= 0 : position <= 0) continue;
      }
      if (from !== undefined && stored.timeMs < from) continue;
      if (to !== undefined && stored.timeMs >= to) continue;
      if (types !== undefined && !types.has(stored.event.type)) continue;
      if (query.user !== undefined && stored.event.user !== query.user) continue;
      if (page.length === limit) return { events: page, nextCursor: encodeCursor(last!) };
      page.push(structuredClone(stored.event));
      last = stored;
    }
    return { events: page };
  }

  /** Every event held, oldest first (copies). For tests and demos. */
  snapshot(): AuditEvent[] {
    return this.#events.map((stored) => structuredClone(stored.event));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RemotelerError('RMT_AUDIT_SINK_CLOSED', 'the memory audit sink is closed');
  }
}

function compare(a: StoredEvent, b: { timeMs: number; seq: number }): number {
  return a.timeMs - b.timeMs || a.seq - b.seq;
}

function encodeCursor(stored: StoredEvent): string {
  return Buffer.from(JSON.stringify([stored.timeMs, stored.seq])).toString('base64url');
}

function parseQuery(query: AuditSearchQuery): {
  from?: number;
  to?: number;
  limit: number;
  after?: { timeMs: number; seq: number };
} {
  const problems: Array<{ path: string; message: string }> = [];
  const time = (path: 'from' | 'to'): number | undefined => {
    const value = query[path];
    if (value === undefined) return undefined;
    const parsed = Date.parse(value);
    if (Number.isNaN(parsed)) problems.push({ path, message: 'must be an RFC 3339 timestamp' });
    return parsed;
  };
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && from > to)
    problems.push({ path: 'to', message: 'must not be before from' });
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    problems.push({ path: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` });
  let after: { timeMs: number; seq: number } | undefined;
  if (query.cursor !== undefined) {
    try {
      const [timeMs, seq] = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as unknown[];
      if (typeof timeMs !== 'number' || typeof seq !== 'number') throw new TypeError('not a cursor');
      after = { timeMs, seq };
    } catch {
      problems.push({ path: 'cursor', message: 'must be the nextCursor of a previous search' });
    }
  }
  if (problems.length > 0)
    throw new RemotelerError(
      'RMT_AUDIT_SEARCH_INVALID',
      `audit search is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { details: { problems } },
    );
  return {
    limit,
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(after === undefined ? {} : { after }),
  };
}
