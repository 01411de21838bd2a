import { pipeline } from 'node:stream/promises';
import { type ObjectFilter, RemotelerError } from '@remoteler/core';
import {
  answerAccessReview,
  answerRulesReview,
  type UpstreamReviewAnswer,
} from '../../access-review/answer-review.js';
import { readAccessReview, reviewKindOf } from '../../access-review/review-request.js';
import { createListFilter } from '../../filtering/list-filter.js';
import { negotiateFilteredRequest } from '../../filtering/negotiate.js';
import { createWatchFilter } from '../../filtering/watch-filter.js';
import { responseHeadersForClient } from '../../impersonation/upstream-headers.js';
import { cutResponse, requestHasBody } from '../../listener/http-messages.js';
import type { RouteTarget } from '../../routing/route-request.js';
import type { StreamingResponse } from '../../upstream/h2-streaming-client.js';
import { Http1ProtocolError } from '../../upstream/http1/response-parser.js';
import { relayLongResponse } from '../../upstream/long-response-relay.js';
import { relayOrdinaryRequest } from '../../upstream/ordinary-relay.js';
import { relayUpgrade } from '../../upstream/upgrade-relay.js';
import type { UpstreamPool } from '../../upstream/upstream-pool.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { OpenSession, OpenSessions } from '../open-sessions.js';
import type { ProxyStep } from '../pipeline.js';

/**
 * Whether a request holds its response open indefinitely: watches (`watch=true|1`, or the legacy
 * `/watch/` path prefix) and `logs -f` (`follow=true`). These go to the dispatcher without body
 * timeout, and their response headers are flushed at once so kubectl sees the stream start.
 */
export function isLongRunning(route: RouteTarget): boolean {
  if (route.path.includes('/watch/') && /^\/apis?\/(?:[^/]+\/)*watch\//.test(route.path)) return true;
  // Most requests have neither parameter: no query parsing for them.
  if (!route.query.includes('watch') && !route.query.includes('follow')) return false;
  const params = new URLSearchParams(route.query);
  const flag = (name: string) => {
    const value = params.get(name);
    return value !== null && value !== 'false' && value !== '0';
  };
  return flag('watch') || flag('follow');
}

// What kubectl and client libraries upgrade to (k8s-protocols §5-§7); port-forward over WebSocket
// is `Upgrade: websocket` with the `SPDY/3.1+portforward.k8s.io` subprotocol.
const UPGRADE_PROTOCOLS = /^(?:websocket|spdy\/3\.1)$/i;

function unavailable(cluster: string, cause: unknown): RemotelerError {
  if (RemotelerError.hasCode(cause, 'RMT_PROXY_UPSTREAM_CREDENTIALS_UNAVAILABLE')) return cause;
  if (cause instanceof Http1ProtocolError)
    return new RemotelerError(
      'RMT_PROXY_UPSTREAM_RESPONSE_INVALID',
      `the API server of cluster "${cluster}" sent a malformed answer: ${cause.message}`,
      { cause },
    );
  return new RemotelerError(
    'RMT_PROXY_UPSTREAM_UNAVAILABLE',
    `the API server of cluster "${cluster}" could not be reached`,
    { cause },
  );
}

/**
 * The per-object filter for a list or watch the roles allow only in part, or undefined when the
 * answer can pass untouched.
 */
function filterFor(exchange: ProxyExchange): ObjectFilter | undefined {
  const { checker, attributes, cluster } = exchange;
  if (!checker || !attributes || !cluster) return undefined;
  if (attributes.verb !== 'list' && attributes.verb !== 'watch') return undefined;
  const filter = checker.objectFilter(cluster, attributes);
  return filter.needed ? filter : undefined;
}

function filterInvalid(message: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_FILTER_RESPONSE_INVALID', message);
}

function headerText(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? value : value.join(',');
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
    run(exchange: ProxyExchange) {
      const long =
        exchange.kind === 'upgrade' || !exchange.res || isLongRunning(established(exchange, 'route'));
      if (!long) return forward(exchange, undefined);
      // Long exchanges are tracked from here on, so a lock, a role change or expiry ends them
      // wherever they are: waiting for the upstream (refused) or relaying (cut).
      const session = sessions.open(exchange);
      return forward(exchange, session).finally(() => session.close());
    },
  };

  async function forward(exchange: ProxyExchange, session: OpenSession | undefined): Promise<void> {
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
      // A WebSocket watch (client-go can watch that way) would bypass the per-object filter, and
      // reviews are answered by the Proxy itself: neither is relayed raw (fail closed).
      if (filterFor(exchange) || (exchange.attributes && reviewKindOf(exchange.attributes)))
        throw new RemotelerError(
          'RMT_PROXY_UPGRADE_UNSUPPORTED',
          'the Proxy answers filtered lists, watches and access reviews over plain HTTP only, not over a connection upgrade',
        );
      const headers: Record<string, string | readonly string[]> = { ...upstreamHeaders };
      if (authorization !== undefined) headers.authorization = authorization;
      // The relay listens to the client socket: destroying it ends the session at any stage.
      session?.cutWith(() => exchange.socket.destroy());
      const result = await relayUpgrade({
        upstream: dispatchers.upstream,
        secureContext: dispatchers.secureContext,
        method: exchange.req.method ?? 'GET',
        path,
        headers,
        client: exchange.socket,
        head: exchange.head,
        signal: exchange.signal,
        ...(exchange.relayObserver && { observer: exchange.relayObserver }),
      });
      exchange.status = result.status;
      return;
    }
    const res = exchange.res;
    // A shallow copy: the forwarder may add or replace fields, never change the frozen arrays
    // (undici and node:http2 only read them).
    const headers = Object.assign({}, upstreamHeaders) as Record<string, string | string[]>;
    if (authorization !== undefined) headers.authorization = authorization;

    const reviewKind = exchange.attributes && reviewKindOf(exchange.attributes);
    if (reviewKind) {
      const review = await readAccessReview(reviewKind, exchange.req);
      const checker = established(exchange, 'checker');
      // The cluster is asked in JSON with the request's own impersonation headers, so it judges
      // the same Kubernetes user and groups a real request would carry.
      const askCluster = async (body: Record<string, unknown>): Promise<UpstreamReviewAnswer> => {
        const payload = JSON.stringify(body);
        const reviewHeaders = { ...headers };
        delete reviewHeaders['content-encoding'];
        delete reviewHeaders['transfer-encoding'];
        reviewHeaders['content-type'] = 'application/json';
        reviewHeaders['content-length'] = String(Buffer.byteLength(payload));
        reviewHeaders.accept = 'application/json';
        reviewHeaders['accept-encoding'] = 'identity';
        try {
          const answer = await dispatchers.regular.request({
            method: 'POST',
            path: `${dispatchers.upstream.basePath}${route.path}`,
            headers: reviewHeaders,
            body: payload,
            signal: exchange.signal,
          });
          const text = await answer.body.text();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              message: text.slice(0, 1000),
              code: answer.statusCode,
            };
          }
          return { status: answer.statusCode, body: parsed };
        } catch (cause) {
          throw unavailable(cluster.name, cause);
        }
      };
      const answer =
        review.kind === 'SelfSubjectAccessReview'
          ? await answerAccessReview(review, checker, cluster, askCluster)
          : await answerRulesReview(review, checker, cluster, askCluster);
      const body = JSON.stringify(answer.body);
      exchange.status = answer.status;
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      });
      res.end(body);
      return;
    }

    const longRunning = isLongRunning(route);
    const withBody = requestHasBody(exchange.req);
    if (!withBody) delete headers['content-length'];
    const filter = filterFor(exchange);
    let upstreamPath = path;
    if (filter) {
      // Filtering reads each object's metadata: JSON only, Table rows with their metadata, and
      // no compression (k8s-protocols §2.2).
      const negotiated = negotiateFilteredRequest(headerText(upstreamHeaders.accept), route.query);
      headers.accept = negotiated.accept;
      headers['accept-encoding'] = 'identity';
      upstreamPath = `${dispatchers.upstream.basePath}${route.path}${negotiated.query ? `?${negotiated.query}` : ''}`;
    }

    // Ordinary requests (the bulk of kubectl's traffic) take the lean path: no body stream, no
    // stream.pipeline, one write for a small answer.
    if (!longRunning && !filter) {
      try {
        exchange.status = await relayOrdinaryRequest(
          dispatchers.ordinary,
          {
            method: exchange.req.method ?? 'GET',
            path: upstreamPath,
            headers,
            body: withBody ? (exchange.requestBody ?? exchange.req) : null,
          },
          res,
        );
      } catch (cause) {
        // The client left, or the body cap cut the connection (its code is already recorded).
        if (exchange.aborted || exchange.error) return;
        throw unavailable(cluster.name, cause);
      }
      return;
    }

    let response: StreamingResponse;
    // Ending the session while the upstream has not answered abandons the upstream request.
    let signal = exchange.signal;
    if (session) {
      const cancel = new AbortController();
      if (signal.aborted) cancel.abort();
      else signal.addEventListener('abort', () => cancel.abort(), { once: true });
      session.cutWith(() => cancel.abort());
      signal = cancel.signal;
    }
    try {
      const request = {
        method: exchange.req.method as 'GET',
        path: upstreamPath,
        headers,
        body: withBody ? (exchange.requestBody ?? exchange.req) : null,
        signal,
      };
      response = longRunning
        ? await dispatchers.streaming.request(request)
        : await dispatchers.regular.request(request);
    } catch (cause) {
      if (exchange.aborted) return;
      if (session?.endedBy) throw session.endedBy;
      throw unavailable(cluster.name, cause);
    }
    try {
      session?.cutWith(() => cutResponse(res));
    } catch (endedBy) {
      // Ended as the answer arrived: nothing of it is passed on.
      response.body.on('error', () => {});
      response.body.destroy();
      throw endedBy;
    }
    const clientHeaders = responseHeadersForClient(response.headers);
    // Only successful answers with a body hold objects; a Status (403, 410…) and the empty answer
    // to HEAD pass unchanged.
    const filtering =
      filter !== undefined &&
      exchange.req.method !== 'HEAD' &&
      response.statusCode >= 200 &&
      response.statusCode < 300 &&
      response.statusCode !== 204;
    if (filtering) {
      const type = String(response.headers['content-type'] ?? '');
      const encoding = String(response.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (!/^application\/json\s*(?:;|$)/i.test(type) || encoding !== 'identity') {
        // Discard the unread answer; undici reports a body destroyed unread as an abort error.
        response.body.on('error', () => {});
        response.body.destroy();
        throw filterInvalid(
          `the API server answered ${JSON.stringify(type.slice(0, 80))} (${encoding}), which the Proxy cannot filter; nothing was passed on`,
        );
      }
      // The filtered body is shorter than the upstream one.
      delete clientHeaders['content-length'];
    }
    try {
      res.writeHead(response.statusCode, clientHeaders);
    } catch (cause) {
      // The client's protocol refused the head: nothing was sent, the answer is dropped.
      response.body.on('error', () => {});
      response.body.destroy();
      throw new RemotelerError(
        'RMT_PROXY_UPSTREAM_RESPONSE_INVALID',
        `the API server of cluster "${cluster.name}" sent an answer whose head cannot be passed on`,
        { cause },
      );
    }
    exchange.status = response.statusCode;
    // HTTP/2's writeHead sends the HEADERS frame at once; HTTP/1.1 holds the head for the first write.
    if (longRunning && 'flushHeaders' in res) res.flushHeaders();
    try {
      if (filtering)
        await pipeline(
          response.body,
          exchange.attributes?.verb === 'watch'
            ? createWatchFilter({ filter })
            : createListFilter({ filter }),
          res,
        );
      // Watches and `logs -f`, and the unfiltered answers (a Status, HEAD) to filtered requests.
      else await relayLongResponse(response.body, res);
    } catch (cause) {
      // The client left (the abort already reached undici) or the upstream broke mid-body; either
      // way the status line is gone, so the only signal left is the cut connection (stream).
      cutResponse(res);
      if (RemotelerError.hasCode(cause, 'RMT_PROXY_FILTER_RESPONSE_INVALID')) {
        exchange.error ??= cause;
        return;
      }
      if (!exchange.aborted && !exchange.error) throw unavailable(cluster.name, cause);
    }
  }
}
