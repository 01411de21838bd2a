import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { RemotelerError } from '@remoteler/core';
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
  /**
   * Called after the generated server certificate was replaced (at half its lifetime, or by
   * {@link AuthHttpServer.renewCertificate}), with the new expiry (RFC 3339). Not called when
   * `tls` was given: the host owns that certificate.
   */
  readonly onCertificateRenewed?: (notAfter: string) => void;
}

type GeneratedTls = { readonly key: string; readonly cert: string; readonly notAfter: string };

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
  readonly #options: AuthHttpServerOptions;
  #tls: { readonly key: string; readonly cert: string };
  #renewTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: AuthHttpServerOptions, tls: { readonly key: string; readonly cert: string }) {
    this.#options = options;
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
    const generated = options.tls ? undefined : await AuthHttpServer.#generate(options);
    const tls = options.tls ? { key: options.tls.key, cert: options.tls.cert } : (generated as GeneratedTls);
    const server = new AuthHttpServer(options, tls);
    if (generated) server.#scheduleRenewal(generated.notAfter);
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

  /**
   * Replaces the generated server certificate with a fresh key and certificate from the host CA's
   * current generation (done by itself at half the certificate's lifetime; call it after a CA
   * rotation step). New connections get the new certificate. Refused when `tls` was given.
   */
  async renewCertificate(): Promise<void> {
    if (this.#options.tls)
      throw new RemotelerError(
        'RMT_CONFIG_INVALID',
        'the Auth server certificate was given by the host (tls option); replace it there',
      );
    const next = await AuthHttpServer.#generate(this.#options);
    if (this.#closing) return;
    this.#tls = { key: next.key, cert: next.cert };
    this.reloadTrust();
    this.#scheduleRenewal(next.notAfter);
    this.#options.onCertificateRenewed?.(next.notAfter);
  }

  static async #generate(options: AuthHttpServerOptions): Promise<GeneratedTls> {
    const made = await options.service.createServerCredentials({
      hostId: options.hostId ?? 'auth',
      dnsNames: options.dnsNames ?? ['localhost'],
      ipAddresses: options.ipAddresses ?? ['127.0.0.1', '::1'],
    });
    // Leaf + issuing CA, explicitly: OpenSSL may build the chain from the client-verification
    // store on its own, but a pinning client (`--ca-pin`) must not depend on that.
    return {
      key: made.keyPem,
      cert: `${made.certificatePem.trim()}\n${made.caCertificatePem.trim()}\n`,
      notAfter: made.notAfter,
    };
  }

  /** Renews at half the remaining lifetime (a failed renewal is retried after a minute). */
  #scheduleRenewal(notAfter: string): void {
    clearTimeout(this.#renewTimer);
    const remaining = Date.parse(notAfter) - Date.now();
    // setTimeout holds at most 2^31-1 ms (24.8 days); a longer wait is re-armed when it fires.
    const delay = Math.min(Math.max(remaining / 2, 1_000), 2_147_483_647);
    this.#renewTimer = setTimeout(() => {
      this.renewCertificate().catch((error: unknown) => {
        this.#options.onInternalError?.(error);
        if (this.#closing) return;
        this.#renewTimer = setTimeout(() => this.#scheduleRenewal(notAfter), 60_000);
        this.#renewTimer.unref();
      });
    }, delay);
    this.#renewTimer.unref();
  }

  /** Stops listening and ends open connections; idempotent. */
  close(): Promise<void> {
    clearTimeout(this.#renewTimer);
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
