import { defineErrors } from './define.js';

/** Errors raised by the OpenID Connect connector (`@remoteler/sso-oidc`) and the connectors built on it. */
export const OIDC_ERRORS = defineErrors({
  RMT_OIDC_ISSUER_UNREACHABLE: {
    category: 'unavailable',
    summary:
      "The OpenID provider's discovery document (/.well-known/openid-configuration) could not be fetched: network, DNS, TLS or HTTP failure.",
    hint: 'Check that the issuer URL is right and reachable from the Auth service, and that its TLS certificate is trusted (the connector `ca` option).',
  },
  RMT_OIDC_ISSUER_MISMATCH: {
    category: 'unavailable',
    summary:
      'The discovery document names another issuer than the configured one (OpenID Connect Discovery 1.0 §4.3), so its tokens cannot be trusted.',
    hint: 'Set the connector `issuer` to exactly the `issuer` value the provider publishes (scheme, host, port and path, trailing slash included).',
  },
  RMT_OIDC_DISCOVERY_INVALID: {
    category: 'unavailable',
    summary:
      'The discovery document is not usable: not JSON, or missing the authorization, token or JWKS endpoint.',
    hint: 'Check that the issuer URL points at an OpenID Connect provider and not at another web page.',
  },
  RMT_OIDC_ID_TOKEN_SIGNATURE_INVALID: {
    category: 'unauthenticated',
    summary: "The ID token's signature does not verify with the provider's published keys (JWKS).",
    hint: 'Sign in again; if it persists, the token was altered on the way or the provider rotated keys incorrectly.',
  },
  RMT_OIDC_ID_TOKEN_AUDIENCE_MISMATCH: {
    category: 'unauthenticated',
    summary:
      "The ID token's `aud` claim does not name this connector's client id (OpenID Connect Core §3.1.3.7).",
    hint: 'Check that the connector `clientId` is the id the provider registered for this Auth service, then sign in again.',
  },
  RMT_OIDC_ID_TOKEN_EXPIRED: {
    category: 'unauthenticated',
    summary: 'The ID token is expired or not yet valid (`exp`, `iat`, `nbf` outside the clock tolerance).',
    hint: 'Sign in again; if it persists, check the clocks of the Auth service and the provider (NTP).',
  },
  RMT_OIDC_ID_TOKEN_INVALID: {
    category: 'unauthenticated',
    summary:
      'The ID token is missing or malformed, or a claim other than audience, nonce and timestamps (issuer, subject) failed validation.',
    hint: 'Sign in again; if it persists, check the provider configuration against the connector options.',
  },
  RMT_OIDC_NONCE_MISMATCH: {
    category: 'unauthenticated',
    summary:
      "The ID token's `nonce` is not the one this login sent (OpenID Connect Core §3.1.2.1): the token belongs to another login or was replayed.",
    hint: 'Start the login again from the beginning.',
  },
  RMT_OIDC_TOKEN_REQUEST_FAILED: {
    category: 'unavailable',
    summary:
      'The token endpoint refused the connector itself (wrong client id or secret, unsupported grant) or answered with something that is not a token response.',
    hint: 'Check the connector `clientId`, `clientSecret` and redirect URL against the client registered at the provider.',
  },
  RMT_OIDC_PROVIDER_TIMEOUT: {
    category: 'unavailable',
    summary:
      "The identity provider did not answer a request of the login (token or userinfo endpoint) within the connector's `requestTimeoutMs`: it is overloaded, slow or unreachable from the Auth service.",
    hint: "Sign in again in a moment; if it persists, check the provider's status and the network path from the Auth service, or raise the connector `requestTimeoutMs` (default 10 s).",
  },
  RMT_OIDC_USERINFO_FAILED: {
    category: 'unavailable',
    summary: 'The userinfo endpoint failed or answered for another subject than the ID token.',
    hint: 'Sign in again; if it persists, set `userinfo: false` to use the ID token claims only, or check the provider.',
  },
  RMT_OIDC_USERNAME_CLAIM_MISSING: {
    category: 'unauthenticated',
    summary:
      'The claim chosen as the Remoteler username (`usernameClaim`, default `email`) is missing, not a string, or not a safe name.',
    hint: 'Request the scope that carries that claim (e.g. `email`) or choose another `usernameClaim` in the connector options.',
  },
  RMT_OIDC_EMAIL_UNVERIFIED: {
    category: 'unauthenticated',
    summary:
      'The username comes from the `email` claim and the provider says that address is not verified (`email_verified: false`), so it may belong to someone else.',
    hint: 'Verify the email address at the identity provider and sign in again, or choose another `usernameClaim`.',
  },
});
