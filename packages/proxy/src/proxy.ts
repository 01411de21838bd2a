import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type AuditSink, type RecordingStore, RemotelerError } from '@remoteler/core';
import type { AccessCheckerSource } from './access/access-checker-source.js';
import { decideAccess } from './access/access-decision.js';
import type { LockSource } from './access/lock-source.js';
import type { UserCertificateDecoder } from './identity/user-certificate-decoder.js';
import { createLimitsStep } from './limits/limits-step.js';
import { type ProxyLimits, resolveProxyLimits } from './limits/proxy-limits.js';
import {
  headerListSize,
  isHttp2Request,
  type ProxyRequest,
  type ProxyResponse,
  responseFinished,
} from './listener/http-messages.js';
import type { ProxyProtocolOptions } from './listener/proxy-protocol-acceptor.js';
import { createTlsListener, type ListenerTlsMaterial, type TlsListener } from './listener/tls-listener.js';
import type { ProxyAuditEvent } from './pipeline/audit-event.js';
import { PipelineExchange, type ProxyExchange } from './pipeline/exchange.js';
import { OpenSessions } from './pipeline/open-sessions.js';
import { composePipeline, type HostStep, type ProxyStep, runPipeline } from './pipeline/pipeline.js';
import { createAuthenticateStep } from './pipeline/steps/authenticate.js';
import { createAuthorizeStep } from './pipeline/steps/authorize.js';
import { createForwardStep } from './pipeline/steps/forward.js';
import { createImpersonateStep } from './pipeline/steps/impersonate.js';
import { createRouteStep } from './pipeline/steps/route.js';
import type { ProxyCluster } from './routing/cluster.js';
import type { ClusterRegistry } from './routing/cluster-registry.js';
import { clusterNotFound } from './routing/route-request.js';
import { type SessionEvent, SessionHooks } from './sessions/session-hooks.js';
import type { SessionInfo } from './sessions/session-info.js';
import { sendStatus, sendStatusOnSocket } from './status/kube-status.js';
import { checkImpersonation, type ImpersonationCheckResult } from './upstream/impersonation-check.js';
import { UpstreamPool, type UpstreamPoolOptions } from './upstream/upstream-pool.js';
import { isWebApiPath } from './web/web-api-path.js';

/** Options for {@link createProxy}. Validated once; the proxy never reads them again. */
export interface ProxyOptions {
  /** The listener's certificate, key and *user* CA bundle; a function is called for every new connection (rotation without restart). */
  readonly tls: ListenerTlsMaterial | (() => ListenerTlsMaterial);
  /** Decodes verified user certificates into identities (`@remoteler/ca`'s decoder). */
  readonly identityDecoder: UserCertificateDecoder;
  /** Policy decisions: the core `AccessCheckerProvider` (asked on every request, so role changes apply at once). */
  readonly access: AccessCheckerSource;
  /** Where clusters are looked up on every request. */
  readonly clusters: ClusterRegistry;
  /** Locks, checked on every request; a change ends open sessions and watches a new lock applies to. */
  readonly locks?: LockSource;
  /** Host steps inserted after named security steps. */
  readonly steps?: readonly HostStep[];
  /** Called once per ended exchange. Errors thrown by it go to `onError`. */
  readonly onAudit?: (event: ProxyAuditEvent) => void;
  /** Unexpected failures (internal errors, upstream failures with their cause, hook errors). Default: none. */
  readonly onError?: (error: unknown) => void;
  /** Upstream connection settings. */
  readonly upstream?: UpstreamPoolOptions;
  /** Largest request head, in bytes. Default 16 384. */
  readonly maxHeaderSize?: number;
  /** Time a client has to send a request head, in ms. Default 20 000. */
  readonly headersTimeoutMs?: number;
  /**
   * Time a client has to send a whole request, body included, in ms; an HTTP/1.1 connection is
   * then closed, an HTTP/2 stream reset. Answers (watches, logs) are not limited. Default 300 000.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Offer HTTP/2 to clients by ALPN, as kube-apiserver does; kubectl then multiplexes its requests
   * and watches over one connection (exec, attach and port-forward stay on HTTP/1.1). Default true.
   */
  readonly http2?: boolean;
  /** How long `close()` waits for in-flight requests before cutting them, in ms. Default 10 000. */
  readonly closeTimeoutMs?: number;
  /** Check at `listen()` (and when clusters are added) that the Proxy may impersonate upstream. Default true. */
  readonly checkImpersonation?: boolean;
  /** Per-user rate and concurrency limits, the request body cap and the upgraded-session idle timeout (see {@link ProxyLimits} for defaults). */
  readonly limits?: ProxyLimits;
  /** Receives `session.start` / `session.end` (and `port_forward`) events of exec, attach and port-forward sessions; failures go to `onError` as `RMT_PROXY_AUDIT_FAILED`. */
  readonly auditSink?: AuditSink;
  /** Records the output (never stdin) of TTY exec/attach sessions; failures go to `onError` as `RMT_PROXY_RECORDING_FAILED`. */
  readonly recordings?: RecordingStore;
  /** Called with every stdin/stdout/stderr/resize/exit-status event the relay decodes. */
  readonly onSessionEvent?: (session: Readonly<SessionInfo>, event: SessionEvent) => void;
  /** Clock; default the system clock. For tests of certificate expiry. */
  readonly now?: () => Date;
  /**
   * Serves the web API on the same port: requests whose target is `/v1` or starts with `/v1/` or
   * `/v1?` go here *instead of* the Kubernetes pipeline (they do not pass its 401 gate: login and
   * ping must work without a certificate; the handler decides per endpoint). Typically
   * `AuthWebApi.handle` from `@remoteler/auth` in the same process, or {@link createAuthForwarder}'s
   * `handle` for a remote Auth service. Upgrades on those paths are refused. Default: none (every
   * path is Kubernetes).
   */
  readonly webApi?: (request: ProxyRequest, response: ProxyResponse, context: WebApiContext) => void;
  /**
   * PROXY protocol v1/v2 from trusted load balancers (their addresses or CIDR ranges): the client
   * address in audit events, `X-Forwarded-For` and the web API is then the one the balancer names.
   * Default: off.
   */
  readonly proxyProtocol?: ProxyProtocolOptions;
}

/** What the Proxy knows about a web API request beyond the request itself. */
export interface WebApiContext {
  /** The client's address (from the PROXY header when a trusted balancer sent one). */
  readonly clientAddress: string | undefined;
}

/** A running (or ready to run) Proxy Service. */
export interface RemotelerProxy {
  /** The node:https server (HTTP/1.1). */
  readonly server: TlsListener['server'];
  /** The steps every request runs through, in order (security steps and host steps). */
  readonly steps: readonly string[];
  /** Starts listening; default 127.0.0.1 and a random port. Resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Asks a cluster's API server whether the Proxy's credentials may impersonate users and groups
   * (a SelfSubjectAccessReview). `listen()` runs it for every registered cluster, and it runs for
   * each cluster added later; a refusal or failure is reported to `onError` as
   * `RMT_PROXY_IMPERSONATION_UNAUTHORIZED` / `RMT_PROXY_UPSTREAM_UNAVAILABLE`.
   */
  checkCluster(name: string): Promise<ImpersonationCheckResult>;
  /** Reads the TLS material again now, instead of on the next connection. */
  refreshTls(): void;
  /** Stops accepting, lets in-flight requests finish (up to `closeTimeoutMs`), then cuts the rest and closes upstream pools. Idempotent. */
  close(): Promise<void>;
}

/** The policy engine's reading of a request, for audit events (empty fields left out). */
/** The request attributes an audit event repeats (Kubernetes' own audit names). */
const REQUEST_FIELDS = ['verb', 'apiGroup', 'resource', 'subresource', 'namespace', 'name'] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function validate(options: ProxyOptions): void {
  const problems: string[] = [];
  if (!options || typeof options !== 'object') problems.push('options must be an object');
  else {
    if (
      typeof options.tls !== 'function' &&
      (typeof options.tls?.cert !== 'string' ||
        typeof options.tls?.key !== 'string' ||
        typeof options.tls?.userCaBundle !== 'string')
    )
      problems.push('tls must be a function or { cert, key, userCaBundle } PEM strings');
    if (typeof options.identityDecoder?.decodeUserCertificate !== 'function')
      problems.push('identityDecoder.decodeUserCertificate must be a function');
    if (typeof options.access?.forIdentity !== 'function')
      problems.push('access must be an AccessCheckerProvider (forIdentity)');
    if (typeof options.clusters?.get !== 'function' || typeof options.clusters?.subscribe !== 'function')
      problems.push('clusters must be a ClusterRegistry');
  }
  if (problems.length > 0)
    throw new RemotelerError('RMT_CONFIG_INVALID', `invalid proxy options: ${problems.join('; ')}`, {
      details: { problems },
    });
}

/**
 * Builds the Proxy Service: the mTLS listener and the request pipeline
 * authenticate -> route -> authorize -> impersonate -> forward, with the audit hook after every
 * exchange. Both plain requests and upgrade requests enter the same pipeline, so the 401 gate is
 * one code path.
 */
export function createProxy(options: ProxyOptions): RemotelerProxy {
  validate(options);
  const limits = resolveProxyLimits(options.limits);
  const now = options.now ?? (() => new Date());
  const onError = options.onError ?? (() => {});
  const sessionHooks = new SessionHooks({
    ...(options.auditSink && { audit: options.auditSink }),
    ...(options.recordings && { recordings: options.recordings }),
    ...(options.onSessionEvent && { onSessionEvent: options.onSessionEvent }),
    onError: (error) => onError(error),
    now,
  });
  const tlsMaterial =
    typeof options.tls === 'function' ? options.tls : () => options.tls as ListenerTlsMaterial;
  const listener = createTlsListener({
    material: tlsMaterial,
    ...(options.maxHeaderSize !== undefined && { maxHeaderSize: options.maxHeaderSize }),
    ...(options.headersTimeoutMs !== undefined && { headersTimeoutMs: options.headersTimeoutMs }),
    ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.http2 !== undefined && { http2: options.http2 }),
    ...(options.proxyProtocol && { proxyProtocol: options.proxyProtocol }),
    onError: (error) => onError(error),
  });
  const pool = new UpstreamPool(options.upstream);
  const sessions = new OpenSessions({
    // Whether an open session (watch, exec…) may go on: decided as for a new request, with the
    // locks and roles of now.
    check: (exchange, at) => {
      const { identity, cluster, attributes } = exchange;
      if (!identity || !cluster || !attributes) return undefined;
      try {
        return decideAccess(options.access, options.locks, identity, cluster, attributes, at);
      } catch (error) {
        // Fail closed: a session whose access cannot be re-established is ended.
        return RemotelerError.is(error)
          ? error
          : new RemotelerError('RMT_INTERNAL', 'access could not be re-checked', { cause: error });
      }
    },
    now: () => now().getTime(),
  });
  const steps: readonly ProxyStep[] = composePipeline(
    {
      authenticate: createAuthenticateStep(options.identityDecoder),
      route: createRouteStep(options.clusters),
      authorize: createAuthorizeStep(options.access, options.locks),
      impersonate: createImpersonateStep(),
      forward: createForwardStep(pool, sessions),
    },
    [
      { after: 'authenticate', step: createLimitsStep(limits, () => now().getTime()) },
      ...(options.steps ?? []),
    ],
  );
  // Startup check (and for clusters added later): the result is only reported, never fatal, since
  // an API server that is down now may be up by the first request.
  const reportCheck = (cluster: ProxyCluster) => {
    checkImpersonation(pool, cluster).then(
      (result) => {
        if (!result.users || !result.groups)
          onError(
            new RemotelerError(
              'RMT_PROXY_IMPERSONATION_UNAUTHORIZED',
              `the Proxy's credentials for cluster "${cluster.name}" may not impersonate ${!result.users ? 'users' : 'groups'}`,
              { details: { ...result } },
            ),
          );
      },
      (error: unknown) => {
        if (!closing) onError(error);
      },
    );
  };
  const unsubscribe = options.clusters.subscribe((event) => {
    if (event.type === 'removed') pool.release(event.cluster.name);
    else if (options.checkImpersonation !== false && listener.acceptor.listening) reportCheck(event.cluster);
  });
  const upgraded = new Set<Duplex>();
  // A role change that removes access, or a new lock, ends the sessions and watches they apply to
  // (not just the next request); each session is also checked when it opens.
  const unsubscribeRoles = options.access.onRolesChanged?.(() => sessions.recheck());
  const unsubscribeLocks = options.locks?.subscribe?.(() => sessions.recheck());
  let closing: Promise<void> | undefined;

  const audit = (exchange: ProxyExchange) => {
    if (!options.onAudit) return;
    const url = exchange.req.url ?? '';
    const queryAt = url.indexOf('?');
    // Built field by field: object spreads cost more than the rest of this function per request.
    const event: Mutable<ProxyAuditEvent> = {
      kind: exchange.kind,
      httpVersion: exchange.req.httpVersion,
      method: exchange.req.method ?? '',
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      startedAt: exchange.receivedAt,
      durationMs: now().getTime() - exchange.receivedAt.getTime(),
    };
    if (exchange.identity) event.username = exchange.identity.username;
    if (exchange.cluster) event.cluster = exchange.cluster.name;
    if (exchange.principals) {
      event.kubernetesUser = exchange.principals.user;
      event.kubernetesGroups = exchange.principals.groups;
    }
    if (exchange.status !== undefined) event.status = exchange.status;
    if (exchange.error) event.errorCode = exchange.error.code;
    if (exchange.clientAddress) event.clientAddress = exchange.clientAddress;
    const attributes = exchange.attributes;
    if (attributes)
      for (const key of REQUEST_FIELDS) {
        const value = attributes[key];
        if (value) event[key] = value;
      }
    try {
      options.onAudit(event);
    } catch (error) {
      onError(error);
    }
  };

  const handle = async (
    kind: ProxyExchange['kind'],
    req: ProxyRequest,
    res: ProxyResponse | undefined,
    socket: Duplex,
    head: Buffer | undefined,
    // Refused before the pipeline (and audited like any refusal).
    refusal?: RemotelerError,
  ) => {
    const exchange = new PipelineExchange(
      kind,
      req,
      res,
      socket,
      head,
      now(),
      req.socket ? listener.clientAddress(req.socket) : undefined,
    );
    if (kind === 'upgrade' && sessionHooks.enabled) exchange.relayObserver = sessionHooks.observe(exchange);
    const abortIfUnfinished = () => {
      if (!res || !responseFinished(res)) exchange.abort();
    };
    // 'close' comes once per response or socket: a plain listener, without once()'s wrapper.
    (res ?? socket).on('close', abortIfUnfinished);
    try {
      if (refusal) throw refusal;
      if (closing) throw new RemotelerError('RMT_PROXY_CLOSED', 'the Proxy is shutting down');
      await runPipeline(steps, exchange);
    } catch (error) {
      const known = RemotelerError.is(error)
        ? error
        : new RemotelerError('RMT_INTERNAL', 'the Proxy failed while handling the request', { cause: error });
      exchange.error = known;
      if (!RemotelerError.is(error) || known.category === 'internal' || known.category === 'unavailable')
        onError(error);
      if (!exchange.aborted) {
        if (res && !res.headersSent) exchange.status = known.status;
        else if (!res) exchange.status = known.status;
        if (res) sendStatus(res, known);
        else sendStatusOnSocket(socket, known, exchange.refusalHeaders);
      }
    } finally {
      audit(exchange);
    }
  };

  const webApi = options.webApi;
  const maxHeaderSize = options.maxHeaderSize ?? 16_384;
  const onRequest = (req: ProxyRequest, res: ProxyResponse) => {
    // node:http's parser answers an oversized HTTP/1.1 head itself; HTTP/2's limit is ours to keep.
    // Refused before the web API or any step reads the request, and audited.
    if (isHttp2Request(req) && headerListSize(req.rawHeaders) > maxHeaderSize) {
      const tooLarge = new RemotelerError(
        'RMT_PROXY_HEADERS_TOO_LARGE',
        `the request headers are larger than the ${maxHeaderSize} bytes the Proxy accepts`,
      );
      void handle('request', req, res, req.stream, undefined, tooLarge);
      return;
    }
    if (webApi && isWebApiPath(req.url)) {
      try {
        webApi(req, res, { clientAddress: listener.clientAddress(req.socket) });
      } catch (error) {
        onError(error);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'RMT_INTERNAL', message: 'the web API failed unexpectedly' }));
      }
      return;
    }
    // An HTTP/2 exchange's own transport is its stream: cutting it leaves the connection's other
    // streams alone.
    void handle('request', req, res, isHttp2Request(req) ? req.stream : req.socket, undefined);
  };
  listener.server.on('request', onRequest);
  listener.http2Server?.on('request', onRequest);
  listener.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (webApi && isWebApiPath(req.url)) {
      socket.on('error', () => socket.destroy());
      sendStatusOnSocket(
        socket,
        new RemotelerError('RMT_PROXY_WEB_API_UPGRADE', 'the web API does not accept connection upgrades'),
      );
      return;
    }
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    // An upgraded socket has no HTTP machinery left to report its errors; they end the session.
    socket.on('error', () => socket.destroy());
    void handle('upgrade', req, undefined, socket, head);
  });

  return {
    server: listener.server,
    steps: Object.freeze(steps.map((step) => step.name).concat('audit')),
    refreshTls: listener.refreshTls,
    checkCluster(name: string) {
      const cluster = options.clusters.get(name);
      if (!cluster) return Promise.reject(clusterNotFound(name));
      return checkImpersonation(pool, cluster);
    },
    listen(port = 0, host = '127.0.0.1') {
      return new Promise<AddressInfo>((resolve, reject) => {
        const server = listener.acceptor;
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          if (options.checkImpersonation !== false)
            for (const cluster of options.clusters.list()) reportCheck(cluster);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      closing ??= (async () => {
        unsubscribe();
        unsubscribeLocks?.();
        unsubscribeRoles?.();
        const server = listener.server;
        const acceptor = listener.acceptor;
        const stopped = new Promise<void>((resolve) => {
          if (!acceptor.listening) resolve();
          else acceptor.close(() => resolve());
        });
        server.closeIdleConnections();
        // GOAWAY: open streams go on until the deadline, new ones are refused.
        listener.closeHttp2Sessions(true);
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.closeTimeoutMs ?? 10_000);
          timer.unref();
        });
        await Promise.race([stopped, deadline]);
        clearTimeout(timer);
        server.closeAllConnections();
        listener.closeHttp2Sessions(false);
        for (const socket of upgraded) socket.destroy();
        await pool.close();
        await stopped;
        // Session audit events still on their way to the sink, within one more close deadline (a
        // sink that never answers must not hold close() forever; its events are then reported lost).
        let auditTimer: NodeJS.Timeout | undefined;
        const settled = await Promise.race([
          sessionHooks.settled().then(() => true),
          new Promise<boolean>((resolve) => {
            auditTimer = setTimeout(() => resolve(false), options.closeTimeoutMs ?? 10_000);
            auditTimer.unref();
          }),
        ]);
        clearTimeout(auditTimer);
        if (!settled)
          onError(
            new RemotelerError(
              'RMT_PROXY_AUDIT_FAILED',
              'session audit events were still pending when the Proxy closed',
            ),
          );
      })();
      return closing;
    },
  };
}
