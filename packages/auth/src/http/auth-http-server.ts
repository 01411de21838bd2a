import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AuthService } from '../auth-service.js';
import { AuthWebApi } from './auth-web-api.js';

/** Options of {@link AuthHttpServer.start}. */
export interface AuthHttpServerOptions {
  readonly service: AuthService;
  /**
   * The server's TLS key and certificate chain (PEM, leaf first). Default: a P-256 key made in this
   * process and a host certificate (role `auth`) from the service's host CA for
   * `dnsNames`/`ipAddresses`, served with that host CA after it so clients can pin the CA.
   */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Host id of the generated server certificate. Default `auth`. */
  readonly hostId?: string;
  /** SANs of the generated server certificate. Default `localhost` and `127.0.0.1`, `::1`. */
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Listen address. Default `127.0.0.1`. */
  readonly host?: string;
  /** Listen port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Largest accepted request body in bytes. Default 65 536. */
  readonly maxBodyBytes?: number;
  /**
   * Receives unexpected (non-Remoteler) failures, which clients see only as `RMT_INTERNAL`.
   * Default: none (the error is still never swallowed silently: it reaches the client as a 500).
   */
  readonly onInternalError?: (error: unknown) => void;
}

/**
 * The Auth service's HTTPS API (node:https, JSON). TLS asks every client for a certificate but lets
 * the handshake finish without one; each endpoint then decides: public (ping, SSO, password
 * login, join), a Remoteler user certificate (reissue, clusters), a user certificate whose roles
 * include an admin role (admin API), or a host certificate (join renewal). Errors are
 * `{ code, message, hint }` with the error's HTTP status.
 */
export class AuthHttpServer {
  readonly #server: Server;
  readonly #service: AuthService;
  readonly #api: AuthWebApi;
  readonly #tls: { readonly key: string; readonly cert: string };
  #closing: Promise<void> | undefined;

  private constructor(options: AuthHttpServerOptions, tls: { readonly key: string; readonly cert: string }) {
    this.#service = options.service;
    this.#api = new AuthWebApi({
      service: options.service,
      ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
      ...(options.onInternalError && { onInternalError: options.onInternalError }),
    });
    this.#tls = tls;
    this.#server = createServer(
      {
        key: tls.key,
        cert: tls.cert,
        ...this.#trustOptions(),
        minVersion: 'TLSv1.2',
        // Headers within 10 s and the whole request within 30 s: slow-loris protection.
        headersTimeout: 10_000,
        requestTimeout: 30_000,
      },
      (request: IncomingMessage, response: ServerResponse) => this.#api.handle(request, response),
    );
    this.#server.keepAliveTimeout = 5_000;
  }

  /** Makes the server certificate if needed and listens. */
  static async start(options: AuthHttpServerOptions): Promise<AuthHttpServer> {
    let tls: { key: string; cert: string };
    if (options.tls) tls = { key: options.tls.key, cert: options.tls.cert };
    else {
      const made = await options.service.createServerCredentials({
        hostId: options.hostId ?? 'auth',
        dnsNames: options.dnsNames ?? ['localhost'],
        ipAddresses: options.ipAddresses ?? ['127.0.0.1', '::1'],
      });
      // Leaf + issuing CA, explicitly: OpenSSL may build the chain from the client-verification
      // store on its own, but a pinning client (`--ca-pin`) must not depend on that.
      tls = { key: made.keyPem, cert: `${made.certificatePem.trim()}\n${made.caCertificatePem.trim()}\n` };
    }
    const server = new AuthHttpServer(options, tls);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.#server.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  /** The port listened on. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** `https://<host>:<port>` (IPv6 hosts in brackets). */
  get url(): string {
    const { address, family } = this.#server.address() as AddressInfo;
    return `https://${family === 'IPv6' ? `[${address}]` : address}:${this.port}`;
  }

  /**
   * Re-reads the CAs' trust bundles into the TLS context (after a CA rotation step), so new
   * handshakes accept certificates of every currently trusted generation.
   */
  reloadTrust(): void {
    // setSecureContext replaces the whole context: without key and cert, every handshake would fail.
    this.#server.setSecureContext({ key: this.#tls.key, cert: this.#tls.cert, ...this.#trustOptions() });
  }

  /** Stops listening and ends open connections; idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  #trustOptions() {
    const { userCa, hostCa } = this.#service.options;
    return {
      ca: [userCa.trustBundlePem(), hostCa.trustBundlePem()],
      requestCert: true,
      // Certificates are optional at the TLS layer; endpoints that need one refuse the request
      // when the socket is not authorized (see #peer). The handshake still proves key possession.
      rejectUnauthorized: false,
    };
  }
}
