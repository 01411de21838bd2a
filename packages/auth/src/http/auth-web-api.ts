import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
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
import { headerLines, type WebApiRequest, type WebApiResponse } from './web-messages.js';

type Handler = (context: RequestContext) => Promise<Reply>;

interface RequestContext {
  readonly request: WebApiRequest;
  readonly url: URL;
  readonly clientIp: string | undefined;
  readonly caller: Caller;
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

/**
 * Set by a Proxy (host certificate, role `proxy`) to the address of the client it forwards for. Its
 * presence on a request from a Proxy host certificate also marks the request as *forwarded*: the
 * Proxy's own certificate then never stands for the caller.
 */
export const CLIENT_IP_HEADER = 'x-remoteler-client-ip';

/**
 * Set by a Proxy forwarding a web API request to the client's verified user certificate (base64 DER).
 * Read only from a Proxy host certificate, and then decoded by the Auth service's own decoder, which
 * verifies the signature and validity against the user CA again: a Proxy can relay a certificate its
 * client proved in the TLS handshake, never mint one.
 */
export const CLIENT_CERTIFICATE_HEADER = 'x-remoteler-client-certificate';

/** Options of {@link AuthWebApi}. */
export interface AuthWebApiOptions {
  readonly service: AuthService;
  /** Largest accepted request body in bytes. Default 65 536. */
  readonly maxBodyBytes?: number;
  /**
   * Receives unexpected (non-Remoteler) failures, which clients see only as `RMT_INTERNAL`.
   * Default: none (the error is still never swallowed silently: it reaches the client as a 500).
   */
  readonly onInternalError?: (error: unknown) => void;
}

/** Who is calling, as far as certificates tell. */
interface Caller {
  /** The certificate that stands for the caller (absent: none was shown or it did not verify). */
  readonly certificate: X509Certificate | undefined;
  /** The request came through a Proxy's web port (its host certificate plus {@link CLIENT_IP_HEADER}). */
  readonly forwarded: boolean;
  readonly clientIp: string | undefined;
}

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
 * The Auth service's web API (JSON over HTTPS) as a request handler, for the Auth service's own
 * listener ({@link AuthHttpServer}) and for a Proxy's web port that fronts it in the same process.
 * Endpoints decide for themselves what they need: nothing (ping, SSO, password login, join), a
 * Remoteler user certificate (reissue, clusters), a user certificate whose roles include an admin
 * role (admin API), or a host certificate (join renewal, only when not forwarded). The certificate is
 * the TLS peer's when the socket verified it against the listener's trust (`socket.authorized`), or,
 * for a request forwarded by a Proxy, the one in {@link CLIENT_CERTIFICATE_HEADER}. Errors are
 * `{ code, message, hint }` with the error's HTTP status.
 */
export class AuthWebApi {
  readonly #service: AuthService;
  readonly #maxBodyBytes: number;
  readonly #onInternalError: ((error: unknown) => void) | undefined;
  readonly #routes: readonly Route[];

  constructor(options: AuthWebApiOptions) {
    this.#service = options.service;
    this.#maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    this.#onInternalError = options.onInternalError;
    this.#routes = this.#buildRoutes();
  }

  /**
   * Answers one request; never throws (failures become error replies). `context.clientAddress`
   * replaces the socket's address for rate limits and audit: the host passes it when it knows better
   * (a Proxy behind a PROXY-protocol load balancer); it is the host's word, not the client's.
   */
  handle(
    request: WebApiRequest,
    response: WebApiResponse,
    context?: { readonly clientAddress?: string | undefined },
  ): void {
    void this.#handle(request, response, context?.clientAddress);
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
            const admin = await this.#admin(c);
            await s.revokeJoinToken(decodeName(c.params[0] as string), admin.username, c.clientIp);
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
            const body = await s.issueJoinToken({
              role: b.role,
              createdBy: admin.username,
              ...(ttlMs === undefined ? {} : { ttlMs }),
              ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
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
            return {
              status: 200,
              body: await s.renewHost(host, {
                ...b,
                ...(c.clientIp === undefined ? {} : { clientIp: c.clientIp }),
              }),
            };
          },
        },
      },
    ];
  }

  async #handle(request: WebApiRequest, response: WebApiResponse, hostAddress?: string): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.#route(request, hostAddress);
    } catch (error) {
      reply = this.#errorReply(error);
      // A body we did not read (too large, wrong type, refused early) must not be parsed as the
      // next request on a kept-alive connection. (An HTTP/2 stream ends by itself.)
      if (!request.complete && request.httpVersionMajor !== 2)
        reply = { ...reply, headers: { ...reply.headers, connection: 'close' } };
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
    if (headers.connection === 'close')
      response.once('finish', () =>
        (request as { socket: { destroySoon?: () => void } }).socket.destroySoon?.(),
      );
  }

  async #route(request: WebApiRequest, hostAddress: string | undefined): Promise<Reply> {
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
      const caller = this.#caller(request, hostAddress);
      return handler({ request, url, clientIp: caller.clientIp, caller, params: match.slice(1) });
    }
    throw new RemotelerError('RMT_AUTH_ROUTE_NOT_FOUND', `there is no endpoint ${url.pathname}`);
  }

  /**
   * Works out who is calling. A Proxy fronting Auth would otherwise make every user share its
   * address (one attacker could exhaust the per-source password limit for everyone) and its
   * certificate, so a caller holding a verified *proxy* host certificate names the end client in
   * {@link CLIENT_IP_HEADER} and, when that client showed one, its certificate in
   * {@link CLIENT_CERTIFICATE_HEADER}. From anyone else both headers are ignored (X-Forwarded-For is
   * never read: any client can send it).
   */
  #caller(request: WebApiRequest, hostAddress: string | undefined): Caller {
    const socket = request.socket as TLSSocket;
    const socketAddress = hostAddress ?? socket.remoteAddress;
    // `authorized` is the TLS layer's verdict against the listener's bundles; the decoder then
    // checks the kind (user vs host CA) and the identity encoding.
    const peer = socket.authorized ? socket.getPeerX509Certificate?.() : undefined;
    const forwardedIp = headerLines(request, CLIENT_IP_HEADER);
    if (!peer || forwardedIp === undefined || !this.#isProxy(peer))
      return { certificate: peer, forwarded: false, clientIp: socketAddress };
    const ip = forwardedIp.length === 1 && isIP(forwardedIp[0] as string) !== 0 ? forwardedIp[0] : undefined;
    const relayed = headerLines(request, CLIENT_CERTIFICATE_HEADER);
    let certificate: X509Certificate | undefined;
    if (relayed?.length === 1) {
      try {
        certificate = new X509Certificate(Buffer.from(relayed[0] as string, 'base64'));
      } catch {
        certificate = undefined;
      }
    }
    return { certificate, forwarded: true, clientIp: ip ?? socketAddress };
  }

  #isProxy(peer: X509Certificate): boolean {
    try {
      return this.#service.authenticateHost({ raw: peer.raw }).host.role === 'proxy';
    } catch {
      return false;
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

  #peerCertificate(c: RequestContext): X509Certificate {
    const { certificate } = c.caller;
    if (!certificate)
      throw new RemotelerError(
        'RMT_AUTH_CLIENT_CERT_REQUIRED',
        'this endpoint needs a trusted client certificate',
      );
    return certificate;
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
    // Through a Proxy's web port the only host certificate in sight is the Proxy's own: a client
    // without a certificate must never renew as that Proxy. Hosts call the Auth listener directly.
    if (c.caller.forwarded)
      throw new RemotelerError(
        'RMT_AUTH_CLIENT_CERT_REQUIRED',
        "host endpoints are served only on the Auth service's own listener, not through a Proxy",
      );
    return this.#service.authenticateHost({ raw: this.#peerCertificate(c).raw });
  }
}
