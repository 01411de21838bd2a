import { constants } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { Server as NetServer } from 'node:net';
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
  /** PROXY protocol v1/v2 from trusted load balancers. Default: off (the TCP peer is the client). */
  readonly proxyProtocol?: ProxyProtocolOptions;
  /** Receives malformed or missing PROXY headers from trusted sources. Default: none. */
  readonly onError?: (error: unknown) => void;
}

/** The listener and the function that re-reads TLS material immediately (e.g. right after a CA rotation). */
export interface TlsListener {
  /** The node:https server: requests, upgrades and TLS. */
  readonly server: Server;
  /** The server that listens: `server` itself, or the PROXY protocol acceptor in front of it. */
  readonly acceptor: NetServer;
  refreshTls(): void;
  /** The client's address: from the PROXY header when a trusted balancer sent one, else the TCP peer's. */
  clientAddress(socket: { readonly remoteAddress?: string | undefined }): string | undefined;
}

/**
 * An HTTPS (HTTP/1.1) server that *requests* a client certificate but does not require one, so that
 * a request without a valid certificate gets a 401 Status that tells the user what to do instead
 * of an opaque TLS alert. Whether the certificate verified against the user-CA bundle is left in
 * `socket.authorized` for the authenticate step, which runs first for every request and upgrade.
 * TLS 1.2 is the minimum; sessions are never resumed.
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
  const server = createServer({
    ...context(current),
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
    maxHeaderSize: options.maxHeaderSize ?? 16_384,
    headersTimeout: options.headersTimeoutMs ?? 20_000,
    // Node enforces headersTimeout only when it sweeps connections; sweep often enough that a
    // slow-loris client is cut close to the limit, not up to 30 s (Node's default sweep) later.
    connectionsCheckingInterval: Math.min(
      5_000,
      Math.max(250, Math.floor((options.headersTimeoutMs ?? 20_000) / 4)),
    ),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000,
    // A request body still arriving after this long is abandoned; responses (watches) are not limited.
    requestTimeout: 300_000,
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
  const front = options.proxyProtocol
    ? createProxyProtocolAcceptor(server, options.proxyProtocol, options.onError ?? (() => {}))
    : undefined;
  return {
    server,
    acceptor: front?.server ?? server,
    refreshTls,
    clientAddress: (socket) => front?.sourceOf(socket) ?? socket.remoteAddress,
  };
}
