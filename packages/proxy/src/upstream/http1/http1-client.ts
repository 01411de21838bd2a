import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { connect, type SecureContext, type TLSSocket } from 'node:tls';
import { Http1ProtocolError, Http1ResponseParser, type ResponseHeaders } from './response-parser.js';

/** One request as {@link Http1Client.request} sends it. */
export interface Http1Request {
  readonly method: string;
  /** Origin-form target (`/api/v1/…?…`). */
  readonly path: string;
  /**
   * Field names in lower case. With a body, a `content-length` field (one decimal number) frames it;
   * without one the body is sent chunked. Without a body, `content-length` may only be 0. `host`,
   * `connection` and `transfer-encoding` are the client's to write.
   */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** The body, or null for none. */
  readonly body: Readable | null;
}

/** Lets a response's receiver steer the transfer. */
export interface Http1Control {
  /** Stops reading the answer (the API server stalls once the socket buffers are full). */
  pause(): void;
  resume(): void;
  /** Abandons the request: the connection is closed and `onResponseError` gets `reason`. */
  abort(reason: Error): void;
}

/**
 * Receives one answer: `onResponseStart`, then `onResponseData` for each piece, then exactly one of
 * `onResponseEnd` or `onResponseError` (which may also come without a start). A callback that throws
 * fails the request like a broken connection: the connection is closed and `onResponseError` gets
 * the exception; `onResponseEnd` must not throw (the request is over by then).
 */
export interface Http1ResponseHandler {
  onResponseStart(control: Http1Control, status: number, headers: ResponseHeaders, statusText: string): void;
  onResponseData(control: Http1Control, chunk: Buffer): void;
  onResponseEnd(control: Http1Control, trailers: ResponseHeaders): void;
  onResponseError(control: Http1Control, error: Error): void;
}

/** Options for {@link Http1Client}. */
export interface Http1ClientOptions {
  /** `https://host:port` of the API server. */
  readonly origin: string;
  /** The cluster's TLS context (its CA, the Proxy's client certificate), shared by all connections. */
  readonly secureContext: SecureContext;
  /** Name to verify the server certificate against; default the origin's host name. */
  readonly servername?: string;
  /** How long an idle connection is kept for the next request, in ms. Default 30 000. */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Longest silence on a connection with a request in flight, in ms: no byte of the answer, and no
   * byte of the request body written, for this long fails the request. Default 300 000.
   */
  readonly responseTimeoutMs?: number;
  /** How long a connection may take to open (TCP and TLS), in ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Largest response head accepted, in bytes. Default 64 KiB. */
  readonly maxHeadBytes?: number;
}

/** Why a request failed before or while its answer came; `code` tells timeouts from the rest. */
export class Http1ClientError extends Error {
  override readonly name = 'Http1ClientError';
  readonly code:
    | 'UPSTREAM_CONNECT_TIMEOUT'
    | 'UPSTREAM_RESPONSE_TIMEOUT'
    | 'UPSTREAM_CLOSED'
    | 'UPSTREAM_CLIENT_CLOSED'
    | 'UPSTREAM_REQUEST_INVALID';

  constructor(code: Http1ClientError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

// Field values as Node's HTTP server passes them on (and principals encoded as UTF-8 bytes): no
// CR, LF or NUL, and nothing beyond one byte per character.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const TARGET = /^\/[\x21-\x7e]*$/;
const METHOD = /^[A-Z]+$/;
/** A Content-Length as RFC 9110 §8.6 spells it (no sign, hex, exponent or list). */
const DECIMAL = /^\d{1,15}$/;
/** Written by the client itself, never taken from the caller. */
const CLIENT_FIELDS = new Set(['host', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade']);

/** Methods a request may be sent again for when a kept-alive connection turned out closed. */
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Builds the request head, refusing anything that could split it (the attack is a smuggled request). */
function requestHead(request: Http1Request, host: string, chunked: boolean): string {
  if (!METHOD.test(request.method)) throw invalid(`method "${request.method.slice(0, 20)}"`);
  if (!TARGET.test(request.path)) throw invalid('request target');
  // The body is counted against this length with Number(), which also reads `0x10`, `1e1` and the
  // empty string; and a length with no body would have the server read the next request as its body.
  const length = request.headers['content-length'];
  if (
    length !== undefined &&
    (typeof length !== 'string' || !DECIMAL.test(length) || (request.body === null && Number(length) !== 0))
  )
    throw invalid('content-length');
  let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  const headers = request.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (!FIELD_NAME.test(name) || CLIENT_FIELDS.has(name))
      throw invalid(`header name "${name.slice(0, 40)}"`);
    if (typeof value === 'string') {
      if (!FIELD_VALUE.test(value)) throw invalid(`value of header "${name}"`);
      head += `${name}: ${value}\r\n`;
    } else {
      for (const one of value) {
        if (!FIELD_VALUE.test(one)) throw invalid(`value of header "${name}"`);
        head += `${name}: ${one}\r\n`;
      }
    }
  }
  if (chunked) head += 'transfer-encoding: chunked\r\n';
  return `${head}\r\n`;
}

function invalid(what: string): Http1ClientError {
  return new Http1ClientError(
    'UPSTREAM_REQUEST_INVALID',
    `refused to send a request with a malformed ${what}`,
  );
}

/**
 * The Proxy's HTTP/1.1 client for ordinary requests to one API server: keep-alive TLS connections,
 * one request at a time on each (no pipelining), as many connections as requests in flight, idle
 * ones reused last-in first-out and closed after `keepAliveTimeoutMs`.
 *
 * It exists for cost: per small request it spends about half of what undici's `Pool` does (see
 * `bench/README.md`). Responses are read by {@link Http1ResponseParser}, which refuses every framing
 * ambiguity; a connection is reused only after an answer that ended exactly where its framing said,
 * with the request body fully sent and nothing after it.
 */
export class Http1Client {
  readonly #host: string;
  readonly #port: number;
  readonly #hostField: string;
  readonly #servername: string | undefined;
  readonly #secureContext: SecureContext;
  readonly #keepAliveTimeoutMs: number;
  readonly #responseTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #maxHeadBytes: number;
  readonly #idle: Http1Connection[] = [];
  readonly #all = new Set<Http1Connection>();
  #closing: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: Http1ClientOptions) {
    const url = new URL(options.origin);
    if (url.protocol !== 'https:') throw new TypeError('Http1Client speaks to https origins only');
    this.#host = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = url.port === '' ? 443 : Number(url.port);
    this.#hostField = url.host;
    this.#servername = options.servername ?? (isIP(this.#host) ? undefined : this.#host);
    this.#secureContext = options.secureContext;
    this.#keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 30_000;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? 300_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#maxHeadBytes = options.maxHeadBytes ?? 64 * 1024;
  }

  /** Connections open now, idle or busy (for tests and metrics). */
  get connectionCount(): number {
    return this.#all.size;
  }

  /**
   * Sends `request` and reports its answer to `handler`. Throws {@link Http1ClientError} at once,
   * before anything is sent, for a request that cannot be written safely.
   */
  request(request: Http1Request, handler: Http1ResponseHandler): Http1Control {
    const chunked = request.body !== null && request.headers['content-length'] === undefined;
    const head = requestHead(request, this.#hostField, chunked);
    const exchange = new Http1Exchange(request, head, chunked, handler);
    if (this.#closed) {
      queueMicrotask(() =>
        exchange.fail(new Http1ClientError('UPSTREAM_CLIENT_CLOSED', 'the upstream client is closed')),
      );
      return exchange;
    }
    this.dispatch(exchange, true);
    return exchange;
  }

  /** Puts `exchange` on an idle connection, or a new one. `mayReuse` is false for a retry. */
  dispatch(exchange: Http1Exchange, mayReuse: boolean): void {
    if (mayReuse) {
      let connection = this.#idle.pop();
      while (connection && !connection.usable) {
        connection.destroy();
        connection = this.#idle.pop();
      }
      if (connection) {
        connection.start(exchange);
        return;
      }
    }
    const socket = connect({
      host: this.#host,
      port: this.#port,
      secureContext: this.#secureContext,
      ...(this.#servername !== undefined && { servername: this.#servername }),
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: true,
    });
    const connection = new Http1Connection(this, socket, this.#maxHeadBytes);
    this.#all.add(connection);
    connection.connect(exchange, this.#connectTimeoutMs);
  }

  /** Called by a connection whose request finished cleanly and may carry another. */
  release(connection: Http1Connection): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    connection.idle(this.#keepAliveTimeoutMs);
    this.#idle.push(connection);
  }

  /** Called by a connection once its socket is gone. */
  forget(connection: Http1Connection): void {
    this.#all.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    if (this.#closing && this.#all.size === 0) this.#closing();
  }

  get responseTimeoutMs(): number {
    return this.#responseTimeoutMs;
  }

  /** Stops taking requests, lets those in flight finish, then closes every connection. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closed = new Promise<void>((resolve) => {
      this.#closing = resolve;
    });
    for (const connection of this.#idle.splice(0)) connection.destroy();
    if (this.#all.size === 0) this.#closing?.();
    return this.#closed;
  }

  /** Closes every connection now; requests in flight fail. Idempotent. */
  destroy(): Promise<void> {
    const closed = this.close();
    for (const connection of [...this.#all])
      connection.destroy(new Http1ClientError('UPSTREAM_CLIENT_CLOSED', 'the upstream client was destroyed'));
    return closed;
  }
}

/** One request and its answer; the handler's {@link Http1Control}. */
class Http1Exchange implements Http1Control {
  readonly request: Http1Request;
  readonly head: string;
  readonly chunked: boolean;
  readonly handler: Http1ResponseHandler;
  connection: Http1Connection | undefined;
  /** The request body has been written completely. */
  sent = false;
  finished = false;
  retried = false;
  /** Takes this exchange's listeners off the request body (set while the body is being written). */
  #detachBody: (() => void) | undefined;

  constructor(request: Http1Request, head: string, chunked: boolean, handler: Http1ResponseHandler) {
    this.request = request;
    this.head = head;
    this.chunked = chunked;
    this.handler = handler;
  }

  pause(): void {
    if (!this.finished) this.connection?.socket.pause();
  }

  resume(): void {
    if (!this.finished) this.connection?.socket.resume();
  }

  abort(reason: Error): void {
    if (this.finished) return;
    const connection = this.connection;
    this.fail(reason);
    connection?.destroy();
  }

  /** Ends the exchange with `error` (once). */
  fail(error: Error): void {
    if (this.#finish()) this.handler.onResponseError(this, error);
  }

  /** Ends the exchange with its answer complete (once). */
  complete(trailers: ResponseHeaders): void {
    if (this.#finish()) this.handler.onResponseEnd(this, trailers);
  }

  /** Marks the exchange over and lets go of the connection and the body; false if it already was. */
  #finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    this.connection = undefined;
    this.#detachBody?.();
    return true;
  }

  /** Whether a failure before any answer byte may be retried on a fresh connection. */
  retryable(): boolean {
    return !this.retried && this.request.body === null && RETRYABLE.has(this.request.method);
  }

  /** Writes the head and the body to `socket`, with backpressure from the socket to the body. */
  write(socket: TLSSocket): void {
    const body = this.request.body;
    if (body === null) {
      socket.write(this.head, 'latin1');
      this.sent = true;
      return;
    }
    socket.write(this.head, 'latin1');
    const expected = this.chunked ? -1 : Number(this.request.headers['content-length']);
    let written = 0;
    const onError = (error: Error) => this.abort(new Error('the request body failed', { cause: error }));
    const onDrain = () => body.resume();
    const onData = (chunk: Buffer | string) => {
      if (this.connection === undefined) return;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (bytes.length === 0) return;
      written += bytes.length;
      if (expected >= 0 && written > expected) {
        this.abort(
          new Http1ClientError(
            'UPSTREAM_REQUEST_INVALID',
            'the request body is longer than its Content-Length',
          ),
        );
        return;
      }
      let flushed: boolean;
      if (this.chunked) {
        socket.cork();
        socket.write(`${bytes.length.toString(16)}\r\n`, 'latin1');
        socket.write(bytes);
        flushed = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else flushed = socket.write(bytes);
      if (!flushed) {
        body.pause();
        socket.once('drain', onDrain);
      }
    };
    const onEnd = () => {
      this.#detachBody?.();
      if (this.connection === undefined) return;
      if (expected >= 0 && written !== expected) {
        this.abort(
          new Http1ClientError(
            'UPSTREAM_REQUEST_INVALID',
            'the request body is shorter than its Content-Length',
          ),
        );
        return;
      }
      if (this.chunked) socket.write('0\r\n\r\n', 'latin1');
      this.sent = true;
    };
    // Once the exchange is over (answered early, aborted, failed) the body is no longer relayed;
    // a body paused for backpressure stays paused, and Node's server discards what is left of it.
    this.#detachBody = () => {
      this.#detachBody = undefined;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      socket.off('drain', onDrain);
    };
    body.on('error', onError);
    body.on('data', onData);
    body.on('end', onEnd);
  }
}

/** One TLS connection to the API server and the parser of its answers. */
class Http1Connection {
  readonly socket: TLSSocket;
  readonly #client: Http1Client;
  readonly #parser: Http1ResponseParser;
  #exchange: Http1Exchange | undefined;
  /** Requests answered on this connection. */
  #served = 0;
  #keepAliveAfter = true;
  #connected = false;
  #gone = false;

  constructor(client: Http1Client, socket: TLSSocket, maxHeadBytes: number) {
    this.#client = client;
    this.socket = socket;
    this.#parser = new Http1ResponseParser(
      {
        onHead: (status, statusText, headers) => {
          const exchange = this.#exchange;
          if (exchange) exchange.handler.onResponseStart(exchange, status, headers, statusText);
        },
        onBody: (chunk) => {
          const exchange = this.#exchange;
          if (exchange) exchange.handler.onResponseData(exchange, chunk);
        },
        onEnd: (trailers) => this.#onResponseEnd(trailers),
      },
      maxHeadBytes,
    );
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('timeout', this.#onTimeout);
  }

  /** Whether the connection may take a request. */
  get usable(): boolean {
    return (
      !this.#gone &&
      this.#connected &&
      this.#exchange === undefined &&
      !this.socket.destroyed &&
      this.socket.writable
    );
  }

  connect(exchange: Http1Exchange, timeoutMs: number): void {
    this.#exchange = exchange;
    exchange.connection = this;
    this.socket.setTimeout(timeoutMs);
    this.socket.once('secureConnect', () => {
      this.#connected = true;
      const current = this.#exchange;
      if (current === undefined || current.finished) {
        this.#exchange = undefined;
        this.destroy();
        return;
      }
      this.#begin(current);
    });
  }

  /** Takes `exchange` on this idle, connected connection. */
  start(exchange: Http1Exchange): void {
    this.socket.ref();
    this.#exchange = exchange;
    exchange.connection = this;
    this.#begin(exchange);
  }

  #begin(exchange: Http1Exchange): void {
    this.#keepAliveAfter = true;
    this.#parser.expect(exchange.request.method);
    this.socket.setTimeout(this.#client.responseTimeoutMs);
    exchange.write(this.socket);
  }

  idle(keepAliveTimeoutMs: number): void {
    this.socket.setTimeout(keepAliveTimeoutMs);
    this.socket.unref();
    // The answer may have ended while its receiver had paused it (a relay pauses on a full client
    // socket and resumes on 'drain', after the end): an idle connection reads, to see the server's
    // close or unasked bytes, and its next answer.
    this.socket.resume();
  }

  destroy(error?: Error): void {
    if (this.#gone) return;
    this.#gone = true;
    const exchange = this.#exchange;
    this.#exchange = undefined;
    this.#parser.reset();
    this.socket.destroy();
    this.#client.forget(this);
    if (exchange && !exchange.finished)
      exchange.fail(error ?? new Http1ClientError('UPSTREAM_CLOSED', 'the upstream connection was closed'));
  }

  #onResponseEnd(trailers: ResponseHeaders): void {
    const exchange = this.#exchange;
    this.#exchange = undefined;
    this.#served++;
    if (exchange) {
      // An answer that came before the whole body went out leaves the body's framing unfinished.
      if (!exchange.sent) this.#keepAliveAfter = false;
      exchange.complete(trailers);
    }
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#exchange === undefined) {
      // Bytes nobody asked for: an answer to no request is how a desync starts.
      this.destroy();
      return;
    }
    let extra: number;
    try {
      extra = this.#parser.push(chunk);
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    // A handler may have abandoned the request (and so this connection) from a callback.
    if (this.#gone || !this.#parser.done) return;
    if (extra > 0 || !this.#parser.keepAlive || !this.#keepAliveAfter || this.#exchange !== undefined) {
      this.destroy();
      return;
    }
    this.#client.release(this);
  };

  readonly #onEnd = (): void => {
    if (this.#exchange !== undefined && !this.#parser.end()) {
      this.#failOrRetry(
        new Http1ClientError(
          'UPSTREAM_CLOSED',
          this.#parser.started
            ? 'the API server closed the connection before its answer was complete'
            : 'the API server closed the connection without answering',
        ),
      );
      return;
    }
    this.destroy();
  };

  readonly #onError = (error: Error): void => {
    this.#failOrRetry(error);
  };

  readonly #onClose = (): void => {
    this.#failOrRetry(new Http1ClientError('UPSTREAM_CLOSED', 'the upstream connection was closed'));
  };

  readonly #onTimeout = (): void => {
    if (this.#exchange === undefined) {
      this.destroy();
      return;
    }
    const code = this.#connected ? 'UPSTREAM_RESPONSE_TIMEOUT' : 'UPSTREAM_CONNECT_TIMEOUT';
    const message = this.#connected
      ? 'the API server sent nothing for too long'
      : 'the connection to the API server took too long to open';
    this.destroy(new Http1ClientError(code, message));
  };

  /**
   * A kept-alive connection may have been closed by the server just as a request went out: a
   * request with no body and no side effects, to which no byte was answered, goes again once on a
   * new connection. Everything else fails.
   */
  #failOrRetry(error: Error): void {
    const exchange = this.#exchange;
    if (
      exchange &&
      !exchange.finished &&
      this.#served > 0 &&
      !(error instanceof Http1ProtocolError) &&
      !this.#parser.started &&
      exchange.retryable()
    ) {
      this.#exchange = undefined;
      exchange.connection = undefined;
      exchange.retried = true;
      // The new connection first, so that a close() in progress does not see none left and finish.
      this.#client.dispatch(exchange, false);
      this.destroy();
      return;
    }
    this.destroy(error);
  }
}
