export type { AccessCheckerSource } from './access/access-checker-source.js';
export { findLock, type LockSource, lockedError } from './access/lock-source.js';
export { LockStoreSource } from './access/lock-store-source.js';
export {
  type AccessReviewRequest,
  type AskCluster,
  answerAccessReview,
  answerRulesReview,
  decodeAccessReview,
  MAX_REVIEW_BODY_BYTES,
  REVIEW_RESOURCES,
  type ReviewAnswer,
  type ReviewNonResourceAttributes,
  type ReviewResourceAttributes,
  readAccessReview,
  reviewedNonResourceAttributes,
  reviewedResourceAttributes,
  reviewKindOf,
  type UpstreamReviewAnswer,
} from './access-review/index.js';
export {
  createListFilter,
  createWatchFilter,
  DEFAULT_MAX_OBJECT_BYTES,
  type FilteredRequest,
  type ListFilterOptions,
  negotiateFilteredRequest,
  type WatchFilterOptions,
} from './filtering/index.js';
export type { UserCertificateDecoder } from './identity/user-certificate-decoder.js';
export {
  encodePrincipal,
  type ImpersonatedPrincipals,
  type RequestedPrincipals,
  readRequestedPrincipals,
} from './impersonation/impersonation.js';
export {
  buildUpstreamHeaders,
  connectionTokens,
  FORWARDED_REQUEST_HEADERS,
  FORWARDED_UPGRADE_HEADERS,
  HOP_BY_HOP_HEADERS,
  responseHeadersForClient,
  type UpstreamHeaderInput,
} from './impersonation/upstream-headers.js';
export { UserConcurrencyLimiter } from './limits/concurrency-limiter.js';
export { createLimitsStep } from './limits/limits-step.js';
export {
  DEFAULT_PROXY_LIMITS,
  type ProxyLimits,
  type ResolvedProxyLimits,
  resolveProxyLimits,
} from './limits/proxy-limits.js';
export { type RateDecision, UserRateLimiter, type UserRateLimiterOptions } from './limits/rate-limiter.js';
export {
  headersDistinctOf,
  isHttp2Request,
  type ProxyRequest,
  type ProxyResponse,
  requestHasBody,
} from './listener/http-messages.js';
export { type ProxyHeader, readProxyHeader } from './listener/proxy-protocol.js';
export {
  createProxyProtocolAcceptor,
  type ProxyProtocolAcceptor,
  type ProxyProtocolOptions,
} from './listener/proxy-protocol-acceptor.js';
export {
  createTlsListener,
  type ListenerTlsMaterial,
  type TlsListener,
  type TlsListenerOptions,
} from './listener/tls-listener.js';
export type { ProxyAuditEvent } from './pipeline/audit-event.js';
export { established, type ProxyExchange } from './pipeline/exchange.js';
export { OpenSessions } from './pipeline/open-sessions.js';
export {
  composePipeline,
  type HostStep,
  type ProxyStep,
  runPipeline,
  SECURITY_STEPS,
  type SecurityStepName,
} from './pipeline/pipeline.js';
export { createAuthenticateStep } from './pipeline/steps/authenticate.js';
export { createAuthorizeStep } from './pipeline/steps/authorize.js';
export { createForwardStep, isLongRunning } from './pipeline/steps/forward.js';
export { createImpersonateStep } from './pipeline/steps/impersonate.js';
export { createRouteStep } from './pipeline/steps/route.js';
export { createProxy, type ProxyOptions, type RemotelerProxy, type WebApiContext } from './proxy.js';
export { isValidClusterName, type ProxyCluster } from './routing/cluster.js';
export {
  type ClusterRegistry,
  type ClusterRegistryEvent,
  MemoryClusterRegistry,
} from './routing/cluster-registry.js';
export { guardRequestTarget, type RequestTarget } from './routing/path-guard.js';
export { clusterNotFound, type RouteTarget, routeRequest } from './routing/route-request.js';
export { type AsciicastOptions, toAsciicast } from './sessions/asciicast.js';
export type { RelayObserver } from './sessions/relay-observer.js';
export { type SessionEvent, SessionHooks, type SessionHooksOptions } from './sessions/session-hooks.js';
export { describeSession, type SessionInfo } from './sessions/session-info.js';
export { type KubeStatus, kubeStatusFor, sendStatus, sendStatusOnSocket } from './status/kube-status.js';
export { checkImpersonation, type ImpersonationCheckResult } from './upstream/impersonation-check.js';
export { type KubeconfigEntry, readKubeconfig } from './upstream/kubeconfig.js';
export {
  type ResolvedUpstream,
  type ResolveUpstreamOptions,
  resolveUpstream,
  type UpstreamTls,
} from './upstream/resolve-upstream.js';
export { TokenFileSource, type TokenFileSourceOptions } from './upstream/token-file-source.js';
export type {
  BearerTokenCredentials,
  ClientCertificateCredentials,
  KubeconfigCredentials,
  ServiceAccountCredentials,
  UpstreamCredentials,
} from './upstream/upstream-credentials.js';
export { type ClusterDispatchers, UpstreamPool, type UpstreamPoolOptions } from './upstream/upstream-pool.js';
export {
  type AuthForwarder,
  type AuthForwarderOptions,
  type AuthForwarderTls,
  createAuthForwarder,
} from './web/auth-forwarder.js';
export { isWebApiPath } from './web/web-api-path.js';
