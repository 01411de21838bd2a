import { Transform, type TransformCallback } from 'node:stream';
import { type ObjectFilter, RemotelerError } from '@remoteler/core';
import { mayShow, mayShowRow } from './filterable-object.js';
import { isJsonWhitespace, JsonValueCapture } from './json-value-capture.js';

/** Options for {@link createListFilter}. */
export interface ListFilterOptions {
  /** The per-object predicate from the policy engine (`AccessChecker.objectFilter`). */
  readonly filter: ObjectFilter;
  /**
   * The largest single list item, Table row or other top-level member held in memory, in bytes.
   * Default 16 MiB (etcd refuses objects over 1.5 MiB by default, so real items are far smaller).
   */
  readonly maxObjectBytes?: number;
}

/** Default for {@link ListFilterOptions.maxObjectBytes}: 16 MiB. */
export const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024;

type State =
  | 'before-object'
  | 'before-key'
  | 'key'
  | 'after-key'
  | 'before-value'
  | 'value'
  | 'after-value'
  | 'before-first-element'
  | 'before-element'
  | 'element'
  | 'after-element'
  | 'done';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;

function malformed(what: string): RemotelerError {
  return new RemotelerError(
    'RMT_PROXY_FILTER_RESPONSE_INVALID',
    `the API server's list answer is not the JSON object the Proxy can filter (${what})`,
  );
}

/**
 * Filters a JSON list (`items`) or Table (`rows`) answer object by object as it streams through,
 * without holding the whole answer: memory is bounded by one item (or one other top-level member,
 * like `metadata` or `columnDefinitions`) at a time. Items pass byte for byte; hidden ones are left
 * out. `metadata.continue` passes unchanged so paging keeps working, and
 * `metadata.remainingItemCount` is dropped because it counts hidden objects too.
 */
export function createListFilter(options: ListFilterOptions): Transform {
  const { filter } = options;
  const capture = new JsonValueCapture(options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES);
  let state: State = 'before-object';
  let key = '';
  let arrayKey: 'items' | 'rows' | undefined;
  let firstMember = true;
  let firstElement = true;

  function onMember(value: Buffer, out: Buffer[]): void {
    let text = value.toString('utf8');
    if (key === 'metadata') {
      const metadata = JSON.parse(text);
      if (metadata && typeof metadata === 'object') delete metadata.remainingItemCount;
      text = JSON.stringify(metadata);
    }
    out.push(Buffer.from(`${firstMember ? '' : ','}${JSON.stringify(key)}:${text}`));
    firstMember = false;
  }

  function onElement(value: Buffer, out: Buffer[]): void {
    const parsed = JSON.parse(value.toString('utf8'));
    const show = arrayKey === 'rows' ? mayShowRow(filter, parsed) : mayShow(filter, parsed);
    if (!show) return;
    if (!firstElement) out.push(Buffer.from(','));
    out.push(value);
    firstElement = false;
  }

  function step(chunk: Buffer, out: Buffer[]): void {
    let i = 0;
    while (i < chunk.length) {
      if (state === 'key' || state === 'value' || state === 'element') {
        const end = capture.feed(chunk, i);
        if (end < 0) return;
        i = end;
        const value = capture.take();
        if (state === 'key') {
          key = JSON.parse(value.toString('utf8'));
          state = 'after-key';
        } else if (state === 'value') {
          onMember(value, out);
          state = 'after-value';
        } else {
          onElement(value, out);
          state = 'after-element';
        }
        continue;
      }
      const c = chunk[i]!;
      if (isJsonWhitespace(c)) {
        i++;
        continue;
      }
      switch (state) {
        case 'before-object':
          if (c !== OPEN_BRACE) throw malformed('it is not an object');
          out.push(Buffer.from('{'));
          state = 'before-key';
          i++;
          break;
        case 'before-key':
          if (c === CLOSE_BRACE && firstMember) {
            out.push(Buffer.from('}'));
            state = 'done';
            i++;
          } else if (c === QUOTE) state = 'key';
          else throw malformed('expected a member name');
          break;
        case 'after-key':
          if (c !== COLON) throw malformed('expected ":"');
          state = 'before-value';
          i++;
          break;
        case 'before-value':
          if ((key === 'items' || key === 'rows') && c === OPEN_BRACKET) {
            arrayKey = key;
            out.push(Buffer.from(`${firstMember ? '' : ','}${JSON.stringify(key)}:[`));
            firstMember = false;
            firstElement = true;
            state = 'before-first-element';
            i++;
          } else state = 'value';
          break;
        case 'after-value':
          if (c === COMMA) state = 'before-key';
          else if (c === CLOSE_BRACE) {
            out.push(Buffer.from('}'));
            state = 'done';
          } else throw malformed('expected "," or "}"');
          i++;
          break;
        case 'before-first-element':
          if (c === CLOSE_BRACKET) {
            out.push(Buffer.from(']'));
            state = 'after-value';
            i++;
          } else state = 'element';
          break;
        case 'before-element':
          state = 'element';
          break;
        case 'after-element':
          if (c === COMMA) state = 'before-element';
          else if (c === CLOSE_BRACKET) {
            out.push(Buffer.from(']'));
            state = 'after-value';
          } else throw malformed('expected "," or "]"');
          i++;
          break;
        case 'done':
          throw malformed('data after the end of the object');
      }
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
      callback(state === 'done' ? null : malformed('it ended early'));
    },
  });
}
