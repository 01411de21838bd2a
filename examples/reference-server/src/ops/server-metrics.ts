import { type AuditEvent, RemotelerError } from '@remoteler/core';
import { type HostStep, isLongRunning, type ProxyAuditEvent, type ProxyExchange } from '@remoteler/proxy';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BoundedLabel } from './bounded-label.js';
import { registerProcessMetrics } from './process-metrics.js';

/** Options for {@link createServerMetrics}. */
export interface ServerMetricsOptions {
  /** Also export process and Node.js runtime metrics (CPU, memory, file descriptors, event loop lag). Default true. */
  readonly processMetrics?: boolean;
  /** Most distinct values of the `cluster` and `connector` labels; later ones are counted as `other`. Default 200. */
  readonly maxLabelValues?: number;
  /** Upper bounds of the request latency histogram, in seconds. Default 0.005 … 60. */
  readonly latencyBuckets?: readonly number[];
}

/** Kind of an interactive session, as the `kind` label of the session metrics shows it. */
export type SessionKind = 'exec' | 'attach' | 'portforward';

/**
 * The metrics of one Remoteler server, on a registry of its own (never prom-client's global one,
 * so several servers in one process keep separate counts). Feed it the events the packages already
 * produce: {@link ServerMetrics.onProxyAudit} as the Proxy's `onAudit`, {@link ServerMetrics.onAuditEvent}
 * through `createMetricsAuditSink` as the Proxy's and the Auth service's audit sink, and
 * {@link ServerMetrics.proxyStep} in the Proxy's `steps`.
 */
export interface ServerMetrics {
  /** The registry holding every metric of this server. */
  readonly registry: Registry;
  /** The Content-Type of {@link ServerMetrics.render}'s output (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** All metrics in the Prometheus text exposition format. */
  render(): Promise<string>;
  /** Counts one ended Proxy exchange (pass as `ProxyOptions.onAudit`, or call from yours). */
  onProxyAudit(event: ProxyAuditEvent): void;
  /** Counts logins, issued certificates and open sessions from core audit events. Never throws. */
  onAuditEvent(event: AuditEvent): void;
  /**
   * A Proxy host step (after `authorize`) that gives requests their Kubernetes verb label and
   * counts open watches. Without it requests are still counted, with verb `unknown`.
   */
  readonly proxyStep: HostStep;
  /** Stops the event loop monitor; later events are still counted. Idempotent. */
  close(): void;
}

// Verbs as the policy engine derives them from the request (k8s-protocols §0; apiserver
// RequestInfo); anything else is `other`, so the label stays bounded.
const KNOWN_VERBS = new Set([
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'exec',
  'attach',
  'portforward',
  'log',
  'proxy',
  'head',
  'options',
]);

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function validate(options: ServerMetricsOptions): void {
  const problems: string[] = [];
  const max = options.maxLabelValues;
  if (max !== undefined && (!Number.isInteger(max) || max < 1))
    problems.push('maxLabelValues must be a positive integer');
  const buckets = options.latencyBuckets;
  if (
    buckets !== undefined &&
    (!Array.isArray(buckets) ||
      buckets.length === 0 ||
      buckets.some((b, i) => typeof b !== 'number' || !(b > 0) || (i > 0 && b <= buckets[i - 1]!)))
  )
    problems.push('latencyBuckets must be positive numbers in increasing order');
  if (problems.length > 0)
    throw new RemotelerError('RMT_CONFIG_INVALID', `invalid metrics options: ${problems.join('; ')}`, {
      details: { problems },
    });
}

/** Which kind of session a `session.start` describes (the event carries no kind field). */
function sessionKind(event: {
  readonly protocol?: string;
  readonly command: readonly string[];
}): SessionKind {
  // Port-forward negotiates `portforward.k8s.io` (SPDY) or `SPDY/3.1+portforward.k8s.io` (the
  // WebSocket tunnel, kubectl 1.30+); exec always carries at least one `command=`, attach none.
  if (/portforward/i.test(event.protocol ?? '')) return 'portforward';
  return event.command.length > 0 ? 'exec' : 'attach';
}

/**
 * Creates the metrics of one server. See `docs/operations.md` for every metric, its labels and its
 * meaning.
 *
 * @throws RemotelerError `RMT_CONFIG_INVALID` for invalid options.
 */
export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  validate(options);
  const registry = new Registry();
  const registers = [registry];
  const maxValues = options.maxLabelValues ?? 200;
  const clusters = new BoundedLabel(maxValues);
  const connectors = new BoundedLabel(maxValues);
  const stopProcessMetrics = options.processMetrics === false ? () => {} : registerProcessMetrics(registry);

  const requests = new Counter({
    name: 'remoteler_proxy_requests_total',
    help: 'Kubernetes requests and session upgrades the Proxy finished, by cluster, Kubernetes verb and HTTP status code.',
    labelNames: ['cluster', 'verb', 'code'],
    registers,
  });
  const latency = new Histogram({
    name: 'remoteler_proxy_request_duration_seconds',
    help: 'Time from arrival to the end of the answer of Kubernetes requests through the Proxy (watches, logs -f and sessions excluded), by cluster and verb.',
    labelNames: ['cluster', 'verb'],
    buckets: [...(options.latencyBuckets ?? DEFAULT_BUCKETS)],
    registers,
  });
  const openWatches = new Gauge({
    name: 'remoteler_proxy_open_watches',
    help: 'Watch requests the Proxy is relaying now, by cluster.',
    labelNames: ['cluster'],
    registers,
  });
  const openSessions = new Gauge({
    name: 'remoteler_proxy_open_sessions',
    help: 'Interactive sessions (exec, attach, port-forward) open through the Proxy now, by cluster and kind.',
    labelNames: ['cluster', 'kind'],
    registers,
  });
  const sessions = new Counter({
    name: 'remoteler_proxy_sessions_total',
    help: 'Interactive sessions (exec, attach, port-forward) established through the Proxy, by cluster and kind.',
    labelNames: ['cluster', 'kind'],
    registers,
  });
  const certificates = new Counter({
    name: 'remoteler_auth_certificates_issued_total',
    help: 'Certificates the Auth service issued: user (login and reissue) and host (join), by kind.',
    labelNames: ['kind'],
    registers,
  });
  const logins = new Counter({
    name: 'remoteler_auth_logins_total',
    help: 'Login attempts the Auth service finished, by connector and result (success or failure).',
    labelNames: ['connector', 'result'],
    registers,
  });
  // Start the series at 0 so that rate() and absent() work before the first event.
  certificates.inc({ kind: 'user' }, 0);
  certificates.inc({ kind: 'host' }, 0);

  // The step learns the verb; the audit hook reports the end. ProxyAuditEvent.startedAt is the
  // exchange's receivedAt (the same Date object), which keys the two together without holding on to
  // the exchange.
  const verbs = new WeakMap<Date, string>();
  const longRunning = new WeakSet<Date>();
  const openSessionLabels = new Map<string, { cluster: string; kind: SessionKind }>();
  let closed = false;

  const proxyStep: HostStep = {
    after: 'authorize',
    step: {
      name: 'ops-metrics',
      run(exchange: ProxyExchange) {
        const verb = exchange.attributes?.verb;
        if (verb) verbs.set(exchange.receivedAt, KNOWN_VERBS.has(verb) ? verb : 'other');
        if (exchange.route && isLongRunning(exchange.route)) longRunning.add(exchange.receivedAt);
        if (verb !== 'watch' || !exchange.res) return;
        const labels = { cluster: clusters.value(exchange.cluster?.name ?? 'none') };
        openWatches.inc(labels);
        // 'close' follows the end of the answer as well as a cut connection: exactly once.
        exchange.res.once('close', () => openWatches.dec(labels));
      },
    },
  };

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    proxyStep,
    onProxyAudit(event) {
      const cluster = clusters.value(event.cluster ?? 'none');
      const verb = verbs.get(event.startedAt) ?? 'unknown';
      requests.inc({ cluster, verb, code: event.status === undefined ? 'none' : String(event.status) });
      if (event.kind === 'request' && verb !== 'watch' && !longRunning.has(event.startedAt))
        latency.observe({ cluster, verb }, Math.max(event.durationMs, 0) / 1000);
    },
    onAuditEvent(event) {
      switch (event.type) {
        case 'login.success':
        case 'login.failure':
          logins.inc({
            connector: connectors.value(event.connectorId),
            result: event.type === 'login.success' ? 'success' : 'failure',
          });
          return;
        case 'cert.issued':
        case 'cert.reissued':
          certificates.inc({ kind: 'user' });
          return;
        case 'join_token.used':
          // Joining is the one way a host certificate is issued and audited (renewals are not).
          certificates.inc({ kind: 'host' });
          return;
        case 'session.start': {
          if (openSessionLabels.has(event.sessionId)) return;
          const labels = { cluster: clusters.value(event.cluster), kind: sessionKind(event) };
          openSessionLabels.set(event.sessionId, labels);
          openSessions.inc(labels);
          sessions.inc(labels);
          return;
        }
        case 'session.end': {
          const labels = openSessionLabels.get(event.sessionId);
          if (!labels) return;
          openSessionLabels.delete(event.sessionId);
          openSessions.dec(labels);
          return;
        }
        default:
          return;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      stopProcessMetrics();
    },
  };
}
