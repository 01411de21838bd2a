// Operations of the reference server: structured logs without secrets, Prometheus metrics on a
// registry of the server's own, the diagnostics listener (/healthz, /readyz, /metrics) and the
// graceful shutdown / reload coordinator. See docs/operations.md.
export { BoundedLabel, OTHER_LABEL_VALUE } from './bounded-label.js';
export {
  type DiagServer,
  type DiagServerOptions,
  type MetricsSource,
  type Readiness,
  type ReadinessCheck,
  startDiagServer,
} from './diag-server.js';
export {
  type CreateLoggerOptions,
  createLogger,
  LOG_LEVELS,
  type LogLevel,
  type RemotelerLogger,
} from './logger.js';
export { createMetricsAuditSink } from './metrics-audit-sink.js';
export { registerProcessMetrics } from './process-metrics.js';
export {
  createProxyRequestLog,
  type ProxyRequestLog,
  type ProxyRequestLogOptions,
} from './proxy-request-log.js';
export { isSecretKey, REDACTED, redactSecrets, redactText } from './redaction.js';
export { createRequestId, requestIdFrom } from './request-id.js';
export {
  createServerMetrics,
  type ServerMetrics,
  type ServerMetricsOptions,
  type SessionKind,
} from './server-metrics.js';
export { createSessionDrain, type SessionDrain, type SessionDrainOptions } from './session-drain.js';
export {
  createShutdown,
  type ReloadHandler,
  type Shutdown,
  type ShutdownOptions,
  type ShutdownResult,
  type ShutdownState,
  type ShutdownStep,
  type SignalSource,
} from './shutdown.js';
export {
  JsonValueBoundary,
  LengthPrefixedBoundary,
  SpdyFrameBoundary,
  type StreamBoundary,
  WebSocketFrameBoundary,
} from './stream-boundaries.js';
