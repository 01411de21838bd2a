import type { Traits, UserType } from '../types/identity.js';

/** Which login flows a connector offers; callers check these instead of catching "not implemented". */
export interface IdentityConnectorCapabilities {
  /** Browser redirect login (OIDC, SAML): `beginLogin` and `completeLogin` are present. */
  readonly redirectLogin: boolean;
  /** Username and password checked by the connector (local users, LDAP): `authenticatePassword` is present. */
  readonly passwordLogin: boolean;
}

/** Input of {@link IdentityConnector.beginLogin}. */
export interface BeginLoginRequest {
  /**
   * The Auth service's callback URL registered with the identity provider, to which the IdP sends
   * the browser back (not the client's loopback URL, which Auth redirects to afterwards).
   */
  readonly redirectUri: string;
  /** Extra scopes to request beyond the connector's configured ones. */
  readonly scopes?: readonly string[];
}

/**
 * What a connector needs to remember between begin and complete, as JSON-serialisable data, so that
 * any Auth replica can complete a login another one began. It holds secrets (PKCE verifier, nonce):
 * keep it server-side keyed by `state`, never in the browser, and drop it after one completion.
 */
export type LoginSession = Readonly<Record<string, string | number | boolean | null>>;

/** Output of {@link IdentityConnector.beginLogin}. */
export interface BeginLoginResult {
  /** Where to send the browser. */
  readonly authorizationUrl: string;
  /** The OAuth `state` (≥128 bits of randomness) the callback must carry back. */
  readonly state: string;
  /** Server-side memory of this attempt, passed back to `completeLogin`. */
  readonly session: LoginSession;
  /** Milliseconds since the epoch after which `completeLogin` refuses this attempt. */
  readonly expiresAt: number;
}

/** Input of {@link IdentityConnector.completeLogin}. */
export interface CompleteLoginRequest {
  /** The full callback URL the identity provider redirected the browser to (with `code`, `state`…). */
  readonly callbackUrl: string;
  /** The `session` that `beginLogin` returned for this attempt. */
  readonly session: LoginSession;
}

/** Who a connector says the user is. Auth maps `claims` to roles with `claims_to_roles`. */
export interface ExternalIdentity {
  /** The connector that authenticated the user. */
  readonly connectorId: string;
  /** The Remoteler username (the certificate CN). */
  readonly username: string;
  /** `local` for users Remoteler manages, `sso` for identity-provider users. */
  readonly userType: UserType;
  /**
   * Claims as string lists (`groups`, `email`…), exposed to role templates as `external.<claim>`.
   * Single values are one-element lists. Never holds tokens or other secrets.
   */
  readonly claims: Traits;
  /** Roles the connector grants directly (local users); undefined when roles come from claims mapping. */
  readonly roles?: readonly string[];
  /** Milliseconds since the epoch when the IdP's session ends; certificates should not outlive it. */
  readonly expiresAt?: number;
}

/**
 * An identity connector: turns a login at some identity provider into an {@link ExternalIdentity}.
 * Members of a flow exist exactly when `capabilities` declares that flow (see the `supports…`
 * guards). Errors: `RMT_AUTH_INVALID_CREDENTIALS`, `RMT_AUTH_LOCKED_OUT`, `RMT_AUTH_USER_DISABLED`,
 * `RMT_CONNECTOR_LOGIN_INVALID`, `RMT_CONNECTOR_CLOSED`, or a connector-specific `RMT_…` code.
 */
export interface IdentityConnector {
  /** Unique among the connectors of one Auth service; appears in certificates and audit events. */
  readonly id: string;
  /** The implementation, e.g. `local`, `oidc`, `okta`, `ldap`. */
  readonly kind: string;
  /** Shown on login pages and in `remoteler login` prompts. */
  readonly displayName: string;
  readonly capabilities: IdentityConnectorCapabilities;
  /** Starts a redirect login. Present when `capabilities.redirectLogin`. */
  beginLogin?(request: BeginLoginRequest): Promise<BeginLoginResult>;
  /**
   * Finishes a redirect login from the IdP's callback. Refuses (RMT_CONNECTOR_LOGIN_INVALID) a
   * callback whose state does not match the session, an expired session, or an IdP error answer.
   */
  completeLogin?(request: CompleteLoginRequest): Promise<ExternalIdentity>;
  /**
   * Checks a username and password. Unknown users and wrong passwords get the same error, in the
   * same time. Present when `capabilities.passwordLogin`.
   */
  authenticatePassword?(username: string, password: string): Promise<ExternalIdentity>;
  /** Releases resources (connections, timers); idempotent. Later calls fail with RMT_CONNECTOR_CLOSED. */
  close(): Promise<void>;
}

/** A connector that offers redirect login. */
export type RedirectLoginConnector = IdentityConnector &
  Required<Pick<IdentityConnector, 'beginLogin' | 'completeLogin'>>;

/** A connector that offers password login. */
export type PasswordLoginConnector = IdentityConnector &
  Required<Pick<IdentityConnector, 'authenticatePassword'>>;

/** True when the connector declares redirect login and has its methods. */
export function supportsRedirectLogin(connector: IdentityConnector): connector is RedirectLoginConnector {
  return (
    connector.capabilities.redirectLogin &&
    typeof connector.beginLogin === 'function' &&
    typeof connector.completeLogin === 'function'
  );
}

/** True when the connector declares password login and has its method. */
export function supportsPasswordLogin(connector: IdentityConnector): connector is PasswordLoginConnector {
  return connector.capabilities.passwordLogin && typeof connector.authenticatePassword === 'function';
}
