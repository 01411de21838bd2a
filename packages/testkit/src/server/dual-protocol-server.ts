import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';

/** A request of either protocol; both expose method, url, headers, rawHeaders and socket. */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
/** A response of either protocol. */
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** Options for {@link startDualProtocolServer}. */
export interface DualProtocolServerOptions {
  readonly key: string;
  readonly cert: string;
  /** CA certificates that client certificates are verified against. */
  readonly clientCa: readonly string[];
  /** Listen port; 0 (default) picks a free one. Always on 127.0.0.1. */
  readonly port?: number;
  readonly onRequest: (req: AnyRequest, res: AnyResponse) => void;
  /** HTTP/1.1 upgrades (exec/attach/port-forward): kubectl opens them on fresh connections without ALPN. */
  readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** A running TLS listener. */
export interface DualProtocolServer {
  readonly port: number;
  /** Stops listening and destroys every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * One TLS port that serves HTTP/2 and HTTP/1.1, chosen per connection by ALPN, as kube-apiserver
 * does (Go's net/http offers `h2,http/1.1`). The TLS layer asks for a client certificate but does
 * not require one, so that anonymous requests reach the handler and get a 401 Status.
 */
export async function startDualProtocolServer(
  options: DualProtocolServerOptions,
): Promise<DualProtocolServer> {
  const sockets = new Set<TLSSocket>();
  const h1 = http.createServer({ keepAlive: true });
  h1.on('request', options.onRequest);
  h1.on('upgrade', options.onUpgrade);
  const h2 = http2.createServer({});
  h2.on('request', options.onRequest);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });

  const server = tls.createServer({
    key: options.key,
    cert: options.cert,
    ca: [...options.clientCa],
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['h2', 'http/1.1'],
    minVersion: 'TLSv1.2',
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
    else h1.emit('connection', socket);
  });
  // Handshake failures (a client that does not trust the CA) are the client's problem, not ours.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        h1.closeAllConnections?.();
      });
      return closing;
    },
  };
}
