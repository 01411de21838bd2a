import type { HostStep, ProxyAuditEvent, ProxyExchange } from '@remoteler/proxy';
import type { RemotelerLogger } from './logger.js';
import { createRequestId, requestIdFrom } from './request-id.js';

/** Options for {@link createProxyRequestLog}. */
export interface ProxyRequestLogOptions {
  readonly logger: RemotelerLogger;
  /**
   * Reuse a well-formed `X-Request-Id` the client or a load balancer sent (8-128 characters of
   * `[A-Za-z0-9._:-]`). Default true. False: every exchange gets a fresh id.
   */
  readonly trustRequestIdHeader?: boolean;
}

/**
 * One log line per Proxy exchange, each with a request id that the client also sees (the
 * `X-Request-Id` response header, for plain requests), so that a user's report can be found in the
 * logs.
 */
export interface ProxyRequestLog {
  /** The host step (after `authenticate`) that gives each exchange its id and response header. */
  readonly step: HostStep;
  /** Logs an ended exchange (call it from the Proxy's `onAudit`). */
  onAudit(event: ProxyAuditEvent): void;
  /** A child logger carrying the exchange's `reqId`, for host steps that log about a request. */
  loggerFor(exchange: ProxyExchange): RemotelerLogger;
}

interface Entry {
  readonly id: string;
  readonly exchange: ProxyExchange;
}

/**
 * Creates the Proxy's request log. Lines are `info` (`warn` for 5xx answers and cut connections)
 * with `reqId`, `kind`, `method`, `path` (no query), `status`, `durationMs`, and when known `user`,
 * `cluster`, `verb`, `namespace`, `resource`, `kubernetesUser`, `errorCode`, `clientAddress`.
 * Nothing else of the request is logged: no headers, no bodies.
 */
export function createProxyRequestLog(options: ProxyRequestLogOptions): ProxyRequestLog {
  const logger = options.logger;
  const trust = options.trustRequestIdHeader ?? true;
  // Keyed by the exchange's receivedAt, which the audit event carries as startedAt (the same Date
  // object); a WeakMap entry goes away with its exchange.
  const entries = new WeakMap<Date, Entry>();
  const idFor = (exchange: ProxyExchange): string => {
    const known = entries.get(exchange.receivedAt);
    if (known) return known.id;
    const id = trust ? requestIdFrom(exchange.req.headers['x-request-id']) : createRequestId();
    entries.set(exchange.receivedAt, { id, exchange });
    return id;
  };
  return {
    step: {
      after: 'authenticate',
      step: {
        name: 'ops-request-log',
        run(exchange) {
          const id = idFor(exchange);
          if (exchange.res && !exchange.res.headersSent) exchange.res.setHeader('x-request-id', id);
        },
      },
    },
    loggerFor: (exchange) => logger.child({ reqId: idFor(exchange) }),
    onAudit(event) {
      const entry = entries.get(event.startedAt);
      entries.delete(event.startedAt);
      const attributes = entry?.exchange.attributes;
      const line = {
        reqId: entry?.id ?? createRequestId(),
        kind: event.kind,
        method: event.method,
        path: event.path,
        status: event.status ?? null,
        durationMs: event.durationMs,
        ...(event.username !== undefined && { user: event.username }),
        ...(event.cluster !== undefined && { cluster: event.cluster }),
        ...(attributes && { verb: attributes.verb }),
        ...(attributes?.namespace && { namespace: attributes.namespace }),
        ...(attributes?.resource && { resource: attributes.resource }),
        ...(event.kubernetesUser !== undefined && { kubernetesUser: event.kubernetesUser }),
        ...(event.errorCode !== undefined && { errorCode: event.errorCode }),
        ...(event.clientAddress !== undefined && { clientAddress: event.clientAddress }),
      };
      if (event.status === undefined || event.status >= 500) logger.warn(line, 'kube request');
      else logger.info(line, 'kube request');
    },
  };
}
