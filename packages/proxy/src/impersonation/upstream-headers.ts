import type { IncomingHttpHeaders } from 'node:http';
import { encodePrincipal, type ImpersonatedPrincipals } from './impersonation.js';

/**
 * Client headers that may go upstream on ordinary requests. Everything else is dropped: the
 * upstream set is *built* from this list, never derived by deleting from the client's set, so a
 * header nobody thought of (`Authorization`, `X-Remote-User`, `Impersonate-*`, `Proxy-*`…) can
 * never slip through.
 */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = Object.freeze([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-encoding',
  'content-length',
  'content-type',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  // SIG CLI KEP 859 (k8s-protocols §0.2): used by API server audit logs.
  'kubectl-command',
  'kubectl-session',
  'user-agent',
]);

/**
 * Extra client headers of an upgrade request (exec, attach, port-forward): the WebSocket handshake
 * (RFC 6455 §4.1) and the SPDY stream-protocol negotiation, sent as repeated lines
 * (k8s-protocols §6.1), whose values must be relayed one by one.
 */
export const FORWARDED_UPGRADE_HEADERS: readonly string[] = Object.freeze([
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'x-stream-protocol-version',
]);

/** Headers that describe one connection (RFC 9110 §7.6.1), never relayed in either direction. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Header names listed in `Connection` (RFC 9110 §7.6.1): hop-by-hop for this message. */
export function connectionTokens(values: readonly string[] | undefined): Set<string> {
  const tokens = new Set<string>();
  for (const value of values ?? [])
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) tokens.add(name);
    }
  return tokens;
}

/** Input of {@link buildUpstreamHeaders}. */
export interface UpstreamHeaderInput {
  /** `req.headersDistinct` of the client request. */
  readonly clientHeaders: Readonly<Record<string, readonly string[] | undefined>>;
  readonly kind: 'request' | 'upgrade';
  readonly principals: ImpersonatedPrincipals;
  /** The client's address: the whole `X-Forwarded-For` (replaced, never appended to). */
  readonly clientAddress: string | undefined;
}

/**
 * Builds the upstream header set from the allowlists, then adds Remoteler's own impersonation
 * headers (UTF-8, one `Impersonate-Group` line per group). The Proxy's `Authorization` is added by
 * the forwarder, which owns the credential.
 */
export function buildUpstreamHeaders(input: UpstreamHeaderInput): Record<string, string | string[]> {
  const named = connectionTokens(input.clientHeaders.connection);
  const headers: Record<string, string | string[]> = {};
  const copy = (name: string) => {
    const values = input.clientHeaders[name];
    if (values === undefined || values.length === 0) return;
    headers[name] = values.length === 1 ? (values[0] as string) : [...values];
  };
  for (const name of FORWARDED_REQUEST_HEADERS) if (!named.has(name)) copy(name);
  if (input.kind === 'upgrade') {
    for (const name of FORWARDED_UPGRADE_HEADERS) copy(name);
    headers.connection = 'Upgrade';
  }
  headers['impersonate-user'] = encodePrincipal(input.principals.user);
  headers['impersonate-group'] = input.principals.groups.map(encodePrincipal);
  if (input.clientAddress) headers['x-forwarded-for'] = input.clientAddress;
  return headers;
}

// Connection-specific in HTTP/2 besides the hop-by-hop set (RFC 9113 §8.2.2): node:http2 throws on
// a response that carries it, and no API server answer needs it.
const HTTP2_CONNECTION_HEADERS: ReadonlySet<string> = new Set(['http2-settings']);

/** Copies an upstream response's headers for the client, without hop-by-hop or connection-specific ones. */
export function responseHeadersForClient(
  upstream: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const named = connectionTokens(
    typeof upstream.connection === 'string'
      ? [upstream.connection]
      : (upstream.connection as string[] | undefined),
  );
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    const lower = name.toLowerCase();
    if (
      value === undefined ||
      HOP_BY_HOP_HEADERS.has(lower) ||
      HTTP2_CONNECTION_HEADERS.has(lower) ||
      named.has(lower)
    )
      continue;
    headers[lower] = value;
  }
  return headers;
}
