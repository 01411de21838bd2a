import type { Socket } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RemotelerError } from '@remoteler/core';
import { cutResponse, requestHasBody } from '../listener/http-messages.js';
import { established, type ProxyExchange } from '../pipeline/exchange.js';
import type { ProxyStep } from '../pipeline/pipeline.js';
import { UserConcurrencyLimiter } from './concurrency-limiter.js';
import type { ResolvedProxyLimits } from './proxy-limits.js';
import { UserRateLimiter } from './rate-limiter.js';

function tooLarge(limit: number): RemotelerError {
  return new RemotelerError(
    'RMT_PROXY_REQUEST_TOO_LARGE',
    `the request body is larger than the ${limit} bytes the Proxy accepts`,
    { details: { limit } },
  );
}

function retryAfter(exchange: ProxyExchange, seconds: number): void {
  // sendStatus keeps headers set on `res` before it writes the head; a refused upgrade has no `res`,
  // so its header travels on the exchange to sendStatusOnSocket.
  if (exchange.res) {
    if (!exchange.res.headersSent) exchange.res.setHeader('retry-after', String(seconds));
  } else exchange.refusalHeaders = { ...exchange.refusalHeaders, 'Retry-After': String(seconds) };
}

/**
 * The `limits` step, right after `authenticate` (it needs the user): the per-user request rate
 * (429 + Retry-After), the per-user number of open exchanges (429 + Retry-After: 1; the slot is
 * given back when the response or the upgraded connection closes), the request body cap (413 from
 * Content-Length before anything goes upstream; a chunked body that grows past the cap cuts the
 * connection, since its status line may already be on its way), and the idle timeout of upgraded
 * sessions.
 */
export function createLimitsStep(limits: ResolvedProxyLimits, now: () => number): ProxyStep {
  const rate =
    limits.requestsPerSecond > 0
      ? new UserRateLimiter({ ratePerSecond: limits.requestsPerSecond, burst: limits.burst, now })
      : undefined;
  const concurrency = new UserConcurrencyLimiter(limits.maxConcurrentPerUser);
  return {
    name: 'limits',
    run(exchange) {
      const user = established(exchange, 'identity').username;
      if (rate) {
        const decision = rate.take(user);
        if (!decision.allowed) {
          retryAfter(exchange, decision.retryAfterSeconds);
          throw new RemotelerError(
            'RMT_PROXY_RATE_LIMITED',
            `too many requests: retry after ${decision.retryAfterSeconds} s`,
            { details: { retryAfterSeconds: decision.retryAfterSeconds } },
          );
        }
      }
      const release = concurrency.acquire(user);
      if (!release) {
        retryAfter(exchange, 1);
        throw new RemotelerError(
          'RMT_PROXY_TOO_MANY_CONNECTIONS',
          `you already have ${limits.maxConcurrentPerUser} requests, watches or sessions open through the Proxy`,
          { details: { limit: limits.maxConcurrentPerUser } },
        );
      }
      // 'close' comes once; release() is idempotent, so a plain listener does (no once() wrapper).
      (exchange.res ?? exchange.socket).on('close', release);
      if (exchange.kind === 'upgrade') {
        const socket = exchange.socket as Partial<Socket>;
        if (limits.upgradeIdleTimeoutMs > 0 && typeof socket.setTimeout === 'function') {
          // Inactivity of the client's TLS socket: any byte read or written re-arms it, so a session
          // is idle only when neither side spoke.
          socket.setTimeout(limits.upgradeIdleTimeoutMs, () => {
            exchange.error ??= new RemotelerError(
              'RMT_PROXY_SESSION_IDLE',
              `the session was idle for ${limits.upgradeIdleTimeoutMs} ms and was ended`,
            );
            exchange.socket.destroy();
          });
        }
        return;
      }
      const max = limits.maxRequestBodyBytes;
      if (max === 0) return;
      const declared = exchange.req.headers['content-length'];
      if (declared !== undefined && Number(declared) > max) throw tooLarge(max);
      // A body of unknown length: chunked over HTTP/1.1, or HTTP/2 DATA without Content-Length.
      if (declared === undefined && requestHasBody(exchange.req)) {
        let seen = 0;
        const capped = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            seen += chunk.length;
            if (seen <= max) return callback(null, chunk);
            // The bytes past the cap never go upstream. Cutting the connection (an HTTP/2 stream)
            // aborts the exchange, so the forwarder treats the broken body as the client leaving,
            // and the audit record keeps this code (the status line may already be on its way, so
            // no 413 can follow).
            exchange.error = tooLarge(max);
            if (exchange.res) cutResponse(exchange.res);
            else exchange.socket.destroy();
            callback(exchange.error);
          },
        });
        pipeline(exchange.req, capped).catch(() => undefined);
        exchange.requestBody = capped;
      }
    },
  };
}
