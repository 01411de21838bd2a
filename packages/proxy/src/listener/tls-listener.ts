import { constants } from 'node:crypto';
import {
  createServer as createHttp2Server,
  type Http2Server,
  constants as http2Constants,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { Server as NetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { RemotelerError } from '@remoteler/core';
import { createProxyProtocolAcceptor, type ProxyProtocolOptions } from './proxy-protocol-acceptor.js';

/** PEM material of the listener; read again for every new connection, so rotation needs no restart. */
export interface ListenerTlsMaterial {
  /** The Proxy's server certificate chain (PEM). */
  readonly cert: string;
  /** The Proxy's private key (PEM). Secret: never logged. */
  readonly key: string;
  /** Trusted *user* CA certificates (PEM bundle). Never the host CA: host certificates must not pass as users. */
  readonly userCaBundle: string;
}

/** Options for {@link createTlsListener}. */
export interface TlsListenerOptions {
  /**
   * Returns the current material. Called on each new TCP connection (cheap: the result is compared
   * with the previous one and the TLS context is rebuilt only when something changed).
   */
  readonly material: () => ListenerTlsMaterial;
  /** Largest request head accepted, in bytes. Default 16 384 (Node's default). */
  readonly maxHeaderSize?: number;
  /** Time a client has to send a complete request head, in ms (slow-loris guard). Default 20 000. */
  readonly headersTimeoutMs?: number;
  /** Idle time of a keep-alive connection between requests, in ms. Default 60 000. */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Time a client has to send a whole request, head and body, in ms: HTTP/1.1 connections are
   * closed (Node's `requestTimeout`), HTTP/2 streams reset. Answers (watches) are not limited.
   * Default 300 000.
   */
  readonly requestTimeoutMs?: number;
  /** PROXY protocol v1/v2 from trusted load balancers. Default: off (the TCP peer is the client). */
  readonly proxyProtocol?: ProxyProtocolOptions;
  /** Receives malformed or missing PROXY headers from trusted sources. Default: none. */
  readonly onError?: (error: unknown) => void;
  /**
   * Offer HTTP/2 by ALPN (`h2` before `http/1.1`), as kube-apiserver does: kubectl then sends its
   * ordinary requests and watches as streams of one connection. Upgrades (exec, attach,
   * port-forward) always come over HTTP/1.1. Default: true.
   */
  readonly http2?: boolean;
  /** Most concurrent streams one HTTP/2 client may open (Go's default, which kube-apiserver keeps). Default 250. */
  readonly http2MaxConcurrentStreams?: number;
}

/** The listener and the function that re-reads TLS material immediately (e.g. right after a CA rotation). */
export interface TlsListener {
  /** The node:https server: TLS, HTTP/1.1 requests and upgrades. */
  readonly server: Server;
  /**
   * Serves the connections that chose `h2` by ALPN (its `request` event gives compatibility-API
   * requests); undefined when HTTP/2 is off. It never listens itself.
   */
  readonly http2Server: Http2Server | undefined;
  /** The server that listens: `server` itself, or the PROXY protocol acceptor in front of it. */
  readonly acceptor: NetServer;
  refreshTls(): void;
  /**
   * Ends the HTTP/2 connections: `graceful` sends GOAWAY and lets open streams finish (new ones
   * are refused); otherwise the open streams are reset (INTERNAL_ERROR) and the connections end.
   */
  closeHttp2Sessions(graceful: boolean): void;
  /** The client's address: from the PROXY header when a trusted balancer sent one, else the TCP peer's. */
  clientAddress(socket: { readonly remoteAddress?: string | undefined }): string | undefined;
}

/**
 * An HTTPS server (HTTP/2 and HTTP/1.1, chosen per connection by ALPN) that *requests* a client
 * certificate but does not require one, so that a request without a valid certificate gets a 401
 * Status that tells the user what to do instead of an opaque TLS alert. Whether the certificate
 * verified against the user-CA bundle is left in `socket.authorized` for the authenticate step,
 * which runs first for every request and upgrade, on either protocol. TLS 1.2 is the minimum;
 * sessions are never resumed.
 *
 * One TLS server accepts every connection. The node:https machinery serves HTTP/1.1 with its
 * guards (head size, head timeout, keep-alive); a connection that chose `h2` is handed to a
 * node:http2 server instead, whose guards are the HTTP/2 counterparts: the header list size
 * (advertised here, enforced by the Proxy, since node:http2 does not), a stream limit, and an idle timer that closes a connection without open streams (before its first
 * request: within the head timeout; after: within the keep-alive timeout).
 */
export function createTlsListener(options: TlsListenerOptions): TlsListener {
  let current = options.material();
  const context = (m: ListenerTlsMaterial) => ({
    cert: m.cert,
    key: m.key,
    ca: m.userCaBundle,
    minVersion: 'TLSv1.2' as const,
    // No session tickets, so no resumption: a resumed session would carry the verification result
    // of an earlier handshake past a user CA rotation, and every connection must present its
    // certificate to the current bundle. Also memory: the two TLS 1.3 tickets OpenSSL sends after
    // the handshake fill Node's first outgoing TLS buffer, so the first response allocates another
    // 16 KiB one that the connection keeps for its life (about 14 KiB RSS per open watch).
    secureOptions: constants.SSL_OP_NO_TICKET,
  });
  const http2 = options.http2 ?? true;
  const maxHeaderSize = options.maxHeaderSize ?? 16_384;
  const headersTimeoutMs = options.headersTimeoutMs ?? 20_000;
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 60_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 300_000;
  const server = createServer({
    ...context(current),
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: http2 ? ['h2', 'http/1.1'] : ['http/1.1'],
    maxHeaderSize,
    // The head is part of the request: Node refuses a head timeout longer than the request's.
    headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
    // Node enforces headersTimeout only when it sweeps connections; sweep often enough that a
    // slow-loris client is cut close to the limit, not up to 30 s (Node's default sweep) later.
    connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(headersTimeoutMs / 4))),
    keepAliveTimeout: keepAliveTimeoutMs,
    // A request body still arriving after this long is abandoned; responses (watches) are not limited.
    requestTimeout: requestTimeoutMs,
  });
  const refreshTls = () => {
    const next = options.material();
    if (next.cert === current.cert && next.key === current.key && next.userCaBundle === current.userCaBundle)
      return;
    server.setSecureContext(context(next));
    current = next;
  };
  // Prepended so that it runs before node:tls wraps the new TCP socket with the shared context:
  // the handshake of this very connection already uses the refreshed trust bundle.
  server.prependListener('connection', refreshTls);
  const h2 = http2
    ? serveHttp2(server, {
        maxHeaderSize,
        headersTimeoutMs,
        keepAliveTimeoutMs,
        requestTimeoutMs,
        maxConcurrentStreams: options.http2MaxConcurrentStreams ?? 250,
      })
    : undefined;
  const front = options.proxyProtocol
    ? createProxyProtocolAcceptor(server, options.proxyProtocol, options.onError ?? (() => {}))
    : undefined;
  return {
    server,
    http2Server: h2?.server,
    acceptor: front?.server ?? server,
    refreshTls,
    closeHttp2Sessions: (graceful) => h2?.closeSessions(graceful),
    clientAddress: (socket) => front?.sourceOf(socket) ?? socket.remoteAddress,
  };
}

/**
 * Whether the client has sent the whole request (END_STREAM), whether or not the body has been
 * read yet (`readableEnded` trails until the consumer has read everything): nghttp2's view of the
 * stream, `remoteClose`.
 */
function requestReceived(stream: ServerHttp2Stream): boolean {
  return stream.state.remoteClose === 1;
}

/**
 * Takes the connections that chose `h2` away from the HTTP/1.1 machinery of `tls` and serves them
 * with a node:http2 server. node:https registers its connection handler on `secureConnection`;
 * it is replaced by one that dispatches on the negotiated protocol.
 */
function serveHttp2(
  tls: Server,
  limits: {
    readonly maxHeaderSize: number;
    readonly headersTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly maxConcurrentStreams: number;
  },
): { server: Http2Server; closeSessions(graceful: boolean): void } {
  const server = createHttp2Server({
    settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderSize },
  });
  // Each session with its open streams.
  const sessions = new Map<ServerHttp2Session, Set<ServerHttp2Stream>>();
  server.on('session', (session: ServerHttp2Session) => {
    const open = new Set<ServerHttp2Stream>();
    sessions.set(session, open);
    let timer: NodeJS.Timeout | undefined;
    // A connection without open streams is closed after a while: within the head timeout before
    // its first request (a client that never completes one), within the keep-alive timeout after.
    const idle = (ms: number) => {
      timer = setTimeout(() => session.close(), ms);
      timer.unref();
    };
    idle(limits.headersTimeoutMs);
    session.on('stream', (stream: ServerHttp2Stream) => {
      open.add(stream);
      clearTimeout(timer);
      // The counterpart of HTTP/1.1's requestTimeout: a body must be complete in time, or the
      // stream is reset and its exchange abandoned (the answer, once the body is in, may take as
      // long as it takes). END_STREAM is when the readable side ends, read by the relay or not.
      const bodyTimer = stream.endAfterHeaders
        ? undefined
        : setTimeout(() => {
            if (!requestReceived(stream)) stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
          }, limits.requestTimeoutMs).unref();
      stream.once('close', () => {
        clearTimeout(bodyTimer);
        open.delete(stream);
        if (open.size === 0 && !session.closed && !session.destroyed) idle(limits.keepAliveTimeoutMs);
      });
    });
    // Errors end the session; the streams' own handlers report what matters.
    session.on('error', () => session.destroy());
    session.once('close', () => {
      clearTimeout(timer);
      sessions.delete(session);
    });
  });
  const [http1] = tls.listeners('secureConnection') as ((socket: TLSSocket) => void)[];
  if (!http1) throw new RemotelerError('RMT_INTERNAL', 'node:https registered no secureConnection handler');
  tls.removeListener('secureConnection', http1);
  tls.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') server.emit('connection', socket);
    else http1.call(tls, socket);
  });
  return {
    server,
    closeSessions(graceful) {
      for (const [session, open] of sessions) {
        if (graceful) {
          session.close();
          continue;
        }
        // The open streams did not finish: each is reset (INTERNAL_ERROR, so that clients do not
        // read it as complete), then the session ends once the resets are written.
        for (const stream of open) stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
        session.close();
        setImmediate(() => session.destroy()).unref();
      }
    },
  };
}
