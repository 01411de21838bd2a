import { once } from 'node:events';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { ClientResponse } from './proxy-client.js';
import type { Pem } from './test-pki.js';

export interface H2ConnectOptions {
  /** Client certificate; none when absent. */
  readonly identity?: Pem;
  /** The transport to speak HTTP/2 on (e.g. TLS after a PROXY header); default a TLS connection to `base`. */
  readonly createConnection?: () => Duplex;
}

/**
 * One HTTP/2 session to the Proxy over TLS (ALPN `h2`), trusting the host CA; resolves once the
 * connection is up. Session errors are swallowed: tests observe `close`, `goaway` and their streams.
 */
export async function connectH2(
  base: string,
  trust: string,
  options: H2ConnectOptions = {},
): Promise<ClientHttp2Session> {
  const session = connect(base, {
    ca: trust,
    ...(options.identity && { cert: options.identity.cert, key: options.identity.key }),
    ...(options.createConnection && { createConnection: options.createConnection }),
  });
  await once(session, 'connect');
  session.on('error', () => {});
  return session;
}

export interface H2RequestOptions {
  readonly method?: string;
  /** Lower-case names (HTTP/2); an array value is sent as one field per value. */
  readonly headers?: OutgoingHttpHeaders;
  /** Sent as DATA without Content-Length unless the headers carry one. */
  readonly body?: string;
  /** Leave the request open for the test to write its body to `stream`. Default false. */
  readonly streamBody?: boolean;
}

/** Response headers of an HTTP/2 stream, `:status` included. */
export type H2ResponseHeaders = IncomingHttpHeaders & IncomingHttpStatusHeader;

/** A request whose response a test reads as it arrives (a watch), and how its stream ended. */
export interface H2Stream {
  readonly stream: ClientHttp2Stream;
  /** The response headers; rejects when the stream fails before them. */
  readonly response: Promise<H2ResponseHeaders>;
  /** Everything received so far, as UTF-8. */
  text(): string;
  /** Resolves once the body received so far contains `fragment`. */
  received(fragment: string): Promise<void>;
  /** Resolves when the stream closed: whether its response ended cleanly, and its RST_STREAM code. */
  readonly closed: Promise<{ readonly ended: boolean; readonly rstCode: number }>;
}

/** Opens a stream on `session` and follows its response without waiting for its end. */
export function h2Open(session: ClientHttp2Session, path: string, options: H2RequestOptions = {}): H2Stream {
  const stream = session.request({
    ':method': options.method ?? 'GET',
    ':path': path,
    ...options.headers,
  });
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
    for (const waiter of [...waiters]) waiter();
  });
  stream.on('end', () => {
    ended = true;
  });
  // A reset stream errors (ERR_HTTP2_STREAM_ERROR); `closed` reports it through rstCode.
  stream.on('error', () => {});
  const response = new Promise<H2ResponseHeaders>((resolve, reject) => {
    stream.once('response', resolve);
    stream.once('close', () =>
      reject(new Error(`stream closed before its response (code ${stream.rstCode})`)),
    );
  });
  response.catch(() => {});
  const closed = new Promise<{ ended: boolean; rstCode: number }>((resolve) =>
    stream.once('close', () => resolve({ ended, rstCode: stream.rstCode ?? 0 })),
  );
  if (!options.streamBody) stream.end(options.body);
  return {
    stream,
    response,
    text: () => text,
    received: (fragment) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!text.includes(fragment)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    closed,
  };
}

/** One request on `session`, read to its end. */
export async function h2Request(
  session: ClientHttp2Session,
  path: string,
  options: H2RequestOptions = {},
): Promise<ClientResponse & { readonly headers: H2ResponseHeaders }> {
  const opened = h2Open(session, path, options);
  const headers = await opened.response;
  const { ended, rstCode } = await opened.closed;
  if (!ended) throw new Error(`stream ${path} was reset (code ${rstCode}) before its response ended`);
  const text = opened.text();
  return { status: Number(headers[':status']), headers, text, json: () => JSON.parse(text) };
}

// HTTP/2 frame types (RFC 9113 §6).
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7, CONTINUATION: 9 } as const;

export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** One frame on the wire (RFC 9113 §4.1). */
export function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

// HPACK integer with an N-bit prefix (RFC 7541 §5.1).
function hpackInteger(value: number, prefixBits: number, firstByte: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByte | value]);
  const bytes = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

// "Literal Header Field without Indexing — New Name", no Huffman (RFC 7541 §6.2.2): the name goes
// on the wire exactly as given, upper case included, which node's client never allows.
export function hpackLiteral(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0]), hpackInteger(n.length, 7, 0), n, hpackInteger(v.length, 7, 0), v]);
}

/**
 * One hand-made request on a connection of its own (see {@link rawH2Connect}): a HEADERS frame on
 * stream 1 (END_STREAM | END_HEADERS) carrying exactly `fields`. Resolves with the server's frames
 * once it answered stream 1 (HEADERS or RST_STREAM), sent GOAWAY or closed, then closes.
 */
export async function rawH2Request(
  base: string,
  trust: string,
  identity: Pem,
  fields: readonly (readonly [string, string])[],
): Promise<RawFrame[]> {
  const connection = await rawH2Connect(base, trust, identity);
  connection.write(frame(FRAME.HEADERS, 0x1 | 0x4, 1, headerBlock(fields)));
  const ends = (f: RawFrame) =>
    (f.streamId === 1 && (f.type === FRAME.HEADERS || f.type === FRAME.RST_STREAM)) ||
    f.type === FRAME.GOAWAY;
  await connection.waitFor(ends).catch(() => {
    // Closed first: the frames so far are the answer.
  });
  connection.close();
  return connection.frames;
}

/** A header block of literal fields, exactly as given (see {@link hpackLiteral}). */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(fields.map(([name, value]) => hpackLiteral(name, value)));
}

/** An HTTP/2 connection spoken by hand: the test writes frames, the server's frames are collected. */
export interface RawH2Connection {
  /** Every frame the server sent so far. */
  readonly frames: RawFrame[];
  write(...frames: Buffer[]): void;
  /** Resolves with the first received frame (already or later) that matches; rejects when the connection closes first. */
  waitFor(match: (frame: RawFrame) => boolean): Promise<RawFrame>;
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  close(): void;
}

/**
 * Opens a TLS connection with ALPN `h2`, sends the preface and empty SETTINGS, acknowledges the
 * server's SETTINGS, and collects what the server sends. The test writes every other frame itself.
 */
export async function rawH2Connect(base: string, trust: string, identity: Pem): Promise<RawH2Connection> {
  const url = new URL(base);
  const frames: RawFrame[] = [];
  const waiters = new Set<() => void>();
  const socket = tlsConnect({
    host: url.hostname,
    port: Number(url.port),
    ca: trust,
    cert: identity.cert,
    key: identity.key,
    ALPNProtocols: ['h2'],
  });
  socket.on('error', () => {});
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      for (const waiter of [...waiters]) waiter();
      resolve();
    }),
  );
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 9) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.length < 9 + length) break;
      const received: RawFrame = {
        type: buffered[3]!,
        flags: buffered[4]!,
        streamId: buffered.readUInt32BE(5) & 0x7fffffff,
        payload: buffered.subarray(9, 9 + length),
      };
      buffered = buffered.subarray(9 + length);
      frames.push(received);
      if (received.type === FRAME.SETTINGS && (received.flags & 0x1) === 0)
        socket.write(frame(FRAME.SETTINGS, 0x1, 0, Buffer.alloc(0)));
    }
    for (const waiter of [...waiters]) waiter();
  });
  await once(socket, 'secureConnect');
  socket.write(
    Buffer.concat([
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
      frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(0)),
    ]),
  );
  return {
    frames,
    write: (...out) => {
      if (!isClosed) socket.write(Buffer.concat(out));
    },
    waitFor: (match) =>
      new Promise<RawFrame>((resolve, reject) => {
        const check = () => {
          const found = frames.find(match);
          if (found) {
            waiters.delete(check);
            resolve(found);
          } else if (isClosed) {
            waiters.delete(check);
            reject(new Error('the connection closed first'));
          }
        };
        waiters.add(check);
        check();
      }),
    closed,
    close: () => socket.destroy(),
  };
}
