import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type DecodedHostCertificate, type DecodedUserCertificate, RemotelerError } from '@remoteler/core';
import type { AuthService } from '../auth-service.js';
import {
  ADMIN_KINDS,
  type AdminKind,
  deleteResource,
  getResource,
  listResources,
  putResource,
} from './admin-resources.js';
import { readJsonBody } from './request-body.js';
import {
  createTokenSchema,
  joinSchema,
  parseBody,
  passwordLoginSchema,
  reissueSchema,
  renewSchema,
  ssoRedeemSchema,
  ssoStartSchema,
} from './schemas.js';

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

type Handler = (context: RequestContext) => Promise<Reply>;

interface RequestContext {
  readonly request: IncomingMessage;
  readonly url: URL;
  readonly clientIp: string | undefined;
  readonly params: readonly string[];
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
}

/** Set by a Proxy (host certificate, role `proxy`) to the address of the client it forwards for. */
export const CLIENT_IP_HEADER = 'x-remoteler-client-ip';

const ADMIN_COLLECTION = new RegExp(`^/v1/admin/(${ADMIN_KINDS.join('|')})$`);
const ADMIN_ITEM = new RegExp(`^/v1/admin/(${ADMIN_KINDS.join('|')})/([^/]+)$`);

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new RemotelerError(
      'RMT_AUTH_REQUEST_INVALID',
      'the resource name in the path is not valid percent-encoding',
    );
  }
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
  readonly #maxBodyBytes: number;
  readonly #onInternalError: ((error: unknown) => void) | undefined;
  readonly #routes: readonly Route[];
  readonly #tls: { readonly key: string; readonly cert: string };
  #closing: Promise<void> | undefined;

  private constructor(options: AuthHttpServerOptions, tls: { readonly key: string; readonly cert: string }) {
    this.#service = options.service;
    this.#maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    this.#onInternalError = options.onInternalError;
    this.#routes = this.#buildRoutes();
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
      (request, response) => {
        void this.#handle(request, response);
      },
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

  #buildRoutes(): Route[] {
    const s = this.#service;
    const json = async (context: RequestContext) => readJsonBody(context.request, this.#maxBodyBytes);
    return [
      { pattern: /^\/v1\/ping$/, methods: { GET: async () => ({ status: 200, body: s.ping() }) } },
      {
        pattern: /^\/v1\/sso\/start$/,
        methods: {
          POST: async (c) => {
            const b = parseBody(ssoStartSchema, await json(c), 'SSO start request');
            const ttlMs = secondsToMs(b.ttlSeconds);
            const body = await s.startSsoLogin({
              connectorId: b.connectorId,
              publicKey: b.publicKey,
              codeChallenge: b.codeChallenge,
              codeChallengeMethod: b.codeChallengeMethod,
              redirectUri: b.redirectUri,
              clientState: b.state,
              ...(ttlMs === undefined ? {} : { ttlMs }),
              ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
            });
            return { status: 200, body };
          },
        },
      },
      {
        pattern: /^\/v1\/sso\/callback$/,
        methods: {
          GET: async (c) => {
            // The connector gets the URL it registered with the IdP plus the query the IdP sent;
            // the Host header is never trusted to build it.
            const registered = new URL(s.options.ssoCallbackUrl ?? 'https://auth.invalid/v1/sso/callback');
            registered.search = c.url.search;
            const { redirectTo } = await s.completeSsoCallback({
              callbackUrl: registered.href,
              ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
            });
            // The code rides in the Location; Referrer-Policy keeps it out of later Referer headers.
            return { status: 302, headers: { location: redirectTo, 'referrer-policy': 'no-referrer' } };
          },
        },
      },
      {
        pattern: /^\/v1\/sso\/redeem$/,
        methods: {
          POST: async (c) => {
            const b = parseBody(ssoRedeemSchema, await json(c), 'SSO redeem request');
            return {
              status: 200,
              body: await s.redeemSsoCode({
                ...b,
                ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
              }),
            };
          },
        },
      },
      {
        pattern: /^\/v1\/login\/password$/,
        methods: {
          POST: async (c) => {
            const b = parseBody(passwordLoginSchema, await json(c), 'password login request');
            const ttlMs = secondsToMs(b.ttlSeconds);
            const body = await s.loginWithPassword({
              username: b.username,
              password: b.password,
              publicKey: b.publicKey,
              ...(b.connectorId === undefined ? {} : { connectorId: b.connectorId }),
              ...(b.kubernetesCluster === undefined ? {} : { kubernetesCluster: b.kubernetesCluster }),
              ...(ttlMs === undefined ? {} : { ttlMs }),
              ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
            });
            return { status: 200, body };
          },
        },
      },
      {
        pattern: /^\/v1\/certs\/reissue$/,
        methods: {
          POST: async (c) => {
            const { decoded, publicKeyPem } = await this.#user(c);
            const b = parseBody(reissueSchema, await json(c), 'reissue request');
            const ttlMs = secondsToMs(b.ttlSeconds);
            const body = await s.reissue(decoded, {
              // The new certificate is for the key that just proved possession in the handshake.
              publicKey: publicKeyPem,
              ...(b.kubernetesCluster === undefined ? {} : { kubernetesCluster: b.kubernetesCluster }),
              ...(b.roles === undefined ? {} : { roles: b.roles }),
              ...(ttlMs === undefined ? {} : { ttlMs }),
              ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
            });
            return { status: 200, body };
          },
        },
      },
      {
        pattern: /^\/v1\/kube\/clusters$/,
        methods: {
          GET: async (c) => {
            const { decoded } = await this.#user(c);
            return { status: 200, body: { clusters: await s.allowedClusters(decoded.identity) } };
          },
        },
      },
      {
        pattern: /^\/v1\/admin\/tokens\/([^/]+)$/,
        methods: {
          DELETE: async (c) => {
            await this.#admin(c);
            s.revokeJoinToken(decodeName(c.params[0] as string));
            return { status: 204 };
          },
        },
      },
      {
        pattern: /^\/v1\/admin\/tokens$/,
        methods: {
          GET: async (c) => {
            await this.#admin(c);
            return { status: 200, body: { items: s.listJoinTokens() } };
          },
          POST: async (c) => {
            const admin = await this.#admin(c);
            const b = parseBody(createTokenSchema, await json(c), 'join token request');
            const ttlMs = secondsToMs(b.ttlSeconds);
            const body = s.createJoinToken({
              role: b.role,
              createdBy: admin.username,
              ...(ttlMs === undefined ? {} : { ttlMs }),
            });
            return { status: 201, body };
          },
        },
      },
      {
        pattern: ADMIN_COLLECTION,
        methods: {
          GET: async (c) => {
            await this.#admin(c);
            return { status: 200, body: { items: await listResources(s, c.params[0] as AdminKind) } };
          },
        },
      },
      {
        pattern: ADMIN_ITEM,
        methods: {
          GET: async (c) => {
            await this.#admin(c);
            return {
              status: 200,
              body: await getResource(s, c.params[0] as AdminKind, decodeName(c.params[1] as string)),
            };
          },
          PUT: async (c) => {
            const admin = await this.#admin(c);
            const body = await json(c);
            const { resource, created } = await putResource(
              s,
              c.params[0] as AdminKind,
              decodeName(c.params[1] as string),
              body,
              admin,
              c.clientIp,
            );
            return { status: created ? 201 : 200, body: resource };
          },
          DELETE: async (c) => {
            const admin = await this.#admin(c);
            await deleteResource(
              s,
              c.params[0] as AdminKind,
              decodeName(c.params[1] as string),
              admin,
              c.clientIp,
            );
            return { status: 204 };
          },
        },
      },
      {
        pattern: /^\/v1\/join$/,
        methods: {
          POST: async (c) => {
            const b = parseBody(joinSchema, await json(c), 'join request');
            const body = await s.join({
              ...b,
              ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
            });
            return { status: 200, body };
          },
        },
      },
      {
        pattern: /^\/v1\/join\/renew$/,
        methods: {
          POST: async (c) => {
            const host = this.#host(c);
            const b = parseBody(renewSchema, await json(c), 'host renewal request');
            return { status: 200, body: await s.renewHost(host, b) };
          },
        },
      },
    ];
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.#route(request);
    } catch (error) {
      reply = this.#errorReply(error);
      // A body we did not read (too large, wrong type, refused early) must not be parsed as the
      // next request on a kept-alive connection.
      if (!request.complete) reply = { ...reply, headers: { ...reply.headers, connection: 'close' } };
    }
    const headers: Record<string, string> = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...reply.headers,
    };
    if (reply.body === undefined) {
      response.writeHead(reply.status, headers).end();
    } else {
      const text = JSON.stringify(reply.body);
      response
        .writeHead(reply.status, {
          ...headers,
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(text)),
        })
        .end(text);
    }
    if (headers.connection === 'close') response.once('finish', () => request.socket.destroySoon?.());
  }

  async #route(request: IncomingMessage): Promise<Reply> {
    const url = new URL(request.url ?? '/', 'https://auth.invalid');
    for (const route of this.#routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      const handler = route.methods[request.method ?? ''];
      if (!handler)
        throw new RemotelerError(
          'RMT_AUTH_METHOD_NOT_ALLOWED',
          `${request.method} is not allowed on ${url.pathname}`,
          {
            details: { allow: Object.keys(route.methods) },
          },
        );
      return handler({ request, url, clientIp: this.#clientIp(request), params: match.slice(1) });
    }
    throw new RemotelerError('RMT_AUTH_ROUTE_NOT_FOUND', `there is no endpoint ${url.pathname}`);
  }

  /**
   * The address limits and audit events use. A Proxy fronting Auth would otherwise make every user
   * share its address (one attacker could exhaust the per-source password limit for everyone), so a
   * caller holding a verified *proxy* host certificate may name the end client in
   * `X-Remoteler-Client-IP`; from anyone else the header is ignored (X-Forwarded-For is never read:
   * any client can send it).
   */
  #clientIp(request: IncomingMessage): string | undefined {
    const socketAddress = request.socket.remoteAddress;
    const forwarded = request.headers[CLIENT_IP_HEADER];
    if (typeof forwarded !== 'string' || isIP(forwarded) === 0) return socketAddress;
    const socket = request.socket as TLSSocket;
    const peer = socket.authorized ? socket.getPeerX509Certificate?.() : undefined;
    if (!peer) return socketAddress;
    try {
      return this.#service.authenticateHost({ raw: peer.raw }).host.role === 'proxy'
        ? forwarded
        : socketAddress;
    } catch {
      return socketAddress;
    }
  }

  #errorReply(error: unknown): Reply {
    if (!RemotelerError.is(error)) {
      this.#onInternalError?.(error);
      // Never echo an unexpected error: it may hold input or internals.
      error = new RemotelerError('RMT_INTERNAL', 'the Auth service failed unexpectedly', { cause: error });
    }
    const e = error as RemotelerError;
    const headers: Record<string, string> = {};
    const retry = e.details?.retryAfterSeconds;
    if (e.status === 429 && typeof retry === 'number') headers['retry-after'] = String(retry);
    const allow = e.details?.allow;
    if (e.status === 405 && Array.isArray(allow)) headers.allow = allow.join(', ');
    const body: Record<string, unknown> = { code: e.code, message: e.message, hint: e.hint };
    // Validation problems (paths and expectations, never values) help a client fix its request.
    if (e.category === 'input' && e.details?.problems) body.details = { problems: e.details.problems };
    return { status: e.status, headers, body };
  }

  #peerCertificate(c: RequestContext) {
    const socket = c.request.socket as TLSSocket;
    const peer = socket.getPeerX509Certificate?.();
    // `authorized` is the TLS layer's verdict against the configured bundles; the decoder then
    // checks the kind (user vs host CA) and the identity encoding.
    if (!peer || !socket.authorized)
      throw new RemotelerError(
        'RMT_AUTH_CLIENT_CERT_REQUIRED',
        'this endpoint needs a trusted client certificate',
      );
    return peer;
  }

  async #user(c: RequestContext): Promise<{ decoded: DecodedUserCertificate; publicKeyPem: string }> {
    const peer = this.#peerCertificate(c);
    const decoded = await this.#service.authenticateUser({ raw: peer.raw });
    return { decoded, publicKeyPem: peer.publicKey.export({ type: 'spki', format: 'pem' }) as string };
  }

  async #admin(c: RequestContext) {
    const { decoded } = await this.#user(c);
    this.#service.requireAdmin(decoded.identity);
    return decoded.identity;
  }

  #host(c: RequestContext): DecodedHostCertificate {
    return this.#service.authenticateHost({ raw: this.#peerCertificate(c).raw });
  }
}
