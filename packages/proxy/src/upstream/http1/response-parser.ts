/**
 * A strict parser for HTTP/1.1 responses from an API server (RFC 9112), for the Proxy's own
 * upstream client. It accepts what a conforming server sends and refuses every framing ambiguity a
 * desync attack needs: both `Transfer-Encoding` and `Content-Length`, differing or malformed
 * `Content-Length` values, a transfer coding other than `chunked`, obsolete line folding, bare CR
 * or LF, NUL, and heads or chunk lines over their caps. A refusal is an {@link Http1ProtocolError};
 * the connection it came from must not be used again.
 */

/** Why an API server's answer was refused; the connection is not reused. */
export class Http1ProtocolError extends Error {
  override readonly name = 'Http1ProtocolError';
  readonly code = 'UPSTREAM_HTTP1_PROTOCOL';
}

/** Response header fields as names in lower case; repeated fields as arrays, in order. */
export type ResponseHeaders = Record<string, string | string[]>;

/** What the parser reports, in order: one head, body pieces, one end. */
export interface ResponseParserEvents {
  onHead(status: number, statusText: string, headers: ResponseHeaders): void;
  onBody(chunk: Buffer): void;
  onEnd(trailers: ResponseHeaders): void;
}

/** How a response's body ends (RFC 9112 §6.3). */
type Framing = 'none' | 'length' | 'chunked' | 'close';

/** Where the parser is within one response. */
enum State {
  /** No response expected (between requests). */
  Idle = 0,
  Head = 1,
  Body = 2,
  ChunkSize = 3,
  ChunkData = 4,
  ChunkDataEnd = 5,
  Trailers = 6,
  Done = 7,
}

const CR = 13;
const LF = 10;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, space and tab; no CR, LF or NUL (RFC 9110 §5.5).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// The reason phrase, when present, follows a space: `HTTP/1.1 2000` is no status 200.
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const DIGITS = /^\d{1,15}$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})[\t ]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;

/** Longest chunk-size line (with extensions) or trailer section accepted. */
const MAX_CHUNK_LINE_BYTES = 4096;

/**
 * Strips optional whitespace (SP and HTAB only, RFC 9110 §5.6.3). Not `String.prototype.trim`, which
 * also strips CR, LF, VT, FF and U+00A0 (latin1 0xA0): a value ending in a bare CR or LF would pass,
 * and `Content-Length: 5<0xA0>` would read as 5 where a stricter peer refuses it.
 */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Parses the responses of one connection, one after another: {@link expect} before each request,
 * {@link push} with every chunk read, {@link end} when the server closed its side.
 */
export class Http1ResponseParser {
  readonly #maxHeadBytes: number;
  readonly #events: ResponseParserEvents;
  #state = State.Idle;
  #headRequest = false;
  #framing: Framing = 'none';
  /** Body bytes (or bytes of the current chunk) still to come. */
  #remaining = 0;
  /** Bytes of an unfinished head, chunk line or trailer section. */
  #partial: Buffer | null = null;
  #keepAlive = true;
  #trailerBytes = 0;
  #trailers: ResponseHeaders = {};
  /** A byte of the expected response arrived (an informational answer counts). */
  #received = false;

  constructor(events: ResponseParserEvents, maxHeadBytes: number) {
    this.#events = events;
    this.#maxHeadBytes = maxHeadBytes;
  }

  /** Whether the last complete response lets the connection carry another request. */
  get keepAlive(): boolean {
    return this.#keepAlive;
  }

  /** Whether the expected response has been read to its end. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Whether any byte of the expected response has arrived. */
  get started(): boolean {
    return this.#received;
  }

  /** Prepares for the answer to a request with `method` (a HEAD answer has no body). */
  expect(method: string): void {
    this.#state = State.Head;
    this.#headRequest = method === 'HEAD';
    this.#partial = null;
    this.#keepAlive = true;
    this.#trailers = {};
    this.#trailerBytes = 0;
    this.#received = false;
  }

  /**
   * Consumes `chunk`. Returns the number of bytes that followed the end of the response in it
   * (a server must not send them; the caller drops the connection). Throws {@link Http1ProtocolError}.
   */
  push(chunk: Buffer): number {
    if (chunk.length > 0 && this.#state !== State.Idle) this.#received = true;
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.#state) {
        case State.Idle:
        case State.Done:
          return chunk.length - offset;
        case State.Head:
          offset = this.#readHead(chunk, offset);
          break;
        case State.Body: {
          const available = chunk.length - offset;
          if (this.#framing === 'close') {
            this.#events.onBody(offset === 0 ? chunk : chunk.subarray(offset));
            return 0;
          }
          const take = Math.min(available, this.#remaining);
          this.#remaining -= take;
          this.#events.onBody(
            offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take),
          );
          offset += take;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case State.ChunkSize:
          offset = this.#readChunkSize(chunk, offset);
          break;
        case State.ChunkData: {
          const available = chunk.length - offset;
          const take = Math.min(available, this.#remaining);
          this.#remaining -= take;
          this.#events.onBody(chunk.subarray(offset, offset + take));
          offset += take;
          if (this.#remaining === 0) this.#state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkDataEnd:
          offset = this.#readChunkDataEnd(chunk, offset);
          break;
        case State.Trailers:
          offset = this.#readTrailers(chunk, offset);
          break;
      }
    }
    return 0;
  }

  /**
   * The server closed its side. Completes a body that runs to the close. Returns false when the
   * expected response was cut short (or never began): a broken connection, not a framing fault.
   */
  end(): boolean {
    if (this.#state === State.Body && this.#framing === 'close') {
      this.#finish();
      return true;
    }
    return this.#state === State.Idle || this.#state === State.Done;
  }

  #finish(): void {
    this.#state = State.Done;
    this.#partial = null;
    this.#events.onEnd(this.#trailers);
  }

  /** Joins an unfinished line with the new chunk, enforcing `cap` on what is kept. */
  #withPartial(chunk: Buffer, offset: number): Buffer {
    const rest = offset === 0 ? chunk : chunk.subarray(offset);
    if (this.#partial === null) return rest;
    const joined = Buffer.concat([this.#partial, rest]);
    this.#partial = null;
    return joined;
  }

  #readHead(chunk: Buffer, offset: number): number {
    const partialLength = this.#partial?.length ?? 0;
    const data = this.#withPartial(chunk, offset);
    // Search from a little before the old end: the terminator may straddle the two pieces.
    const end = data.indexOf('\r\n\r\n', partialLength > 3 ? partialLength - 3 : 0, 'latin1');
    if (end < 0) {
      if (data.length > this.#maxHeadBytes)
        throw new Http1ProtocolError(`the API server's response head exceeds ${this.#maxHeadBytes} bytes`);
      this.#partial = Buffer.from(data);
      return chunk.length;
    }
    if (end + 4 > this.#maxHeadBytes)
      throw new Http1ProtocolError(`the API server's response head exceeds ${this.#maxHeadBytes} bytes`);
    const consumedOfChunk = end + 4 - partialLength;
    this.#parseHead(data.toString('latin1', 0, end));
    return offset + consumedOfChunk;
  }

  #parseHead(text: string): void {
    const lines = text.split('\r\n');
    const statusMatch = STATUS_LINE.exec(lines[0] as string);
    if (!statusMatch) throw new Http1ProtocolError('the API server sent a malformed status line');
    const http10 = statusMatch[1] === '0';
    const status = Number(statusMatch[2]);
    const headers: ResponseHeaders = {};
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let connection: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      // No name, a name with whitespace (including obs-fold continuation lines), or bare CR/LF.
      if (colon <= 0) throw new Http1ProtocolError('the API server sent a malformed header line');
      const name = line.slice(0, colon);
      if (!TOKEN.test(name)) throw new Http1ProtocolError('the API server sent a malformed header name');
      const value = trimOws(line.slice(colon + 1));
      if (!FIELD_VALUE.test(value))
        throw new Http1ProtocolError(`the API server sent a forbidden character in header "${name}"`);
      const key = name.toLowerCase();
      if (key === 'content-length') {
        for (const part of value.split(',')) {
          const length = trimOws(part);
          if (!DIGITS.test(length))
            throw new Http1ProtocolError('the API server sent a malformed Content-Length');
          if (contentLength !== undefined && contentLength !== length)
            throw new Http1ProtocolError('the API server sent differing Content-Length values');
          contentLength = length;
        }
        // Passed on as the one value it stands for.
        headers[key] = contentLength as string;
        continue;
      } else if (key === 'transfer-encoding') {
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      } else if (key === 'connection') {
        connection = connection === undefined ? value : `${connection}, ${value}`;
      }
      const existing = headers[key];
      if (existing === undefined) headers[key] = value;
      else if (typeof existing === 'string') headers[key] = [existing, value];
      else existing.push(value);
    }

    // Informational answers (100 Continue, 103 Early Hints) precede the real one; 101 would switch
    // protocols, which an ordinary request never asks for.
    if (status < 200) {
      if (status === 101) throw new Http1ProtocolError('the API server switched protocols unasked');
      return;
    }

    const tokens = connection?.toLowerCase() ?? '';
    this.#keepAlive = http10
      ? /(?:^|[\s,])keep-alive(?:$|[\s,])/.test(tokens)
      : !/(?:^|[\s,])close(?:$|[\s,])/.test(tokens);

    if (transferEncoding !== undefined) {
      if (contentLength !== undefined)
        throw new Http1ProtocolError('the API server sent both Transfer-Encoding and Content-Length');
      if (http10) throw new Http1ProtocolError('the API server sent Transfer-Encoding in an HTTP/1.0 answer');
      // Only `chunked` alone is accepted: Kubernetes sends nothing else, and any other coding
      // would leave the body's end to guesswork.
      if (transferEncoding.toLowerCase() !== 'chunked')
        throw new Http1ProtocolError(
          `the API server sent an unsupported Transfer-Encoding "${transferEncoding}"`,
        );
    }

    this.#events.onHead(status, statusMatch[3] ?? '', headers);
    if (this.#state === State.Idle) return; // the receiver abandoned the response in onHead

    if (this.#headRequest || status === 204 || status === 304) {
      this.#framing = 'none';
      this.#finish();
    } else if (transferEncoding !== undefined) {
      this.#framing = 'chunked';
      this.#state = State.ChunkSize;
    } else if (contentLength !== undefined) {
      this.#framing = 'length';
      this.#remaining = Number(contentLength);
      if (this.#remaining === 0) this.#finish();
      else this.#state = State.Body;
    } else {
      this.#framing = 'close';
      this.#keepAlive = false;
      this.#state = State.Body;
    }
  }

  /** Reads one CRLF-terminated line from `partial + chunk[offset…]`, or keeps it for later. */
  #readLine(chunk: Buffer, offset: number): { line: string; next: number } | undefined {
    const partialLength = this.#partial?.length ?? 0;
    const data = this.#withPartial(chunk, offset);
    const lf = data.indexOf(LF, partialLength > 0 ? partialLength - 1 : 0);
    if (lf < 0) {
      if (data.length > MAX_CHUNK_LINE_BYTES)
        throw new Http1ProtocolError('the API server sent an overlong chunk line');
      this.#partial = Buffer.from(data);
      return undefined;
    }
    if (lf === 0 || data[lf - 1] !== CR)
      throw new Http1ProtocolError('the API server sent a bare line feed in a chunked body');
    if (lf > MAX_CHUNK_LINE_BYTES) throw new Http1ProtocolError('the API server sent an overlong chunk line');
    const line = data.toString('latin1', 0, lf - 1);
    if (line.includes('\r')) throw new Http1ProtocolError('the API server sent a bare carriage return');
    return { line, next: offset + lf + 1 - partialLength };
  }

  #readChunkSize(chunk: Buffer, offset: number): number {
    const read = this.#readLine(chunk, offset);
    if (!read) return chunk.length;
    const match = CHUNK_SIZE.exec(read.line);
    if (!match) throw new Http1ProtocolError('the API server sent a malformed chunk size');
    const size = Number.parseInt(match[1] as string, 16);
    if (size === 0) {
      this.#state = State.Trailers;
    } else {
      this.#remaining = size;
      this.#state = State.ChunkData;
    }
    return read.next;
  }

  #readChunkDataEnd(chunk: Buffer, offset: number): number {
    const read = this.#readLine(chunk, offset);
    if (!read) return chunk.length;
    if (read.line !== '') throw new Http1ProtocolError('the API server sent a chunk longer than its size');
    this.#state = State.ChunkSize;
    return read.next;
  }

  #readTrailers(chunk: Buffer, offset: number): number {
    const read = this.#readLine(chunk, offset);
    if (!read) return chunk.length;
    if (read.line === '') {
      this.#finish();
      return read.next;
    }
    this.#trailerBytes += read.line.length + 2;
    if (this.#trailerBytes > MAX_CHUNK_LINE_BYTES)
      throw new Http1ProtocolError('the API server sent an overlong trailer section');
    const colon = read.line.indexOf(':');
    const name = colon > 0 ? read.line.slice(0, colon) : '';
    const value = trimOws(read.line.slice(colon + 1));
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value))
      throw new Http1ProtocolError('the API server sent a malformed trailer field');
    const key = name.toLowerCase();
    const existing = this.#trailers[key];
    if (existing === undefined) this.#trailers[key] = value;
    else if (typeof existing === 'string') this.#trailers[key] = [existing, value];
    else existing.push(value);
    return read.next;
  }

  /** Forgets the response in progress (the request was abandoned; the connection is dropped). */
  reset(): void {
    this.#state = State.Idle;
    this.#partial = null;
  }
}
