import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';
import type { Dispatcher, Pool } from 'undici';
import { type UpstreamTls, upstreamSecureContext } from './resolve-upstream.js';

/** One request as the forward step sends it (the subset of undici's `request()` options it uses). */
export interface StreamingRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: Readable | string | null;
  readonly signal?: AbortSignal;
}

/** The answer: status, headers (no pseudo-headers) and the body as a stream. */
export interface StreamingResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Readable;
}

/** What the forward step needs of the dispatcher for long-running requests (watches, `logs -f`). */
export interface StreamingRequester {
  request(request: StreamingRequest): Promise<StreamingResponse>;
  /** Lets open streams finish, then closes. */
  close(): Promise<void>;
  /** Cuts everything now. */
  destroy(): Promise<void>;
}

/** Options for {@link Http2StreamingClient}. */
export interface Http2StreamingClientOptions {
  readonly origin: string;
  readonly tls: UpstreamTls;
  /** The TLS context made from `tls` (the cluster's shared one); made here from `tls` when absent. */
  readonly secureContext?: tls.SecureContext;
  /** Used when the API server does not offer `h2` in ALPN (and for anything HTTP/2 cannot carry). */
  readonly fallback: StreamingRequester;
  /** A session with no open stream is closed after this long, in ms. Default 30 000. */
  readonly idleTimeoutMs?: number;
}

// Connection-specific fields are forbidden in HTTP/2 (RFC 9113 §8.2.2); `host` becomes `:authority`.
const NOT_IN_H2 = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'te',
]);

interface SessionEntry {
  readonly session: ClientHttp2Session;
  open: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * Long-running requests to one API server over HTTP/2, so that many watches share a few TLS
 * connections instead of one each (kube-apiserver offers `h2` and allows 1,000 streams per
 * connection by default). node:http2 rather than undici: undici 7's HTTP/2 client joins repeated
 * request headers into one field, and the API server reads each `Impersonate-Group` field line as
 * one group (k8s-protocols §10.1); node:http2 sends one field per array value. The first request
 * learns from ALPN whether the server speaks HTTP/2; if not, every request goes to `fallback`.
 * A session is filled up to the server's `maxConcurrentStreams`, then another is opened.
 */
export class Http2StreamingClient implements StreamingRequester {
  readonly #options: Http2StreamingClientOptions;
  readonly #secureContext: tls.SecureContext;
  readonly #sessions = new Set<SessionEntry>();
  #h2: Promise<boolean> | undefined;
  #connecting: Promise<SessionEntry> | undefined;
  #closed = false;
  #sessionsOpened = 0;

  constructor(options: Http2StreamingClientOptions) {
    this.#options = options;
    this.#secureContext = options.secureContext ?? upstreamSecureContext(options.tls);
  }

  /** How many HTTP/2 sessions (TLS connections) this client has opened so far. */
  get sessionsOpened(): number {
    return this.#sessionsOpened;
  }

  async request(request: StreamingRequest): Promise<StreamingResponse> {
    if (this.#closed) throw new Error('the HTTP/2 upstream client is closed');
    if (request.signal?.aborted) throw request.signal.reason ?? new Error('aborted');
    // The ALPN answer of the first connection decides for the client's lifetime.
    if (!(await this.#speaksH2())) return this.#options.fallback.request(request);
    const entry = await this.#sessionWithRoom();
    return this.#send(entry, request);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([
      ...[...this.#sessions].map(
        (entry) => new Promise<void>((resolve) => entry.session.close(() => resolve())),
      ),
      this.#options.fallback.close(),
    ]);
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    for (const entry of this.#sessions) entry.session.destroy();
    this.#sessions.clear();
    await this.#options.fallback.destroy();
  }

  #speaksH2(): Promise<boolean> {
    this.#h2 ??= this.#connect().then(
      () => true,
      (error: unknown) => {
        if (error instanceof NotH2) return false;
        // A failure to connect is not an answer: the next request asks again.
        this.#h2 = undefined;
        throw error;
      },
    );
    return this.#h2;
  }

  async #sessionWithRoom(): Promise<SessionEntry> {
    for (const entry of this.#sessions) {
      const limit = entry.session.remoteSettings.maxConcurrentStreams ?? 100;
      if (!entry.session.closed && !entry.session.destroyed && entry.open < limit) return entry;
    }
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  #connect(): Promise<SessionEntry> {
    const { origin, tls: upstreamTls } = this.#options;
    const url = new URL(origin);
    return new Promise<SessionEntry>((resolve, reject) => {
      let socket: TLSSocket | undefined;
      const session = http2.connect(origin, {
        createConnection: () => {
          socket = tls.connect({
            host: url.hostname.replace(/^\[|\]$/g, ''),
            port: Number(url.port || 443),
            // The context carries the CA, the client certificate and the TLS 1.2 minimum.
            secureContext: this.#secureContext,
            ...((upstreamTls.servername ?? (isIP(url.hostname) ? undefined : url.hostname)) !== undefined && {
              servername: upstreamTls.servername ?? url.hostname,
            }),
            ALPNProtocols: ['h2', 'http/1.1'],
            rejectUnauthorized: true,
          } as tls.ConnectionOptions);
          socket.once('secureConnect', () => {
            if (socket?.alpnProtocol !== 'h2') {
              session.destroy();
              reject(new NotH2());
            }
          });
          return socket;
        },
      });
      const entry: SessionEntry = { session, open: 0, idleTimer: undefined };
      session.once('remoteSettings', () => {
        this.#sessionsOpened += 1;
        this.#sessions.add(entry);
        this.#armIdle(entry);
        resolve(entry);
      });
      session.on('error', (error) => reject(error));
      session.once('close', () => {
        clearTimeout(entry.idleTimer);
        this.#sessions.delete(entry);
      });
      // GOAWAY: no new streams on this session; open ones finish.
      session.once('goaway', () => this.#sessions.delete(entry));
    });
  }

  #armIdle(entry: SessionEntry): void {
    clearTimeout(entry.idleTimer);
    if (entry.open > 0) return;
    entry.idleTimer = setTimeout(() => {
      this.#sessions.delete(entry);
      entry.session.close();
    }, this.#options.idleTimeoutMs ?? 30_000);
    entry.idleTimer.unref();
  }

  #send(entry: SessionEntry, request: StreamingRequest): Promise<StreamingResponse> {
    const url = new URL(this.#options.origin);
    const headers: Record<string, string | string[]> = {
      ':method': request.method,
      ':path': request.path,
      ':scheme': 'https',
      ':authority': url.host,
    };
    for (const [name, value] of Object.entries(request.headers)) {
      const lower = name.toLowerCase();
      if (NOT_IN_H2.has(lower) || lower.startsWith(':')) continue;
      headers[lower] = typeof value === 'string' ? value : [...value];
    }
    const hasBody = request.body !== undefined && request.body !== null;
    let stream: ClientHttp2Stream;
    try {
      stream = entry.session.request(headers, { endStream: !hasBody });
    } catch (error) {
      return Promise.reject(error);
    }
    entry.open += 1;
    clearTimeout(entry.idleTimer);
    const { signal } = request;
    const onAbort = () => stream.close(http2.constants.NGHTTP2_CANCEL);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (typeof request.body === 'string') stream.end(request.body);
    else if (request.body) request.body.pipe(stream);
    // A watch holds its stream for hours: the listeners that only matter until the response head
    // arrives are removed then, and one 'close' listener does the bookkeeping.
    return new Promise<StreamingResponse>((resolve, reject) => {
      let answered = false;
      stream.once('close', () => {
        entry.open -= 1;
        this.#armIdle(entry);
        signal?.removeEventListener('abort', onAbort);
        if (!answered) reject(new Error('the HTTP/2 stream closed before a response'));
      });
      stream.once('error', reject);
      stream.once('response', (raw: IncomingHttpHeaders) => {
        answered = true;
        stream.off('error', reject);
        const out: Record<string, string | string[] | undefined> = {};
        for (const [name, value] of Object.entries(raw)) if (!name.startsWith(':')) out[name] = value;
        resolve({ statusCode: Number(raw[':status']), headers: out, body: stream });
      });
    });
  }
}

/** An undici pool as a {@link StreamingRequester} (HTTP/1.1, one connection per open stream). */
export function poolRequester(pool: Pool): StreamingRequester {
  return {
    request: (request) =>
      pool.request({
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: request.headers as Record<string, string | string[]>,
        body: request.body ?? null,
        ...(request.signal && { signal: request.signal }),
      }),
    close: () => pool.close(),
    destroy: () => pool.destroy(),
  };
}

/** The server chose HTTP/1.1 in ALPN. */
class NotH2 extends Error {
  constructor() {
    super('the API server does not offer HTTP/2');
  }
}
