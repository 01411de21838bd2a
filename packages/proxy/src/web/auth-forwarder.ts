import { pipeline } from 'node:stream/promises';
import type { TLSSocket } from 'node:tls';
import { RemotelerError } from '@remoteler/core';
import { Agent, type Dispatcher } from 'undici';
import {
  cutResponse,
  type ProxyRequest,
  type ProxyResponse,
  responseFinished,
} from '../listener/http-messages.js';

/** TLS material with which the Proxy calls the Auth service: its host certificate and the host CA. */
export interface AuthForwarderTls {
  /** The Proxy's host certificate chain (PEM, leaf first), from the host CA (role `proxy`). */
  readonly cert: string;
  /** Its private key (PEM). Secret: never logged. */
  readonly key: string;
  /** The host CA bundle (PEM) that signed the Auth service's server certificate. */
  readonly ca: string;
}

/** Options for {@link createAuthForwarder}. */
export interface AuthForwarderOptions {
  /** The Auth service's base URL, e.g. `https://auth.internal:3025`. */
  readonly url: string;
  /** Read before every request; a change (host certificate renewed, CA rotated) opens new connections. */
  readonly tls: () => AuthForwarderTls;
  /** Failures reaching Auth (the client sees `RMT_PROXY_AUTH_UNAVAILABLE`). Default: none. */
  readonly onError?: (error: unknown) => void;
  /** Time to connect and to receive Auth's response head, in ms. Default 15 000. */
  readonly timeoutMs?: number;
}

/** Forwards web API requests from the Proxy's web port to a remote Auth service. */
export interface AuthForwarder {
  /** Forwards one request (to be passed as `ProxyOptions.webApi`); never throws. */
  handle(
    request: ProxyRequest,
    response: ProxyResponse,
    context?: { readonly clientAddress?: string | undefined },
  ): void;
  /** Closes the connections to Auth after in-flight requests. Idempotent. */
  close(): Promise<void>;
}

/** The Auth service's own names for these headers (`@remoteler/auth`), repeated to keep the packages apart. */
const CLIENT_IP_HEADER = 'x-remoteler-client-ip';
const CLIENT_CERTIFICATE_HEADER = 'x-remoteler-client-certificate';

// Built from an allowlist: nothing a client sends about identity (Authorization, X-Remoteler-*,
// X-Forwarded-*, cookies) reaches Auth; the web API reads JSON bodies and nothing else.
const REQUEST_HEADERS = ['accept', 'content-type', 'content-length', 'user-agent'] as const;
const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'cache-control',
  'x-content-type-options',
  'location',
  'referrer-policy',
  'retry-after',
  'allow',
] as const;

function authUnavailable(cause: unknown): RemotelerError {
  return new RemotelerError('RMT_PROXY_AUTH_UNAVAILABLE', 'the Auth service could not be reached', { cause });
}

function sendError(response: ProxyResponse, error: RemotelerError): void {
  if (response.headersSent) {
    cutResponse(response);
    return;
  }
  const text = JSON.stringify({ code: error.code, message: error.message, hint: error.hint });
  response
    .writeHead(error.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'cache-control': 'no-store',
    })
    .end(text);
}

/**
 * A web API relay for a Proxy that runs apart from the Auth service. Each request goes to Auth over
 * mutual TLS with the Proxy's host certificate, carrying the end client's address in
 * `X-Remoteler-Client-IP` and, when the client showed a certificate that this Proxy's listener
 * verified against the user CA, that certificate (base64 DER) in `X-Remoteler-Client-Certificate`.
 * Auth believes those headers only from a Proxy host certificate and decodes the relayed certificate
 * with its own trust, so the Proxy relays identities and never makes them. Bodies stream both ways.
 */
export function createAuthForwarder(options: AuthForwarderOptions): AuthForwarder {
  const base = new URL(options.url);
  if (base.protocol !== 'https:')
    throw new RemotelerError(
      'RMT_CONFIG_INVALID',
      `the Auth service URL must be https://, got ${base.protocol}`,
    );
  const timeoutMs = options.timeoutMs ?? 15_000;
  let current: { tls: AuthForwarderTls; agent: Agent } | undefined;
  let closed = false;

  const dispatcher = (): Dispatcher => {
    const tls = options.tls();
    if (current && current.tls.cert === tls.cert && current.tls.key === tls.key && current.tls.ca === tls.ca)
      return current.agent;
    const previous = current;
    current = {
      tls,
      agent: new Agent({
        connect: { cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: 'TLSv1.2' },
        connectTimeout: timeoutMs,
        headersTimeout: timeoutMs,
        keepAliveTimeout: 30_000,
      }),
    };
    void previous?.agent.close();
    return current.agent;
  };

  const forward = async (
    request: ProxyRequest,
    response: ProxyResponse,
    clientAddress: string | undefined,
  ): Promise<void> => {
    if (closed) throw authUnavailable(new Error('the Auth forwarder is closed'));
    const headers: Record<string, string> = {};
    for (const name of REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const socket = request.socket as TLSSocket;
    const address = clientAddress ?? socket.remoteAddress;
    if (address) headers[CLIENT_IP_HEADER] = address;
    // Only a certificate this listener verified (against the *user* CA) is relayed.
    const peer = socket.authorized ? socket.getPeerX509Certificate?.() : undefined;
    if (peer) headers[CLIENT_CERTIFICATE_HEADER] = peer.raw.toString('base64');
    const method = (request.method ?? 'GET') as Dispatcher.HttpMethod;
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const controller = new AbortController();
    response.once('close', () => {
      if (!responseFinished(response)) controller.abort();
    });
    let answer: Dispatcher.ResponseData;
    try {
      answer = await dispatcher().request({
        origin: base.origin,
        path: request.url ?? '/',
        method,
        headers,
        ...(hasBody && { body: request }),
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) return;
      throw authUnavailable(error);
    }
    const out: Record<string, string> = {};
    for (const name of RESPONSE_HEADERS) {
      const value = answer.headers[name];
      if (typeof value === 'string') out[name] = value;
    }
    response.writeHead(answer.statusCode, out);
    try {
      await pipeline(answer.body, response);
    } catch (error) {
      if (!controller.signal.aborted) options.onError?.(authUnavailable(error));
      cutResponse(response);
    }
  };

  return {
    handle(request, response, context) {
      forward(request, response, context?.clientAddress).catch((error: unknown) => {
        const known = RemotelerError.is(error) ? error : authUnavailable(error);
        options.onError?.(known);
        sendError(response, known);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await current?.agent.close();
    },
  };
}
