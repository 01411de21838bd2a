import { pipeline } from 'node:stream/promises';
import { RemotelerError } from '@remoteler/core';
import { responseHeadersForClient } from '../../impersonation/upstream-headers.js';
import type { RouteTarget } from '../../routing/route-request.js';
import { relayUpgrade } from '../../upstream/upgrade-relay.js';
import type { UpstreamPool } from '../../upstream/upstream-pool.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { OpenSessions } from '../open-sessions.js';
import type { ProxyStep } from '../pipeline.js';

/**
 * Whether a request holds its response open indefinitely: watches (`watch=true|1`, or the legacy
 * `/watch/` path prefix) and `logs -f` (`follow=true`). These go to the dispatcher without body
 * timeout, and their response headers are flushed at once so kubectl sees the stream start.
 */
export function isLongRunning(route: RouteTarget): boolean {
  const params = new URLSearchParams(route.query);
  const flag = (name: string) => {
    const value = params.get(name);
    return value !== null && value !== 'false' && value !== '0';
  };
  return flag('watch') || flag('follow') || /^\/apis?\/(?:[^/]+\/)*watch\//.test(route.path);
}

// What kubectl and client libraries upgrade to (k8s-protocols §5-§7); port-forward over WebSocket
// is `Upgrade: websocket` with the `SPDY/3.1+portforward.k8s.io` subprotocol.
const UPGRADE_PROTOCOLS = /^(?:websocket|spdy\/3\.1)$/i;

function hasBody(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

// setTimeout's largest delay (about 24.8 days); longer certificates are re-armed by the next request.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Ends a long exchange (a watch, `logs -f`, an exec session) when the client certificate expires:
 * the certificate was only checked when the exchange started, and a session must not outlive it.
 * Returns the function that disarms the timer.
 */
function cutAtExpiry(exchange: ProxyExchange, cut: () => void): () => void {
  const notAfter = exchange.identity?.notAfter?.getTime();
  if (notAfter === undefined) return () => {};
  const delay = Math.min(Math.max(notAfter - exchange.receivedAt.getTime(), 0), MAX_TIMER_MS);
  const timer = setTimeout(() => {
    exchange.error = new RemotelerError(
      'RMT_PROXY_CERTIFICATE_EXPIRED',
      'your Remoteler certificate expired during the session',
    );
    cut();
  }, delay);
  timer.unref();
  return () => clearTimeout(timer);
}

function unavailable(cluster: string, cause: unknown): RemotelerError {
  if (RemotelerError.hasCode(cause, 'RMT_PROXY_UPSTREAM_CREDENTIALS_UNAVAILABLE')) return cause;
  return new RemotelerError(
    'RMT_PROXY_UPSTREAM_UNAVAILABLE',
    `the API server of cluster "${cluster}" could not be reached`,
    { cause },
  );
}

/**
 * Sends the request to the cluster's API server with the Proxy's own credentials and streams the
 * answer back: never buffered, with backpressure both ways (`stream.pipeline`), and the upstream
 * request aborted when the client goes away. Upstream errors before the response starts become a
 * 503 Status; after that the client connection is cut.
 */
export function createForwardStep(pool: UpstreamPool, sessions: OpenSessions): ProxyStep {
  return {
    name: 'forward',
    async run(exchange: ProxyExchange) {
      const cluster = established(exchange, 'cluster');
      const route = established(exchange, 'route');
      const upstreamHeaders = established(exchange, 'upstreamHeaders');
      let dispatchers: Awaited<ReturnType<UpstreamPool['dispatchersFor']>>;
      let authorization: string | undefined;
      try {
        dispatchers = await pool.dispatchersFor(cluster);
        authorization = await dispatchers.upstream.authorization();
      } catch (cause) {
        throw unavailable(cluster.name, cause);
      }
      const path = `${dispatchers.upstream.basePath}${route.path}${route.query ? `?${route.query}` : ''}`;
      if (exchange.kind === 'upgrade' || !exchange.res) {
        const protocol = String(exchange.req.headers.upgrade ?? '').trim();
        if (!UPGRADE_PROTOCOLS.test(protocol))
          throw new RemotelerError(
            'RMT_PROXY_UPGRADE_UNSUPPORTED',
            `the Proxy relays WebSocket and SPDY/3.1 upgrades only, not ${JSON.stringify(protocol.slice(0, 40))}`,
          );
        const headers: Record<string, string | readonly string[]> = { ...upstreamHeaders };
        if (authorization !== undefined) headers.authorization = authorization;
        const end = () => exchange.socket.destroy();
        const stopTimer = cutAtExpiry(exchange, end);
        const untrack = sessions.track(exchange, end);
        const result = await relayUpgrade({
          upstream: dispatchers.upstream,
          method: exchange.req.method ?? 'GET',
          path,
          headers,
          client: exchange.socket,
          head: exchange.head,
          signal: exchange.signal,
          ...(exchange.relayObserver && { observer: exchange.relayObserver }),
        }).finally(() => {
          stopTimer();
          untrack();
        });
        exchange.status = result.status;
        return;
      }
      const res = exchange.res;
      const longRunning = isLongRunning(route);
      const withBody = hasBody(exchange.req.headers);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstreamHeaders))
        headers[name] = typeof value === 'string' ? value : [...value];
      if (!withBody) delete headers['content-length'];
      if (authorization !== undefined) headers.authorization = authorization;

      let response: Awaited<ReturnType<typeof dispatchers.regular.request>>;
      try {
        response = await (longRunning ? dispatchers.streaming : dispatchers.regular).request({
          method: exchange.req.method as 'GET',
          path,
          headers,
          body: withBody ? (exchange.requestBody ?? exchange.req) : null,
          signal: exchange.signal,
        });
      } catch (cause) {
        if (exchange.signal.aborted) return;
        throw unavailable(cluster.name, cause);
      }
      exchange.status = response.statusCode;
      res.writeHead(response.statusCode, responseHeadersForClient(response.headers));
      if (longRunning) res.flushHeaders();
      const stopTimer = cutAtExpiry(exchange, () => res.destroy());
      const untrack = longRunning ? sessions.track(exchange, () => res.destroy()) : () => true;
      try {
        await pipeline(response.body, res);
      } catch (cause) {
        // The client left (the abort already reached undici) or the upstream broke mid-body; either
        // way the status line is gone, so the only signal left is the cut connection.
        res.destroy();
        if (!exchange.signal.aborted && !exchange.error) throw unavailable(cluster.name, cause);
      } finally {
        stopTimer();
        untrack();
      }
    },
  };
}
