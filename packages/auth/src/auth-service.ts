import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  type AccessChecker,
  type AccessCheckerProvider,
  type AuditEvent,
  type AuditEventFields,
  type AuditEventType,
  type AuditSink,
  type ClaimsToRolesMatcher,
  type Clock,
  compileClaimsToRoles,
  createAccessCheckerProvider,
  createAuditEvent,
  type DecodedHostCertificate,
  type DecodedUserCertificate,
  type ExternalIdentity,
  type HostRole,
  type Identity,
  type IdentityConnector,
  type KubeCluster,
  lockApplies,
  RemotelerError,
  supportsPasswordLogin,
  supportsRedirectLogin,
  systemClock,
  type Traits,
} from '@remoteler/core';
import { ExpiringMap } from './expiring-map.js';
import { checkLoopbackRedirect } from './loopback-redirect.js';
import type { AuthServiceOptions } from './options.js';
import { checkS256Challenge, verifierMatches } from './pkce.js';
import { type CheckedPublicKey, checkPublicKey } from './public-key.js';
import { FixedWindowLimiter } from './rate-limiter.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MAX_CODE_TTL_MS = MINUTE;

/** A user certificate the Auth service issued. */
export interface IssuedUserCertificate {
  /** PEM of the certificate (for the private key the caller kept). */
  readonly certificatePem: string;
  readonly serialNumber: string;
  /** RFC 3339 expiry. */
  readonly notAfter: string;
  readonly username: string;
  readonly roles: readonly string[];
  /** The cluster the certificate is pinned to, if any. */
  readonly kubernetesCluster?: string;
}

/** A host certificate issued by a join or a renewal. */
export interface IssuedHostCertificate {
  readonly certificatePem: string;
  readonly serialNumber: string;
  /** RFC 3339 expiry: renew before it. */
  readonly notAfter: string;
  readonly hostId: string;
  readonly role: HostRole;
  /** PEM bundle of the host CA (to verify the Auth server and other hosts). */
  readonly hostCaPem: string;
  /** PEM bundle of the user CA (what a Proxy trusts for kubectl clients). */
  readonly userCaPem: string;
}

/** What `GET /v1/ping` tells clients. */
export interface PingInfo {
  readonly clusterName: string;
  readonly connectors: ReadonlyArray<{
    readonly id: string;
    readonly kind: string;
    readonly displayName: string;
    readonly redirectLogin: boolean;
    readonly passwordLogin: boolean;
  }>;
  readonly proxyKubeAddress?: string;
  /** `sha256:<hex>` of every trusted CA certificate, for pinning. */
  readonly caFingerprints: { readonly user: readonly string[]; readonly host: readonly string[] };
}

/** A cluster a user may use, as `GET /v1/kube/clusters` lists it. */
export interface AllowedCluster {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly kubernetesUsers: readonly string[];
  readonly kubernetesGroups: readonly string[];
}

/** Where a request came from, for audit and per-source limits. */
export interface RequestContext {
  /** The client address as the server saw it. */
  readonly clientIp?: string;
}

/** Input of {@link AuthService.loginWithPassword}. */
export interface PasswordLoginRequest extends RequestContext {
  /** Default: the only connector that offers password login. */
  readonly connectorId?: string;
  readonly username: string;
  /** Never stored, logged or audited. */
  readonly password: string;
  /** SPKI PEM of the key the certificate is for. */
  readonly publicKey: string;
  /** Requested lifetime in ms; default and maximum: the roles' `max_session_ttl`. */
  readonly ttlMs?: number;
  /** Pin the certificate to this cluster. */
  readonly kubernetesCluster?: string;
}

/** Input of {@link AuthService.startSsoLogin} (design §2). */
export interface SsoStartRequest extends RequestContext {
  readonly connectorId: string;
  /** SPKI PEM of the key the certificate will be issued for. */
  readonly publicKey: string;
  /** BASE64URL(SHA-256(verifier)), RFC 7636. */
  readonly codeChallenge: string;
  /** Must be `S256`. */
  readonly codeChallengeMethod: string;
  /** `http://127.0.0.1:PORT/callback` or `http://[::1]:PORT/callback`. */
  readonly redirectUri: string;
  /** The client's own state, echoed to the loopback so it can tell its login from a forged one. */
  readonly clientState: string;
  /** Requested certificate lifetime in ms. */
  readonly ttlMs?: number;
}

/** Input of {@link AuthService.redeemSsoCode}. */
export interface SsoRedeemRequest extends RequestContext {
  readonly code: string;
  readonly codeVerifier: string;
  /** Must be the key given at start. */
  readonly publicKey: string;
  /** Must be the redirect given at start. */
  readonly redirectUri: string;
}

/** Input of {@link AuthService.reissue}. */
export interface ReissueRequest extends RequestContext {
  /**
   * SPKI PEM of the key for the new certificate. Over HTTPS this is the key of the presented
   * client certificate, so a reissue never moves an identity to another key.
   */
  readonly publicKey: string;
  /** Pin to this cluster (must be one the user may use). Default: the current pin. */
  readonly kubernetesCluster?: string;
  /** Lifetime in ms; default: up to the current certificate's expiry. Never beyond it. */
  readonly ttlMs?: number;
  /** Narrow to these roles (each must be in the current certificate). Default: the same roles. */
  readonly roles?: readonly string[];
}

/** Input of {@link AuthService.join}. */
export interface JoinRequest extends RequestContext {
  readonly token: string;
  readonly publicKey: string;
  /** Stable id of the joining host (its certificate CN). */
  readonly hostId: string;
  /** What joins; must match the token's role. */
  readonly role: HostRole;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

/** What {@link AuthService.issueJoinToken} needs. */
export interface JoinTokenRequest {
  readonly role: HostRole;
  /** Lifetime in ms; default 15 minutes, at most `maxJoinTokenTtlMs`. */
  readonly ttlMs?: number;
  /** Who creates it (an admin's username, or the operator's tool), for the audit event. */
  readonly createdBy: string;
  readonly clientIp?: string;
}

/** A new join token: `token` is the secret, shown once. */
export interface CreatedJoinToken {
  /** Non-secret name (for audit and listing). */
  readonly name: string;
  /** The secret the host presents once. Never stored: the service keeps only its SHA-256. */
  readonly token: string;
  readonly role: HostRole;
  /** RFC 3339. */
  readonly expiresAt: string;
}

interface ResolvedLogin {
  readonly identity: Identity;
  readonly maxTtlMs: number;
  readonly expiresAt?: number;
}

interface PendingSso {
  readonly connectorId: string;
  readonly session: Readonly<Record<string, string | number | boolean | null>>;
  readonly publicKey: CheckedPublicKey;
  /** The public key exactly as the client sent it at start: the same text at redeem needs no parsing. */
  readonly publicKeyText: string;
  readonly challenge: string;
  readonly redirectUri: string;
  readonly clientState: string;
  readonly ttlMs?: number;
  readonly clientIp?: string;
}

interface IssuedCode {
  readonly login: ResolvedLogin;
  readonly publicKey: CheckedPublicKey;
  readonly publicKeyText: string;
  readonly challenge: string;
  readonly redirectUri: string;
  readonly ttlMs?: number;
}

interface JoinTokenRecord {
  readonly name: string;
  readonly role: HostRole;
  /** Settles `true` once `join_token.created` is stored; `false` when the sink refused it (the token is then dead). */
  readonly recorded: Promise<boolean>;
}

type ConnectorEntry = { readonly connector: IdentityConnector; readonly mapping: ClaimsToRolesMatcher };

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isoTime(date: Date): string {
  return date.toISOString();
}

function sameKey(a: CheckedPublicKey, b: CheckedPublicKey): boolean {
  return a.der.equals(b.der);
}

/**
 * The Auth service: turns a login at an identity connector into a short-lived user certificate,
 * reissues certificates for valid identities, exchanges join tokens for host certificates and
 * applies admin changes, auditing each. Composed only from core contracts (CAs, connectors,
 * stores, audit sink) and the policy engine; no network code (see `AuthHttpServer`).
 */
export class AuthService {
  readonly clusterName: string;
  readonly #options: AuthServiceOptions;
  readonly #clock: Clock;
  readonly #provider: AccessCheckerProvider;
  readonly #connectors: ReadonlyMap<string, ConnectorEntry>;
  readonly #adminRoles: ReadonlySet<string>;
  readonly #pending: ExpiringMap<PendingSso>;
  readonly #codes: ExpiringMap<IssuedCode>;
  readonly #joinTokens: ExpiringMap<JoinTokenRecord>;
  readonly #perUser: FixedWindowLimiter;
  readonly #perSource: FixedWindowLimiter;
  readonly #codeTtlMs: number;
  readonly #pendingTtlMs: number;
  readonly #hostTtlMs: number;
  readonly #maxJoinTtlMs: number;
  /** Provisioned join tokens, by SHA-256 digest (the secrets themselves are not kept). */
  readonly #provisioned: readonly {
    readonly name: string;
    readonly role: HostRole;
    readonly digest: Buffer;
  }[];
  #closed = false;

  private constructor(options: AuthServiceOptions, provider: AccessCheckerProvider) {
    this.#options = options;
    this.clusterName = options.clusterName;
    this.#clock = options.clock ?? systemClock;
    this.#provider = provider;
    const connectors = new Map<string, ConnectorEntry>();
    for (const { connector, claimsToRoles } of options.connectors)
      connectors.set(connector.id, { connector, mapping: compileClaimsToRoles(claimsToRoles ?? []) });
    this.#connectors = connectors;
    this.#adminRoles = new Set(options.adminRoles ?? ['admin']);
    const capacity = options.maxPendingLogins ?? 10_000;
    this.#pending = new ExpiringMap(this.#clock, capacity);
    this.#codes = new ExpiringMap(this.#clock, capacity);
    this.#joinTokens = new ExpiringMap(this.#clock, capacity);
    this.#perUser = new FixedWindowLimiter(
      options.passwordLimitPerUser ?? { max: 10, windowMs: MINUTE },
      this.#clock,
    );
    this.#perSource = new FixedWindowLimiter(
      options.passwordLimitPerSource ?? { max: 50, windowMs: MINUTE },
      this.#clock,
    );
    this.#codeTtlMs = options.codeTtlMs ?? MAX_CODE_TTL_MS;
    this.#pendingTtlMs = options.pendingLoginTtlMs ?? 10 * MINUTE;
    this.#hostTtlMs = options.hostCertificateTtlMs ?? 24 * HOUR;
    this.#maxJoinTtlMs = options.maxJoinTokenTtlMs ?? HOUR;
    this.#provisioned = (options.provisionedJoinTokens ?? []).map((t) => ({
      name: t.name,
      role: t.role,
      digest: createHash('sha256').update(t.token, 'utf8').digest(),
    }));
  }

  /**
   * Checks the options (every problem at once, `RMT_CONFIG_INVALID`), starts following the role
   * store, and returns the service.
   */
  static async create(options: AuthServiceOptions): Promise<AuthService> {
    const problems: string[] = [];
    if (typeof options.clusterName !== 'string' || options.clusterName === '')
      problems.push('clusterName: must be a non-empty string');
    if (options.userCa?.kind !== 'user') problems.push('userCa: must be a CertificateAuthority of kind user');
    if (options.hostCa?.kind !== 'host') problems.push('hostCa: must be a CertificateAuthority of kind host');
    if (!Array.isArray(options.connectors)) problems.push('connectors: must be a list (it may be empty)');
    const ids = new Set<string>();
    for (const [i, { connector }] of (options.connectors ?? []).entries()) {
      if (ids.has(connector.id)) problems.push(`connectors[${i}]: duplicate connector id ${connector.id}`);
      ids.add(connector.id);
      if (supportsRedirectLogin(connector) && !options.ssoCallbackUrl)
        problems.push(`ssoCallbackUrl: required because connector ${connector.id} offers redirect login`);
    }
    if (options.ssoCallbackUrl !== undefined && !URL.canParse(options.ssoCallbackUrl))
      problems.push('ssoCallbackUrl: must be an absolute URL');
    const codeTtl = options.codeTtlMs ?? MAX_CODE_TTL_MS;
    if (!(codeTtl > 0 && codeTtl <= MAX_CODE_TTL_MS)) problems.push('codeTtlMs: must be in (0, 60000]');
    for (const key of [
      'pendingLoginTtlMs',
      'maxPendingLogins',
      'hostCertificateTtlMs',
      'maxJoinTokenTtlMs',
    ] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0))
        problems.push(`${key}: must be a positive integer`);
    }
    for (const [i, t] of (options.provisionedJoinTokens ?? []).entries()) {
      if (typeof t?.name !== 'string' || t.name === '')
        problems.push(`provisionedJoinTokens[${i}].name: must be a non-empty string`);
      if (t?.role !== 'proxy' && t?.role !== 'agent')
        problems.push(`provisionedJoinTokens[${i}].role: must be proxy or agent`);
      // The length only, never the value: this message may reach a log.
      if (typeof t?.token !== 'string' || t.token.length < 32)
        problems.push(
          `provisionedJoinTokens[${i}].token: must be at least 32 characters (use 256 random bits)`,
        );
    }
    if (problems.length > 0)
      throw new RemotelerError(
        'RMT_CONFIG_INVALID',
        `AuthService options are invalid: ${problems.join('; ')}`,
        {
          details: { problems },
        },
      );
    // Each connector's mapping is compiled here so that a bad claims_to_roles fails at start.
    for (const { claimsToRoles } of options.connectors ?? []) compileClaimsToRoles(claimsToRoles ?? []);
    const provider = await createAccessCheckerProvider({
      roleStore: options.roles,
      ...(options.defaultMaxSessionTtlMs === undefined
        ? {}
        : { checker: { defaultMaxSessionTtlMs: options.defaultMaxSessionTtlMs } }),
    });
    return new AuthService(Object.freeze({ ...options }), provider);
  }

  /** The stores and CAs the service was built with (for the HTTP layer's admin routes). */
  get options(): AuthServiceOptions {
    return this.#options;
  }

  /** The facts `GET /v1/ping` returns. */
  ping(): PingInfo {
    this.#assertOpen();
    return {
      clusterName: this.clusterName,
      connectors: [...this.#connectors.values()].map(({ connector }) => ({
        id: connector.id,
        kind: connector.kind,
        displayName: connector.displayName,
        redirectLogin: supportsRedirectLogin(connector),
        passwordLogin: supportsPasswordLogin(connector),
      })),
      ...(this.#options.proxyKubeAddress === undefined
        ? {}
        : { proxyKubeAddress: this.#options.proxyKubeAddress }),
      caFingerprints: {
        user: this.#options.userCa.trustedCas().map((ca) => ca.fingerprint),
        host: this.#options.hostCa.trustedCas().map((ca) => ca.fingerprint),
      },
    };
  }

  // ---------------------------------------------------------------- password login

  /**
   * Password login: rate limits (per username, per source), the connector's check, roles, locks,
   * and a certificate for `publicKey`. Audits `login.success` + `cert.issued`, or `login.failure`.
   */
  async loginWithPassword(request: PasswordLoginRequest): Promise<IssuedUserCertificate> {
    this.#assertOpen();
    const connectorId = request.connectorId ?? this.#defaultPasswordConnector();
    try {
      const publicKey = checkPublicKey(request.publicKey);
      this.#checkRateLimits(request.username, request.clientIp);
      const entry = this.#connector(connectorId);
      if (!supportsPasswordLogin(entry.connector))
        throw new RemotelerError(
          'RMT_AUTH_CONNECTOR_FLOW_UNSUPPORTED',
          `connector ${connectorId} does not offer password login`,
        );
      const external = await entry.connector.authenticatePassword(request.username, request.password);
      const login = await this.#resolveLogin(external, entry, request.clientIp);
      const cert = await this.#issue(
        login,
        publicKey,
        request.ttlMs,
        request.kubernetesCluster,
        request.clientIp,
      );
      return cert;
    } catch (error) {
      await this.#auditFailure(error, connectorId, request.username, request.clientIp);
      throw error;
    }
  }

  // ---------------------------------------------------------------- SSO (design §2)

  /**
   * Starts an SSO login: checks the public key, the S256 challenge and the loopback redirect, then
   * asks the connector for the identity provider's authorization URL. The connector's session stays
   * here, keyed by its state.
   */
  async startSsoLogin(request: SsoStartRequest): Promise<{ authorizationUrl: string; expiresAt: string }> {
    this.#assertOpen();
    const publicKey = checkPublicKey(request.publicKey);
    const challenge = checkS256Challenge(request.codeChallenge, request.codeChallengeMethod);
    const redirectUri = checkLoopbackRedirect(request.redirectUri);
    if (typeof request.clientState !== 'string' || !/^[A-Za-z0-9._~-]{16,128}$/.test(request.clientState))
      throw new RemotelerError(
        'RMT_AUTH_REQUEST_INVALID',
        'clientState must be 16-128 unreserved characters (at least 96 random bits, base64url)',
      );
    const entry = this.#connector(request.connectorId);
    if (!supportsRedirectLogin(entry.connector))
      throw new RemotelerError(
        'RMT_AUTH_CONNECTOR_FLOW_UNSUPPORTED',
        `connector ${request.connectorId} does not offer SSO (redirect) login`,
      );
    const begin = await entry.connector.beginLogin({ redirectUri: this.#options.ssoCallbackUrl as string });
    const expiresAt = Math.min(begin.expiresAt, this.#clock() + this.#pendingTtlMs);
    const added = this.#pending.add(
      sha256Hex(begin.state),
      {
        connectorId: entry.connector.id,
        session: begin.session,
        publicKey,
        publicKeyText: request.publicKey as string,
        challenge,
        redirectUri,
        clientState: request.clientState,
        ...(request.ttlMs === undefined ? {} : { ttlMs: request.ttlMs }),
        ...(request.clientIp === undefined ? {} : { clientIp: request.clientIp }),
      },
      expiresAt,
    );
    if (!added)
      throw new RemotelerError('RMT_AUTH_TOO_MANY_PENDING', 'too many SSO logins are in progress', {
        details: { retryAfterSeconds: 60 },
      });
    return { authorizationUrl: begin.authorizationUrl, expiresAt: isoTime(new Date(expiresAt)) };
  }

  /**
   * Handles the identity provider's redirect to the Auth callback. A state this service did not
   * issue (or already used, or expired) is `RMT_AUTH_SSO_STATE_INVALID`. Otherwise the login is
   * used up and the browser goes back to the client's loopback: with `code` (≥128 bits, bound to
   * the start key, challenge and redirect, valid 60 s) and the client's `state`, or with `error`
   * (an `RMT_…` code) when the login failed.
   */
  async completeSsoCallback(
    request: { readonly callbackUrl: string } & RequestContext,
  ): Promise<{ redirectTo: string }> {
    this.#assertOpen();
    let state: string | null = null;
    try {
      state = new URL(request.callbackUrl).searchParams.get('state');
    } catch {
      // An unparseable callback carries no state: refused below like a forged one.
    }
    const taken = state === null ? undefined : this.#pending.take(sha256Hex(state));
    if (!taken || taken.expired) {
      const error = new RemotelerError(
        'RMT_AUTH_SSO_STATE_INVALID',
        taken
          ? 'the SSO login expired before the identity provider answered'
          : 'the SSO callback state is unknown',
      );
      await this.#auditFailure(error, taken?.value.connectorId ?? 'unknown', undefined, request.clientIp);
      throw error;
    }
    const pending = taken.value;
    const back = new URL(pending.redirectUri);
    back.searchParams.set('state', pending.clientState);
    try {
      const entry = this.#connector(pending.connectorId);
      const connector = entry.connector;
      if (!supportsRedirectLogin(connector))
        throw new RemotelerError('RMT_AUTH_CONNECTOR_FLOW_UNSUPPORTED', 'the connector no longer offers SSO');
      const external = await connector.completeLogin({
        callbackUrl: request.callbackUrl,
        session: pending.session,
      });
      const login = await this.#resolveLogin(external, entry, pending.clientIp ?? request.clientIp);
      // 256 bits from the CSPRNG; only its hash is kept, so the table holds nothing redeemable.
      const code = randomBytes(32).toString('base64url');
      const added = this.#codes.add(
        sha256Hex(code),
        {
          login,
          publicKey: pending.publicKey,
          publicKeyText: pending.publicKeyText,
          challenge: pending.challenge,
          redirectUri: pending.redirectUri,
          ...(pending.ttlMs === undefined ? {} : { ttlMs: pending.ttlMs }),
        },
        this.#clock() + this.#codeTtlMs,
      );
      if (!added) throw new RemotelerError('RMT_AUTH_TOO_MANY_PENDING', 'too many unredeemed login codes');
      back.searchParams.set('code', code);
    } catch (error) {
      await this.#auditFailure(error, pending.connectorId, undefined, pending.clientIp ?? request.clientIp);
      back.searchParams.set('error', RemotelerError.is(error) ? error.code : 'RMT_INTERNAL');
    }
    return { redirectTo: back.href };
  }

  /**
   * Redeems a one-time code. The code is used up by this call whatever happens next (RFC 6749
   * §10.5: an authorization code is single use; design §2: even a wrong verifier burns it), then
   * the expiry, verifier, redirect and key are checked, and the certificate is issued for the key
   * the login started with.
   */
  async redeemSsoCode(request: SsoRedeemRequest): Promise<IssuedUserCertificate> {
    this.#assertOpen();
    const taken = typeof request.code === 'string' ? this.#codes.take(sha256Hex(request.code)) : undefined;
    const connectorId = taken?.value.login.identity.connectorId ?? 'unknown';
    const username = taken?.value.login.identity.username;
    try {
      if (!taken)
        throw new RemotelerError('RMT_AUTH_CODE_INVALID', 'the login code is unknown or already used');
      const issued = taken.value;
      if (taken.expired) throw new RemotelerError('RMT_AUTH_CODE_EXPIRED', 'the login code expired');
      if (!verifierMatches(request.codeVerifier, issued.challenge))
        throw new RemotelerError(
          'RMT_AUTH_CODE_VERIFIER_MISMATCH',
          'the code verifier does not match the challenge the login started with',
        );
      if (request.redirectUri !== issued.redirectUri)
        throw new RemotelerError(
          'RMT_AUTH_CODE_REDIRECT_MISMATCH',
          'the redirect differs from the one the login started with',
        );
      let key: CheckedPublicKey;
      try {
        // The very text checked at start is the same key; anything else is parsed and compared.
        key =
          request.publicKey === issued.publicKeyText ? issued.publicKey : checkPublicKey(request.publicKey);
      } catch (error) {
        throw new RemotelerError(
          'RMT_AUTH_CODE_KEY_MISMATCH',
          'the public key is not the one the login started with',
          {
            cause: error,
          },
        );
      }
      if (!sameKey(key, issued.publicKey))
        throw new RemotelerError(
          'RMT_AUTH_CODE_KEY_MISMATCH',
          'the public key is not the one the login started with',
        );
      // Locks may have appeared between the callback and now.
      await this.#checkLocks(issued.login.identity.username, issued.login.identity.roles, undefined);
      return await this.#issue(issued.login, issued.publicKey, issued.ttlMs, undefined, request.clientIp);
    } catch (error) {
      await this.#auditFailure(error, connectorId, username, request.clientIp);
      throw error;
    }
  }

  // ---------------------------------------------------------------- reissue

  /**
   * Reissues for an identity whose certificate was verified (TLS + decoder): same username,
   * traits and login session; roles the same or fewer; optionally pinned to another cluster the
   * user may use; never valid later than the current certificate, nor longer than the roles'
   * current `max_session_ttl`. Asking for more is `RMT_AUTH_REISSUE_EXCEEDS`.
   */
  async reissue(current: DecodedUserCertificate, request: ReissueRequest): Promise<IssuedUserCertificate> {
    this.#assertOpen();
    const publicKey = checkPublicKey(request.publicKey);
    const now = this.#clock();
    const identity = current.identity;
    const roles = request.roles === undefined ? [...identity.roles] : [...new Set(request.roles)].sort();
    const extra = roles.filter((role) => !identity.roles.includes(role));
    if (extra.length > 0 || roles.length === 0)
      throw new RemotelerError(
        'RMT_AUTH_REISSUE_EXCEEDS',
        roles.length === 0
          ? 'a reissue must keep at least one role'
          : `the current certificate does not hold the roles ${extra.join(', ')}`,
      );
    const cluster = request.kubernetesCluster ?? identity.kubernetesCluster;
    await this.#checkLocks(identity.username, roles, cluster);
    const checker = this.#provider.forIdentity({
      username: identity.username,
      roles,
      traits: identity.traits,
    });
    const target = cluster === undefined ? undefined : await this.#allowedCluster(checker, cluster);
    const notAfter = identity.notAfter?.getTime() ?? now;
    const remaining = notAfter - now;
    const cap = Math.min(checker.sessionTtl(), remaining);
    const ttlMs = request.ttlMs ?? cap;
    if (!(ttlMs > 0) || ttlMs > cap)
      throw new RemotelerError(
        'RMT_AUTH_REISSUE_EXCEEDS',
        `the requested lifetime reaches past what the current certificate allows (at most ${Math.max(0, Math.floor(cap / 1000))} s)`,
        { details: { maxTtlSeconds: Math.max(0, Math.floor(cap / 1000)) } },
      );
    const principals = target ? checker.allowedPrincipals(target) : { users: [], groups: [] };
    const { notBefore: _nb, notAfter: _na, ...rest } = identity;
    const next: Identity = {
      ...rest,
      roles,
      ...(cluster === undefined ? {} : { kubernetesCluster: cluster }),
      kubernetesUsers: principals.users,
      kubernetesGroups: principals.groups,
    };
    const issued = await this.#options.userCa.issueUserCertificate({
      publicKey: { spki: publicKey.pem },
      identity: next,
      ttlMs,
      maxTtlMs: cap,
      now: new Date(now),
    });
    await this.#emit(
      'cert.reissued',
      {
        user: next.username,
        roles,
        serial: issued.serialNumber,
        notAfter: isoTime(issued.notAfter),
        ...(cluster === undefined ? {} : { kubernetesCluster: cluster }),
        ...(next.sessionId === undefined ? {} : { sessionId: next.sessionId }),
        previousSerial: current.serialNumber,
      },
      request.clientIp,
    );
    return {
      certificatePem: issued.certificatePem,
      serialNumber: issued.serialNumber,
      notAfter: isoTime(issued.notAfter),
      username: next.username,
      roles,
      ...(cluster === undefined ? {} : { kubernetesCluster: cluster }),
    };
  }

  /**
   * Verifies a presented user certificate (trust, expiry, identity encoding via the decoder) and
   * refuses it when a lock applies. `RMT_AUTH_CLIENT_CERT_REQUIRED` when it does not verify.
   */
  async authenticateUser(
    certificate: string | Uint8Array | { readonly raw: Uint8Array },
  ): Promise<DecodedUserCertificate> {
    this.#assertOpen();
    let decoded: DecodedUserCertificate;
    try {
      decoded = this.#options.certificateDecoder.decodeUserCertificate(certificate, {
        now: new Date(this.#clock()),
      });
    } catch (error) {
      throw new RemotelerError(
        'RMT_AUTH_CLIENT_CERT_REQUIRED',
        'a valid Remoteler user certificate is required',
        {
          cause: error,
        },
      );
    }
    await this.#checkLocks(decoded.identity.username, decoded.identity.roles, undefined);
    return decoded;
  }

  /** The same for host certificates (join renewals, Proxy to Auth calls). */
  authenticateHost(certificate: string | Uint8Array | { readonly raw: Uint8Array }): DecodedHostCertificate {
    this.#assertOpen();
    try {
      return this.#options.certificateDecoder.decodeHostCertificate(certificate, {
        now: new Date(this.#clock()),
      });
    } catch (error) {
      throw new RemotelerError(
        'RMT_AUTH_CLIENT_CERT_REQUIRED',
        'a valid Remoteler host certificate is required',
        {
          cause: error,
        },
      );
    }
  }

  /** True when one of the identity's roles is a configured admin role that the role store still holds. */
  isAdmin(identity: Pick<Identity, 'roles'>): boolean {
    return identity.roles.some(
      (role) => this.#adminRoles.has(role) && this.#provider.role(role) !== undefined,
    );
  }

  /** Throws `RMT_AUTH_ADMIN_REQUIRED` unless {@link isAdmin}. */
  requireAdmin(identity: Pick<Identity, 'roles' | 'username'>): void {
    if (!this.isAdmin(identity))
      throw new RemotelerError(
        'RMT_AUTH_ADMIN_REQUIRED',
        `user ${identity.username} holds no admin role (${[...this.#adminRoles].join(', ')})`,
      );
  }

  /** The clusters the identity may use (role labels, current definitions), with its principals on each. */
  async allowedClusters(
    identity: Pick<Identity, 'username' | 'roles' | 'traits'>,
  ): Promise<AllowedCluster[]> {
    this.#assertOpen();
    const checker = this.#provider.forIdentity(identity);
    const out: AllowedCluster[] = [];
    for (const cluster of await this.#options.clusters.list()) {
      const target = { name: cluster.metadata.name, labels: cluster.metadata.labels ?? {} };
      if (!checker.canAccessCluster(target)) continue;
      const principals = checker.allowedPrincipals(target);
      out.push({
        name: target.name,
        labels: target.labels,
        kubernetesUsers: principals.users,
        kubernetesGroups: principals.groups,
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- join tokens

  /**
   * Creates a single-use join token for a host of `role`, valid `ttlMs` (default 15 minutes, at
   * most `maxJoinTokenTtlMs`). Only the token's SHA-256 is kept. Audits `join_token.created` and
   * resolves once the sink stored it; when the sink refuses, the token is revoked and the sink's
   * error is thrown (no unaudited token can be used).
   */
  async issueJoinToken(request: JoinTokenRequest): Promise<CreatedJoinToken> {
    const { created, recorded } = this.#createJoinToken(request);
    await recorded;
    return created;
  }

  /**
   * {@link issueJoinToken} for callers that cannot wait (in-process setup): returns at once, and a
   * `join` with the token waits until `join_token.created` is stored; if the sink refused it, the
   * token is dead and the join is refused.
   */
  createJoinToken(request: JoinTokenRequest): CreatedJoinToken {
    const { created, recorded } = this.#createJoinToken(request);
    // The outcome is kept on the token record, which `join` waits for.
    recorded.catch(() => {});
    return created;
  }

  #createJoinToken(request: JoinTokenRequest): { created: CreatedJoinToken; recorded: Promise<void> } {
    this.#assertOpen();
    const ttlMs = request.ttlMs ?? 15 * MINUTE;
    if (!(Number.isSafeInteger(ttlMs) && ttlMs > 0 && ttlMs <= this.#maxJoinTtlMs))
      throw new RemotelerError(
        'RMT_AUTH_REQUEST_INVALID',
        `a join token lifetime must be between 1 ms and ${this.#maxJoinTtlMs / 1000} s`,
      );
    if (request.role !== 'proxy' && request.role !== 'agent')
      throw new RemotelerError('RMT_AUTH_REQUEST_INVALID', 'a join token role must be proxy or agent');
    const token = randomBytes(32).toString('base64url');
    const key = sha256Hex(token);
    const name = `jt-${sha256Hex(`name:${token}`).slice(0, 16)}`;
    const expiresAt = this.#clock() + ttlMs;
    const expires = isoTime(new Date(expiresAt));
    const recorded = this.#emit(
      'join_token.created',
      { user: request.createdBy, tokenName: name, joinRole: request.role, expires },
      request.clientIp,
    ).catch((error: unknown) => {
      this.#joinTokens.delete(key);
      throw error;
    });
    const record: JoinTokenRecord = {
      name,
      role: request.role,
      recorded: recorded.then(
        () => true,
        () => false,
      ),
    };
    if (!this.#joinTokens.add(key, record, expiresAt)) {
      recorded.catch(() => {});
      throw new RemotelerError('RMT_AUTH_TOO_MANY_PENDING', 'too many unused join tokens');
    }
    return { created: { name, token, role: request.role, expiresAt: expires }, recorded };
  }

  /** The unused, unexpired join tokens: names, roles and expiry, never the secrets. */
  listJoinTokens(): Array<{ name: string; role: HostRole; expiresAt: string }> {
    this.#assertOpen();
    return [...this.#joinTokens.entries()].map(({ value, expiresAt }) => ({
      name: value.name,
      role: value.role,
      expiresAt: isoTime(new Date(expiresAt)),
    }));
  }

  /**
   * Revokes an unused join token by name and audits `join_token.revoked` (`revokedBy`, default
   * `system`); `RMT_STORE_NOT_FOUND` when there is no such live token. The token is dead before
   * the event is written, so a refusing sink can never keep a revoked token alive.
   */
  async revokeJoinToken(name: string, revokedBy = 'system', clientIp?: string): Promise<void> {
    this.#assertOpen();
    for (const { key, value } of this.#joinTokens.entries())
      if (value.name === name) {
        this.#joinTokens.delete(key);
        await this.#emit('join_token.revoked', { user: revokedBy, tokenName: name }, clientIp);
        return;
      }
    throw new RemotelerError('RMT_STORE_NOT_FOUND', `there is no unused join token ${JSON.stringify(name)}`);
  }

  /** Exchanges a join token, once, for a host certificate. Audits `join_token.used`. */
  async join(request: JoinRequest): Promise<IssuedHostCertificate> {
    this.#assertOpen();
    const provisioned = this.#provisionedToken(request.token);
    if (provisioned) {
      if (provisioned.role !== request.role)
        throw new RemotelerError(
          'RMT_AUTH_JOIN_TOKEN_INVALID',
          `the join token is for a ${provisioned.role}, not a ${request.role}`,
        );
      const publicKey = checkPublicKey(request.publicKey);
      const issued = await this.#issueHost(publicKey, request.hostId, request.role, request);
      await this.#emit(
        'join_token.used',
        { tokenName: provisioned.name, joinRole: request.role, hostId: request.hostId },
        request.clientIp,
      );
      return issued;
    }
    const taken =
      typeof request.token === 'string' ? this.#joinTokens.take(sha256Hex(request.token)) : undefined;
    // A token whose creation could not be audited is dead (see createJoinToken).
    if (taken && !(await taken.value.recorded))
      throw new RemotelerError(
        'RMT_AUTH_JOIN_TOKEN_INVALID',
        'the join token was never recorded in the audit log',
      );
    if (!taken || taken.expired || taken.value.role !== request.role)
      throw new RemotelerError(
        'RMT_AUTH_JOIN_TOKEN_INVALID',
        !taken
          ? 'the join token is unknown or already used'
          : taken.expired
            ? 'the join token expired'
            : `the join token is for a ${taken.value.role}, not a ${request.role}`,
      );
    const publicKey = checkPublicKey(request.publicKey);
    const issued = await this.#issueHost(publicKey, request.hostId, request.role, request);
    await this.#emit(
      'join_token.used',
      { tokenName: taken.value.name, joinRole: request.role, hostId: request.hostId },
      request.clientIp,
    );
    return issued;
  }

  /** The provisioned token `token` is, compared in constant time against every one. */
  #provisionedToken(token: unknown): { readonly name: string; readonly role: HostRole } | undefined {
    if (typeof token !== 'string' || this.#provisioned.length === 0) return undefined;
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: { readonly name: string; readonly role: HostRole } | undefined;
    for (const entry of this.#provisioned) if (timingSafeEqual(entry.digest, digest)) found ??= entry;
    return found;
  }

  /** Renews a host certificate for the host a verified host certificate names. */
  async renewHost(
    current: DecodedHostCertificate,
    request: {
      readonly publicKey: string;
      readonly dnsNames?: readonly string[];
      readonly ipAddresses?: readonly string[];
      readonly clientIp?: string;
    },
  ): Promise<IssuedHostCertificate> {
    this.#assertOpen();
    if (current.host.clusterName !== this.clusterName)
      throw new RemotelerError('RMT_AUTH_HOST_MISMATCH', 'the host certificate belongs to another cluster');
    const publicKey = checkPublicKey(request.publicKey);
    const issued = await this.#issueHost(publicKey, current.host.hostId, current.host.role, request);
    await this.#emit(
      'host.renewed',
      {
        hostId: current.host.hostId,
        hostRole: current.host.role,
        serial: issued.serialNumber,
        notAfter: issued.notAfter,
      },
      request.clientIp,
    );
    return issued;
  }

  /**
   * Makes a key pair here and a host certificate for it: for the Auth server's own TLS listener
   * (the private key never leaves this process). `caCertificatePem` is the host CA generation that
   * signed it, to be sent after the leaf. Default TTL: the service's host certificate TTL (24 h).
   */
  async createServerCredentials(request: {
    readonly hostId: string;
    readonly dnsNames?: readonly string[];
    readonly ipAddresses?: readonly string[];
    readonly ttlMs?: number;
  }): Promise<{ keyPem: string; certificatePem: string; caCertificatePem: string; notAfter: string }> {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const issued = await this.#options.hostCa.issueHostCertificate({
      publicKey: { spki: publicKey.export({ type: 'spki', format: 'pem' }) as string },
      host: { hostId: request.hostId, role: 'auth', clusterName: this.clusterName },
      dnsNames: request.dnsNames ?? [],
      ipAddresses: request.ipAddresses ?? [],
      ttlMs: request.ttlMs ?? this.#hostTtlMs,
      now: new Date(this.#clock()),
    });
    // The issuing generation's certificate, so the server can send leaf + CA: a client that pins
    // the host CA fingerprint (announced by ping) finds that CA in the chain it received.
    const issuer = this.#options.hostCa.trustedCas().find((ca) => ca.id === issued.caId);
    if (!issuer)
      throw new RemotelerError(
        'RMT_INTERNAL',
        'the host CA that issued the server certificate is not trusted',
      );
    return {
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      certificatePem: issued.certificatePem,
      caCertificatePem: issuer.certificatePem,
      notAfter: isoTime(issued.notAfter),
    };
  }

  // ---------------------------------------------------------------- audit for admin changes

  /** Emits an audit event (admin changes use this after the store write succeeded). */
  async audit<T extends AuditEventType>(
    type: T,
    fields: AuditEventFields[T],
    clientIp?: string,
  ): Promise<void> {
    await this.#emit(type, fields, clientIp);
  }

  /** Stops following the role store and forgets pending logins, codes, tokens; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#provider.close();
    this.#pending.clear();
    this.#codes.clear();
    this.#joinTokens.clear();
    this.#perUser.clear();
    this.#perSource.clear();
  }

  // ---------------------------------------------------------------- internals

  #assertOpen(): void {
    if (this.#closed) throw new RemotelerError('RMT_AUTH_CLOSED', 'the Auth service is closed');
  }

  #defaultPasswordConnector(): string {
    const password = [...this.#connectors.values()].filter(({ connector }) =>
      supportsPasswordLogin(connector),
    );
    return password.length === 1 ? (password[0] as ConnectorEntry).connector.id : 'local';
  }

  #connector(id: string): ConnectorEntry {
    const entry = typeof id === 'string' ? this.#connectors.get(id) : undefined;
    if (!entry)
      throw new RemotelerError('RMT_AUTH_CONNECTOR_NOT_FOUND', `there is no connector ${JSON.stringify(id)}`);
    return entry;
  }

  #checkRateLimits(username: string, clientIp: string | undefined): void {
    const userKey = typeof username === 'string' ? username.normalize('NFC').toLowerCase() : '';
    const wait = this.#perUser.attempt(userKey);
    if (wait > 0)
      throw new RemotelerError('RMT_AUTH_RATE_LIMITED_USER', 'too many login attempts for this user', {
        details: { retryAfterSeconds: wait },
      });
    if (clientIp !== undefined) {
      const sourceWait = this.#perSource.attempt(clientIp);
      if (sourceWait > 0)
        throw new RemotelerError(
          'RMT_AUTH_RATE_LIMITED_SOURCE',
          'too many login attempts from this address',
          {
            details: { retryAfterSeconds: sourceWait },
          },
        );
    }
  }

  /** connector identity -> user resource -> claims_to_roles -> existing roles -> traits -> locks. */
  async #resolveLogin(
    external: ExternalIdentity,
    entry: ConnectorEntry,
    clientIp: string | undefined,
  ): Promise<ResolvedLogin> {
    const stored = await this.#options.users.get(external.username);
    // A user resource applies only to the account it describes: a local entry never lends its
    // roles to an SSO login of the same name, nor one connector's user to another's.
    const user =
      stored &&
      stored.spec.type === external.userType &&
      (stored.spec.type === 'local' ||
        stored.spec.connector_id === undefined ||
        stored.spec.connector_id === external.connectorId)
        ? stored
        : undefined;
    if (user?.spec.status.state === 'disabled')
      throw new RemotelerError('RMT_AUTH_USER_DISABLED', `the account ${external.username} is disabled`);
    const wanted = new Set<string>([
      ...(external.roles ?? []),
      ...entry.mapping.rolesFor(external.claims),
      ...(user?.spec.roles ?? []),
    ]);
    // A role the store does not hold grants nothing; leaving it out keeps certificates honest.
    const roles = [...wanted].filter((name) => this.#provider.role(name) !== undefined).sort();
    if (roles.length === 0)
      throw new RemotelerError(
        'RMT_AUTH_NO_ROLES',
        `the login of ${external.username} maps to no existing role`,
      );
    const traits: Record<string, readonly string[]> = {};
    for (const [claim, values] of Object.entries(external.claims)) traits[`external.${claim}`] = [...values];
    for (const [name, values] of Object.entries(user?.spec.traits ?? {}))
      traits[`internal.${name}`] = [...values];
    await this.#checkLocks(external.username, roles, undefined);
    const checker = this.#provider.forIdentity({ username: external.username, roles, traits });
    const identity: Identity = {
      username: external.username,
      roles,
      traits: traits as Traits,
      remotelerCluster: this.clusterName,
      ...(clientIp === undefined ? {} : { loginIp: clientIp }),
      userType: external.userType,
      connectorId: external.connectorId,
      sessionId: randomUUID(),
      mfaVerified: false,
      kubernetesUsers: [],
      kubernetesGroups: [],
    };
    await this.#emit(
      'login.success',
      { user: identity.username, connectorId: external.connectorId, userType: external.userType, roles },
      clientIp,
    );
    return {
      identity,
      maxTtlMs: checker.sessionTtl(),
      ...(external.expiresAt === undefined ? {} : { expiresAt: external.expiresAt }),
    };
  }

  async #checkLocks(user: string, roles: readonly string[], cluster: string | undefined): Promise<void> {
    const now = this.#clock();
    for (const lock of await this.#options.locks.list()) {
      if (lockApplies(lock, { user, roles, ...(cluster === undefined ? {} : { cluster }) }, now))
        throw new RemotelerError(
          'RMT_AUTH_LOCKED',
          `access is locked${lock.spec.message ? `: ${lock.spec.message}` : ''}`,
          { details: { lock: lock.metadata.name } },
        );
    }
  }

  async #allowedCluster(
    checker: AccessChecker,
    name: string,
  ): Promise<{ name: string; labels: Record<string, string> }> {
    const cluster: KubeCluster | undefined = await this.#options.clusters.get(name);
    const target = cluster ? { name, labels: { ...(cluster.metadata.labels ?? {}) } } : undefined;
    // Unknown and forbidden answer alike, so cluster names are not disclosed to those who may not use them.
    if (!target || !checker.canAccessCluster(target))
      throw new RemotelerError(
        'RMT_AUTH_CLUSTER_NOT_FOUND',
        `there is no cluster ${JSON.stringify(name)} you may use`,
      );
    return target;
  }

  async #issue(
    login: ResolvedLogin,
    publicKey: CheckedPublicKey,
    ttlMs: number | undefined,
    kubernetesCluster: string | undefined,
    clientIp: string | undefined,
  ): Promise<IssuedUserCertificate> {
    const now = this.#clock();
    let cap = login.maxTtlMs;
    // A certificate should not outlive the identity provider's session (ExternalIdentity.expiresAt).
    if (login.expiresAt !== undefined) cap = Math.min(cap, login.expiresAt - now);
    if (!(cap > 0))
      throw new RemotelerError('RMT_AUTH_SSO_STATE_INVALID', 'the identity provider session has ended');
    const ttl = Math.min(ttlMs ?? cap, cap);
    if (!(ttl > 0))
      throw new RemotelerError('RMT_AUTH_REQUEST_INVALID', 'the requested lifetime must be positive');
    let identity = login.identity;
    if (kubernetesCluster !== undefined) {
      await this.#checkLocks(identity.username, identity.roles, kubernetesCluster);
      const checker = this.#provider.forIdentity(identity);
      const target = await this.#allowedCluster(checker, kubernetesCluster);
      const principals = checker.allowedPrincipals(target);
      identity = {
        ...identity,
        kubernetesCluster,
        kubernetesUsers: principals.users,
        kubernetesGroups: principals.groups,
      };
    }
    const issued = await this.#options.userCa.issueUserCertificate({
      publicKey: { spki: publicKey.pem },
      identity,
      ttlMs: ttl,
      maxTtlMs: cap,
      now: new Date(now),
    });
    await this.#emit(
      'cert.issued',
      {
        user: identity.username,
        roles: identity.roles,
        serial: issued.serialNumber,
        notAfter: isoTime(issued.notAfter),
        ...(kubernetesCluster === undefined ? {} : { kubernetesCluster }),
        ...(identity.sessionId === undefined ? {} : { sessionId: identity.sessionId }),
      },
      clientIp,
    );
    return {
      certificatePem: issued.certificatePem,
      serialNumber: issued.serialNumber,
      notAfter: isoTime(issued.notAfter),
      username: identity.username,
      roles: identity.roles,
      ...(kubernetesCluster === undefined ? {} : { kubernetesCluster }),
    };
  }

  async #issueHost(
    publicKey: CheckedPublicKey,
    hostId: string,
    role: HostRole,
    request: { readonly dnsNames?: readonly string[]; readonly ipAddresses?: readonly string[] },
  ): Promise<IssuedHostCertificate> {
    const issued = await this.#options.hostCa.issueHostCertificate({
      publicKey: { spki: publicKey.pem },
      host: { hostId, role, clusterName: this.clusterName },
      dnsNames: request.dnsNames ?? [],
      ipAddresses: request.ipAddresses ?? [],
      ttlMs: this.#hostTtlMs,
      now: new Date(this.#clock()),
    });
    return {
      certificatePem: issued.certificatePem,
      serialNumber: issued.serialNumber,
      notAfter: isoTime(issued.notAfter),
      hostId,
      role,
      hostCaPem: this.#options.hostCa.trustBundlePem(),
      userCaPem: this.#options.userCa.trustBundlePem(),
    };
  }

  async #emit<T extends AuditEventType>(
    type: T,
    fields: AuditEventFields[T],
    clientIp: string | undefined,
  ): Promise<void> {
    const sink: AuditSink = this.#options.audit;
    const event = createAuditEvent(type, fields, {
      now: this.#clock(),
      ...(clientIp === undefined ? {} : { clientIp }),
    });
    // createAuditEvent's generic result is one member of the AuditEvent union.
    await sink.emit(event as unknown as AuditEvent);
  }

  async #auditFailure(
    error: unknown,
    connectorId: string,
    user: string | undefined,
    clientIp: string | undefined,
  ): Promise<void> {
    // Only the code goes into the event: messages could echo input, and input can hold secrets.
    await this.#emit(
      'login.failure',
      {
        connectorId,
        errorCode: RemotelerError.is(error) ? error.code : 'RMT_INTERNAL',
        ...(typeof user === 'string' && user.length <= 253 ? { user } : {}),
      },
      clientIp,
    );
  }
}
