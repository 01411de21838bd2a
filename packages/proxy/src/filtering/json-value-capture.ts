import { RemotelerError } from '@remoteler/core';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** Whether a byte is JSON insignificant whitespace (RFC 8259 §2). */
export function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Collects the bytes of one JSON value that may arrive split over many chunks, and says where it
 * ends. It works on bytes, not characters: every structural character of JSON is ASCII and UTF-8
 * never uses ASCII bytes inside a multi-byte sequence (RFC 3629 §3), so a chunk boundary inside a
 * character cannot confuse it. Memory is bounded by `maxBytes` (one value), never by the stream.
 */
export class JsonValueCapture {
  readonly #maxBytes: number;
  #parts: Buffer[] = [];
  #size = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #started = false;
  #scalar = false;

  /** @param maxBytes the largest value accepted, in bytes; a larger one is `RMT_PROXY_FILTER_RESPONSE_INVALID`. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Whether a value is being collected. */
  get active(): boolean {
    return this.#started;
  }

  /**
   * Consumes bytes of the value from `chunk[start..]`. Returns the index just past the value's
   * last byte (the value is then ready in {@link take}), or -1 when it continues in the next chunk.
   * A scalar (number, `true`…) ends at the delimiter that follows it, which is not consumed.
   */
  feed(chunk: Buffer, start: number): number {
    for (let i = start; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === BACKSLASH) this.#escaped = true;
        else if (c === QUOTE) {
          this.#inString = false;
          if (this.#depth === 0) return this.#end(chunk, start, i + 1);
        }
        continue;
      }
      if (!this.#started) {
        this.#started = true;
        if (c === QUOTE) this.#inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.#depth = 1;
        else this.#scalar = true;
        continue;
      }
      if (this.#scalar) {
        if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isJsonWhitespace(c))
          return this.#end(chunk, start, i);
        continue;
      }
      if (c === QUOTE) this.#inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.#depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.#depth--;
        if (this.#depth === 0) return this.#end(chunk, start, i + 1);
      }
    }
    this.#append(chunk.subarray(start));
    return -1;
  }

  /** The collected value's bytes; resets the capture for the next value. */
  take(): Buffer {
    const value = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    this.#started = false;
    this.#scalar = false;
    return value;
  }

  #end(chunk: Buffer, start: number, end: number): number {
    this.#append(chunk.subarray(start, end));
    return end;
  }

  #append(part: Buffer): void {
    if (part.length === 0) return;
    this.#size += part.length;
    if (this.#size > this.#maxBytes)
      throw new RemotelerError(
        'RMT_PROXY_FILTER_RESPONSE_INVALID',
        `one object of the API server's answer is larger than ${this.#maxBytes} bytes, the most the Proxy holds in memory to filter it`,
      );
    // Copy: the chunk's memory may be reused by the stream that produced it.
    this.#parts.push(Buffer.from(part));
  }
}
