import { Transform, type TransformCallback } from 'node:stream';
import { type ObjectFilter, RemotelerError } from '@remoteler/core';
import { mayShow, mayShowRow } from './filterable-object.js';
import { isJsonWhitespace, JsonValueCapture } from './json-value-capture.js';
import { DEFAULT_MAX_OBJECT_BYTES } from './list-filter.js';

/** Options for {@link createWatchFilter}. */
export interface WatchFilterOptions {
  /** The per-object predicate from the policy engine (`AccessChecker.objectFilter`). */
  readonly filter: ObjectFilter;
  /** The largest single event held in memory, in bytes. Default 16 MiB. */
  readonly maxEventBytes?: number;
}

const OPEN_BRACE = 0x7b;
const NEWLINE = Buffer.from('\n');

function malformed(what: string): RemotelerError {
  return new RemotelerError(
    'RMT_PROXY_FILTER_RESPONSE_INVALID',
    `the API server's watch stream is not the JSON event sequence the Proxy can filter (${what})`,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: watch events of any Kubernetes kind, read defensively
type Json = any;

/**
 * Decides watch events one by one: the bytes to send (the event unchanged, or a Table event
 * re-encoded with only the rows that may be shown), or undefined to drop it.
 */
function createDecider(filter: ObjectFilter): (raw: Buffer) => Buffer | undefined {
  // The API server sends a Table watch's columnDefinitions in the first event only (k8s-protocols
  // §3.2). When that event is dropped, its columns ride on the next event that is sent.
  let pendingColumns: unknown[] | undefined;
  return (raw) => {
    const event: Json = JSON.parse(raw.toString('utf8'));
    // BOOKMARK carries only a resourceVersion and ERROR a Status; neither shows an object.
    if (event?.type === 'BOOKMARK' || event?.type === 'ERROR') return raw;
    const object = event?.object;
    if (object?.kind === 'Table' && Array.isArray(object.rows)) {
      // A Table watch sends one row per event; judged like list rows.
      const rows = object.rows.filter((row: Json) => mayShowRow(filter, row));
      const columns = Array.isArray(object.columnDefinitions) && object.columnDefinitions.length > 0;
      if (rows.length === 0) {
        if (columns) pendingColumns = object.columnDefinitions;
        return undefined;
      }
      const addColumns = pendingColumns !== undefined && !columns;
      const sent =
        rows.length === object.rows.length && !addColumns
          ? raw
          : Buffer.from(
              JSON.stringify({
                ...event,
                object: { ...object, ...(addColumns && { columnDefinitions: pendingColumns }), rows },
              }),
            );
      pendingColumns = undefined;
      return sent;
    }
    return mayShow(filter, object) ? raw : undefined;
  };
}

/**
 * Filters a JSON watch stream event by event: events are split on object boundaries (not on
 * lines, k8s-protocols §3.2), so chunk boundaries anywhere are fine; each event is passed or
 * dropped by its object, BOOKMARK and ERROR always pass, and every event sent ends with `\n` as
 * the API server's own framing does. Nothing is buffered beyond the event being read, and a slow
 * client slows the upstream read (Transform backpressure).
 */
export function createWatchFilter(options: WatchFilterOptions): Transform {
  const { filter } = options;
  const capture = new JsonValueCapture(options.maxEventBytes ?? DEFAULT_MAX_OBJECT_BYTES);
  const decide = createDecider(filter);

  function step(chunk: Buffer, out: Buffer[]): void {
    let i = 0;
    while (i < chunk.length) {
      if (!capture.active) {
        const c = chunk[i]!;
        if (isJsonWhitespace(c)) {
          i++;
          continue;
        }
        if (c !== OPEN_BRACE) throw malformed('an event is not an object');
      }
      const end = capture.feed(chunk, i);
      if (end < 0) return;
      i = end;
      const kept = decide(capture.take());
      if (kept) out.push(kept, NEWLINE);
    }
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const out: Buffer[] = [];
      try {
        step(chunk, out);
      } catch (error) {
        callback(error instanceof SyntaxError ? malformed(error.message) : (error as Error));
        return;
      }
      callback(null, out.length > 0 ? Buffer.concat(out) : undefined);
    },
    flush(callback: TransformCallback) {
      callback(capture.active ? malformed('it ended inside an event') : null);
    },
  });
}
