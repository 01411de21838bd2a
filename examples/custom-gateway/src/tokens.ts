import type { AuthHttpServer, AuthService } from '@remoteler/auth';
import type { X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import { type AccessCheckerProvider, createToken } from '@remoteler/core';
import type { LockStoreSource, MemoryClusterRegistry, RemotelerProxy } from '@remoteler/proxy';
import type { ApiKeyConnector, HostAccountLookup } from './api-key-connector.js';
import type { GatewayConfig } from './gateway-config.js';
import type { ListenerCertificate } from './listener-certificate.js';
import type { ProxyAuditBridge } from './proxy-audit-bridge.js';

// The gateway's own tokens, beside core's (AUDIT_SINK, ROLE_STORE, IDENTITY_CONNECTORS…). Ids are
// prefixed with the package name: a token's key is `Symbol.for(id)`, shared process-wide.

/** The validated, frozen configuration. */
export const GATEWAY_CONFIG = createToken<GatewayConfig>('custom-gateway.config');
/** The host's account lookup (its user database). */
export const HOST_ACCOUNTS = createToken<HostAccountLookup>('custom-gateway.host-accounts');
/** The API-key connector built on {@link HOST_ACCOUNTS}. */
export const API_KEY_CONNECTOR = createToken<ApiKeyConnector>('custom-gateway.api-key-connector');
/** Signs user certificates. */
export const USER_CA = createToken<X509CertificateAuthority>('custom-gateway.user-ca');
/** Signs host certificates (the Auth and Proxy listeners). */
export const HOST_CA = createToken<X509CertificateAuthority>('custom-gateway.host-ca');
/** Verifies and decodes user and host certificates against the two CAs. */
export const IDENTITY_DECODER = createToken<X509IdentityDecoder>('custom-gateway.identity-decoder');
/** Policy decisions from the current role definitions. */
export const ACCESS_CHECKERS = createToken<AccessCheckerProvider>('custom-gateway.access-checkers');
/** Where unexpected failures go (the host's logger). */
export const ERROR_HANDLER = createToken<(error: unknown) => void>('custom-gateway.error-handler');
/** The Auth service (Auth scope). */
export const AUTH_SERVICE = createToken<AuthService>('custom-gateway.auth-service');
/** The Auth HTTPS API (Auth scope). */
export const AUTH_SERVER = createToken<AuthHttpServer>('custom-gateway.auth-server');
/** The clusters the Proxy routes to (Proxy scope). */
export const CLUSTER_REGISTRY = createToken<MemoryClusterRegistry>('custom-gateway.cluster-registry');
/** The Proxy listener's key and renewed host certificate (Proxy scope). */
export const LISTENER_CERTIFICATE = createToken<ListenerCertificate>('custom-gateway.listener-certificate');
/** The lock store as the Proxy reads it (Proxy scope). */
export const LOCK_SOURCE = createToken<LockStoreSource>('custom-gateway.lock-source');
/** Turns the Proxy's per-exchange audit hook into `kube.request` events (Proxy scope). */
export const PROXY_AUDIT = createToken<ProxyAuditBridge>('custom-gateway.proxy-audit');
/** The Proxy (Proxy scope). */
export const PROXY = createToken<RemotelerProxy>('custom-gateway.proxy');
