import type {
  AuditSink,
  CertificateAuthority,
  CertificateIdentityDecoder,
  ClaimMapping,
  Clock,
  ClusterStore,
  HostRole,
  IdentityConnector,
  LockStore,
  RoleStore,
  UserStore,
} from '@remoteler/core';
import type { RateLimit } from './rate-limiter.js';

/** A connector as the Auth service uses it, with the mapping of its claims to roles. */
export interface ConnectorRegistration {
  readonly connector: IdentityConnector;
  /**
   * How the connector's claims map to roles (design §4). Default `[]`: only roles the connector
   * grants directly (local users) and the user resource's roles apply.
   */
  readonly claimsToRoles?: readonly ClaimMapping[];
}

/** Options of {@link AuthService.create}. Validated once at construction. */
export interface AuthServiceOptions {
  /** The Remoteler cluster name: in `GET /v1/ping`, certificates (`remotelerCluster`) and host identities. */
  readonly clusterName: string;
  /** Signs user certificates (kind `user`). */
  readonly userCa: CertificateAuthority;
  /** Signs host certificates (kind `host`) for joins and the Auth server's own TLS. */
  readonly hostCa: CertificateAuthority;
  /**
   * Verifies and decodes presented certificates against the user and host bundles. Give one that
   * follows CA rotation (or make a new service after a rotation).
   */
  readonly certificateDecoder: CertificateIdentityDecoder;
  /** Identity connectors, ids unique. */
  readonly connectors: readonly ConnectorRegistration[];
  readonly roles: RoleStore;
  readonly users: UserStore;
  readonly clusters: ClusterStore;
  readonly locks: LockStore;
  readonly audit: AuditSink;
  /**
   * Roles whose holders may use the admin API. Admin permission is a configured list of role names
   * (not a rule inside the role spec), and a listed role counts only while the role store still
   * holds it. Default `['admin']`.
   */
  readonly adminRoles?: readonly string[];
  /**
   * The Auth service's SSO callback URL as registered with identity providers, e.g.
   * `https://auth.example.com/v1/sso/callback`. Required when a redirect connector is configured.
   */
  readonly ssoCallbackUrl?: string;
  /** The Proxy's Kubernetes address (`host:port`) announced by `GET /v1/ping`. */
  readonly proxyKubeAddress?: string;
  /** Time source, ms since the epoch. Default `Date.now`. */
  readonly clock?: Clock;
  /** `max_session_ttl` of a role that sets none, in ms. Default 12 h (the policy engine's default). */
  readonly defaultMaxSessionTtlMs?: number;
  /** Lifetime of an SSO one-time code in ms. Default and maximum 60 000 (design §2). */
  readonly codeTtlMs?: number;
  /** How long an SSO login may take at the identity provider, in ms. Default 10 minutes. */
  readonly pendingLoginTtlMs?: number;
  /** SSO logins in progress (and unredeemed codes) held at most. Default 10 000. */
  readonly maxPendingLogins?: number;
  /** Password attempts per username. Default 10 per minute. */
  readonly passwordLimitPerUser?: RateLimit;
  /** Password attempts per source address. Default 50 per minute. */
  readonly passwordLimitPerSource?: RateLimit;
  /** Lifetime of host certificates issued by joins and renewals, in ms. Default 24 h. */
  readonly hostCertificateTtlMs?: number;
  /** Longest join token lifetime an admin may ask for, in ms. Default 1 h. */
  readonly maxJoinTokenTtlMs?: number;
  /**
   * Join tokens the operator provisions (from a Kubernetes Secret, a file, the environment) for
   * hosts that must be able to join again after losing their state, such as a Proxy pod whose
   * host certificate lived in an emptyDir. Unlike tokens from `createJoinToken`, these stay valid
   * until removed from the options: keep them secret like a password and rotate them. Each must
   * be at least 32 characters (use 256 random bits); every use is audited (`join_token.used`, with
   * the token's `name`, never its value).
   */
  readonly provisionedJoinTokens?: readonly ProvisionedJoinToken[];
}

/** A reusable join token from the operator (see {@link AuthServiceOptions.provisionedJoinTokens}). */
export interface ProvisionedJoinToken {
  /** Non-secret name, for audit events and logs. */
  readonly name: string;
  readonly role: HostRole;
  /** The secret. Never logged or audited. */
  readonly token: string;
}
