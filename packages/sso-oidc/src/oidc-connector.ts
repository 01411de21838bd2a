import { createHash, timingSafeEqual } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import {
  type BeginLoginRequest,
  type BeginLoginResult,
  type CompleteLoginRequest,
  type ExternalIdentity,
  type IdentityConnector,
  type IdentityConnectorCapabilities,
  type LoginSession,
  RemotelerError,
} from '@remoteler/core';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { claimsToTraits } from './claims.js';
import { discoveryError, grantError, providerTimeout } from './error-mapping.js';
import {
  type OidcConnectorOptions,
  type OidcFetch,
  type ResolvedOidcConnectorOptions,
  resolveOidcConnectorOptions,
} from './options.js';

/** The connector's memory of one started login (see {@link LoginSession}); all strings are secrets but `redirectUri`. */
interface OidcLoginSession {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly expiresAt: number;
}

// 255 characters and no control characters: the username becomes a certificate CN and a
// Kubernetes user name, neither of which may carry them.
const SAFE_USERNAME = /^[^\p{Cc}\p{Cf}]{1,255}$/u;

function readSession(session: LoginSession): OidcLoginSession | undefined {
  const { state, nonce, codeVerifier, redirectUri, expiresAt } = session;
  if (
    typeof state !== 'string' ||
    typeof nonce !== 'string' ||
    typeof codeVerifier !== 'string' ||
    typeof redirectUri !== 'string' ||
    typeof expiresAt !== 'number'
  )
    return undefined;
  return { state, nonce, codeVerifier, redirectUri, expiresAt };
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(code_verifier))), with node:crypto's one-shot hash
 * rather than openid-client's WebCrypto digest, whose job round trip costs far more than the hash.
 */
function s256(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

function loginInvalid(message: string, reason: string): RemotelerError {
  return new RemotelerError('RMT_CONNECTOR_LOGIN_INVALID', message, { details: { reason } });
}

/**
 * A generic OpenID Connect identity connector (authorization code flow with PKCE S256, state and
 * nonce; OpenID Connect Core 1.0 §3.1) on openid-client 6. The provider is discovered on the first
 * login (or {@link OidcConnector.discover}); a failed discovery is retried on the next one.
 * Claims of the ID token and, by default, of the userinfo endpoint become the identity's claims
 * (`external.*` traits); the username comes from `usernameClaim`.
 *
 * Each instance has its own HTTP client (undici Agent trusting `ca`), never the global dispatcher.
 */
export class OidcConnector implements IdentityConnector {
  readonly kind: string = 'oidc';
  readonly capabilities: IdentityConnectorCapabilities = Object.freeze({
    redirectLogin: true,
    passwordLogin: false,
  });
  readonly #options: ResolvedOidcConnectorOptions;
  readonly #agent: Agent | undefined;
  readonly #fetch: OidcFetch;
  #configuration: Promise<oidc.Configuration> | undefined;
  #closed = false;
  /** States of logins completed by this instance; a second completion is refused before any request. */
  readonly #completed = new Map<string, number>();

  constructor(options: OidcConnectorOptions) {
    this.#options = resolveOidcConnectorOptions(options);
    if (this.#options.fetch) {
      this.#fetch = this.#options.fetch;
    } else {
      const ca = this.#options.ca;
      // One TLS context for every connection to the provider: given `ca` instead, each new
      // connection would parse the PEM bundle into a fresh context (a visible share of a login's CPU).
      this.#agent = new Agent({ connect: ca ? { secureContext: createSecureContext({ ca: [...ca] }) } : {} });
      const dispatcher = this.#agent;
      this.#fetch = (url, init) =>
        undiciFetch(url, {
          ...(init as Parameters<typeof undiciFetch>[1]),
          dispatcher,
        }) as unknown as Promise<Response>;
    }
  }

  /** The connector id (unique within one Auth service). */
  get id(): string {
    return this.#options.id;
  }

  /** Shown on login pages. */
  get displayName(): string {
    return this.#options.displayName;
  }

  /** The configured issuer identifier. */
  get issuer(): string {
    return this.#options.issuer.href;
  }

  /**
   * Reads and checks the provider's discovery document now instead of at the first login.
   * Errors: RMT_OIDC_ISSUER_UNREACHABLE, RMT_OIDC_ISSUER_MISMATCH, RMT_OIDC_DISCOVERY_INVALID,
   * RMT_CONNECTOR_CLOSED.
   */
  async discover(): Promise<void> {
    await this.#configure();
  }

  async beginLogin(request: BeginLoginRequest): Promise<BeginLoginResult> {
    this.#assertOpen();
    const config = await this.#configure();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const scopes = [...new Set([...this.#options.scopes, ...(request.scopes ?? [])])];
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: request.redirectUri,
      response_type: 'code',
      scope: scopes.join(' '),
      state,
      nonce,
      code_challenge: s256(codeVerifier),
      code_challenge_method: 'S256',
    });
    const expiresAt = this.#options.clock() + this.#options.loginTimeoutMs;
    const session: OidcLoginSession = {
      state,
      nonce,
      codeVerifier,
      redirectUri: request.redirectUri,
      expiresAt,
    };
    return { authorizationUrl: authorizationUrl.href, state, session: { ...session }, expiresAt };
  }

  async completeLogin(request: CompleteLoginRequest): Promise<ExternalIdentity> {
    this.#assertOpen();
    const session = readSession(request.session);
    if (!session)
      throw loginInvalid('the login session is not one this connector started', 'session-invalid');
    const now = this.#options.clock();
    if (now >= session.expiresAt) throw loginInvalid('the login took too long and expired', 'expired');
    if (!URL.canParse(request.callbackUrl))
      throw loginInvalid('the callback URL is not a URL', 'callback-invalid');
    const callback = new URL(request.callbackUrl);
    // RFC 6749 §10.12: the state binds the callback to the browser session that started the login.
    if (!sameSecret(callback.searchParams.get('state') ?? '', session.state))
      throw loginInvalid('the callback state does not match this login', 'state-mismatch');
    this.#forgetOldCompletions(now);
    if (this.#completed.has(session.state))
      throw loginInvalid('this login was already completed', 'replayed');
    this.#completed.set(session.state, session.expiresAt);
    const config = await this.#configure();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(
        config,
        callback,
        {
          pkceCodeVerifier: session.codeVerifier,
          expectedState: session.state,
          expectedNonce: session.nonce,
          idTokenExpected: true,
        },
        // The redirect_uri of the token request must equal the authorization request's (RFC 6749
        // §4.1.3), whatever URL the callback was served under.
        { redirect_uri: session.redirectUri },
      );
    } catch (error) {
      throw grantError(error);
    }
    const idClaims = tokens.claims();
    if (!idClaims)
      throw new RemotelerError('RMT_OIDC_ID_TOKEN_INVALID', 'the token response holds no ID token');
    let userinfo: Record<string, unknown> | undefined;
    if (this.#options.userinfo && config.serverMetadata().userinfo_endpoint) {
      try {
        userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      } catch (error) {
        throw (
          providerTimeout(error, 'userinfo') ??
          new RemotelerError('RMT_OIDC_USERINFO_FAILED', 'reading the userinfo endpoint failed', {
            cause: error,
          })
        );
      }
    }
    const claims = claimsToTraits(idClaims, userinfo);
    const usernameClaim = this.#options.usernameClaim;
    const username = idClaims[usernameClaim] ?? userinfo?.[usernameClaim];
    if (typeof username !== 'string' || !SAFE_USERNAME.test(username))
      throw new RemotelerError(
        'RMT_OIDC_USERNAME_CLAIM_MISSING',
        `the identity provider sent no usable "${usernameClaim}" claim for the username`,
        { details: { claim: usernameClaim } },
      );
    // An address the provider has not verified may be anybody's (OpenID Connect Core §5.1,
    // email_verified); only an explicit false is refused, since many providers omit the claim.
    const verified = idClaims.email_verified ?? userinfo?.email_verified;
    if (usernameClaim === 'email' && (verified === false || verified === 'false'))
      throw new RemotelerError(
        'RMT_OIDC_EMAIL_UNVERIFIED',
        'the identity provider says the email address used as username is not verified',
      );
    return Object.freeze({ connectorId: this.id, username, userType: 'sso', claims });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#completed.clear();
    await this.#agent?.close();
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new RemotelerError('RMT_CONNECTOR_CLOSED', `the OIDC connector ${this.id} is closed`);
  }

  // Oldest completions first (a Map keeps insertion order), so the walk stops at the first one still
  // in force instead of visiting every login of a burst on every callback. One that expires before
  // an earlier-completed one waits behind it; a replay of it is refused as expired anyway.
  #forgetOldCompletions(now: number): void {
    for (const [state, expiresAt] of this.#completed) {
      if (expiresAt > now) return;
      this.#completed.delete(state);
    }
  }

  #configure(): Promise<oidc.Configuration> {
    this.#assertOpen();
    if (!this.#configuration) {
      const attempt = this.#discover();
      this.#configuration = attempt;
      // A failed discovery is not remembered: the provider may be back for the next login.
      attempt.catch(() => {
        if (this.#configuration === attempt) this.#configuration = undefined;
      });
    }
    return this.#configuration;
  }

  async #discover(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret, requestTimeoutMs, clockToleranceSeconds } = this.#options;
    const customFetch = this.#fetch as unknown as oidc.CustomFetch;
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(
        issuer,
        clientId,
        {
          ...(clientSecret ? {} : { token_endpoint_auth_method: 'none' }),
          // openid-client checks exp/iat/nbf against its own clock plus this skew (seconds): the
          // offset of the injected clock from the system clock, sampled once here.
          [oidc.clockSkew]: Math.round((this.#options.clock() - Date.now()) / 1000),
          [oidc.clockTolerance]: clockToleranceSeconds,
        },
        clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(),
        {
          [oidc.customFetch]: customFetch,
          timeout: Math.ceil(requestTimeoutMs / 1000),
          // Verify ID token signatures against the JWKS even though they come over TLS from the
          // token endpoint (OpenID Connect Core §3.1.3.7 allows skipping it; we fail closed).
          execute: [oidc.enableNonRepudiationChecks],
        },
      );
    } catch (error) {
      throw discoveryError(error, issuer.href);
    }
    config[oidc.customFetch] = customFetch;
    config.timeout = Math.ceil(requestTimeoutMs / 1000);
    if (!this.#closed) return config;
    throw new RemotelerError('RMT_CONNECTOR_CLOSED', `the OIDC connector ${this.id} is closed`);
  }
}
