import { defineErrors } from './define.js';

/**
 * Errors raised by the Auth service (`@remoteler/auth`): login orchestration, the SSO one-time-code
 * exchange, reissue, the HTTPS API, the admin API and join tokens. Password checks themselves
 * (`RMT_AUTH_INVALID_CREDENTIALS`, `RMT_AUTH_LOCKED_OUT`, `RMT_AUTH_USER_DISABLED`) live in
 * connector.ts and are reused, not duplicated.
 */
export const AUTH_ERRORS = defineErrors({
  RMT_AUTH_CONNECTOR_NOT_FOUND: {
    category: 'not-found',
    summary: 'The login named a connector the Auth service does not have.',
    hint: 'Pick one of the connectors that GET /v1/ping lists.',
  },
  RMT_AUTH_CONNECTOR_FLOW_UNSUPPORTED: {
    category: 'input',
    summary: 'The connector does not offer the requested login flow (SSO redirect or password).',
    hint: 'Use the flow the connector declares in GET /v1/ping (capabilities), or another connector.',
  },
  RMT_AUTH_NO_ROLES: {
    category: 'forbidden',
    summary: 'The login succeeded at the identity provider but maps to no existing Remoteler role.',
    hint: "Ask an administrator to grant a role, or to map one of your groups to a role in the connector's claims_to_roles.",
  },
  RMT_AUTH_LOCKED: {
    category: 'forbidden',
    summary:
      'A lock targets the user, one of its roles or the requested cluster, so no certificate is issued.',
    hint: 'Ask an administrator why the lock exists; it applies until it expires or is removed.',
  },
  RMT_AUTH_PUBLIC_KEY_INVALID: {
    category: 'input',
    summary:
      'The public key sent for a certificate is not a PEM SubjectPublicKeyInfo (BEGIN PUBLIC KEY), or a private key was sent.',
    hint: 'Send only the public half of the key pair as SPKI PEM; the private key must never leave your machine.',
  },
  RMT_AUTH_REDIRECT_NOT_LOOPBACK: {
    category: 'input',
    summary:
      'An SSO start named a redirect that is not http://127.0.0.1:PORT/callback or http://[::1]:PORT/callback (RFC 8252 loopback).',
    hint: 'Let the remoteler client listen on a loopback port and pass exactly http://127.0.0.1:<port>/callback.',
  },
  RMT_AUTH_CODE_CHALLENGE_INVALID: {
    category: 'input',
    summary:
      'An SSO start did not carry an S256 code challenge (43 base64url characters, RFC 7636 §4.2) or used another method.',
    hint: 'Send code_challenge = BASE64URL(SHA-256(verifier)) with method S256.',
  },
  RMT_AUTH_SSO_STATE_INVALID: {
    category: 'unauthenticated',
    summary:
      'An SSO callback carried a state the Auth service never issued, one already used, or one whose login expired.',
    hint: 'Start the login again with remoteler login; each sign-in link works once and for a few minutes.',
  },
  RMT_AUTH_CODE_INVALID: {
    category: 'unauthenticated',
    summary:
      'A one-time login code is unknown or was already used (every code is used up by its first redeem attempt).',
    hint: 'Start the login again with remoteler login; a code can be redeemed once only.',
  },
  RMT_AUTH_CODE_EXPIRED: {
    category: 'unauthenticated',
    summary: 'A one-time login code was redeemed after its 60 second lifetime.',
    hint: 'Start the login again with remoteler login and let the client redeem the code at once.',
  },
  RMT_AUTH_CODE_VERIFIER_MISMATCH: {
    category: 'unauthenticated',
    summary:
      'The PKCE verifier sent with a one-time code does not match the challenge given at start; the code is now used up.',
    hint: 'Start the login again; only the client that started the login knows the verifier.',
  },
  RMT_AUTH_CODE_KEY_MISMATCH: {
    category: 'unauthenticated',
    summary: 'A one-time code was redeemed for another public key than the one the login was started with.',
    hint: 'Start the login again; the certificate is issued only for the key the login started with.',
  },
  RMT_AUTH_CODE_REDIRECT_MISMATCH: {
    category: 'unauthenticated',
    summary: 'A one-time code was redeemed with another redirect than the one the login was started with.',
    hint: 'Start the login again and redeem with the same redirect URL (RFC 6749 §4.1.3).',
  },
  RMT_AUTH_REISSUE_EXCEEDS: {
    category: 'forbidden',
    summary:
      'A reissue asked for more than the current certificate allows (a later expiry, other roles or traits).',
    hint: 'Ask for a shorter lifetime, or log in again with remoteler login to get a new certificate.',
  },
  RMT_AUTH_CLUSTER_NOT_FOUND: {
    category: 'not-found',
    summary: 'The requested Kubernetes cluster does not exist or the user may not use it.',
    hint: 'List the clusters you may use with remoteler kube ls.',
  },
  RMT_AUTH_RATE_LIMITED_USER: {
    category: 'rate-limited',
    summary: 'Too many password login attempts for this username in the rate-limit window.',
    hint: 'Wait the number of seconds in the Retry-After header (details.retryAfterSeconds) and try again.',
  },
  RMT_AUTH_RATE_LIMITED_SOURCE: {
    category: 'rate-limited',
    summary: 'Too many password login attempts from this network address in the rate-limit window.',
    hint: 'Wait the number of seconds in the Retry-After header (details.retryAfterSeconds) and try again.',
  },
  RMT_AUTH_TOO_MANY_PENDING: {
    category: 'rate-limited',
    summary:
      'Too many SSO logins are in progress at once; the Auth service refuses new ones until some finish or expire.',
    hint: 'Try again in a minute; if it persists, an operator should raise maxPendingLogins.',
  },
  RMT_AUTH_CLIENT_CERT_REQUIRED: {
    category: 'unauthenticated',
    summary:
      'The endpoint needs a client certificate of the right kind (a user certificate, or a host certificate for joins) and none valid was presented.',
    hint: 'Log in again with remoteler login (users) or join with a token (hosts), and present that certificate.',
  },
  RMT_AUTH_ADMIN_REQUIRED: {
    category: 'forbidden',
    summary:
      "The admin API was called with a certificate whose roles include none of the Auth service's admin roles.",
    hint: 'Ask an administrator for a role listed in the Auth service option adminRoles (default: admin).',
  },
  RMT_AUTH_REQUEST_INVALID: {
    category: 'input',
    summary: 'An API request body or parameter did not validate; every problem is listed with its path.',
    hint: 'Fix each listed field and send the request again.',
  },
  RMT_AUTH_BODY_TOO_LARGE: {
    category: 'input',
    status: 413,
    summary: 'An API request body is larger than the Auth service accepts.',
    hint: 'Send a smaller body; resources are small YAML/JSON documents.',
  },
  RMT_AUTH_UNSUPPORTED_MEDIA_TYPE: {
    category: 'input',
    status: 415,
    summary: 'An API request body is not JSON (Content-Type application/json).',
    hint: 'Send the body as JSON with Content-Type: application/json.',
  },
  RMT_AUTH_ROUTE_NOT_FOUND: {
    category: 'not-found',
    summary: 'No Auth API endpoint has this path.',
    hint: 'Check the path against the @remoteler/auth README (all paths start with /v1/).',
  },
  RMT_AUTH_METHOD_NOT_ALLOWED: {
    category: 'input',
    status: 405,
    summary: 'The Auth API endpoint exists but not with this HTTP method.',
    hint: 'Use one of the methods in the Allow header.',
  },
  RMT_AUTH_RESOURCE_NAME_MISMATCH: {
    category: 'input',
    summary: "An admin PUT's body names another resource than its URL path.",
    hint: 'Make metadata.name in the body equal to the last path segment.',
  },
  RMT_AUTH_JOIN_TOKEN_INVALID: {
    category: 'unauthenticated',
    summary: 'A join token is unknown, already used, expired, or not valid for the requested host role.',
    hint: 'Ask an administrator for a new token (tokens work once and for a short time).',
  },
  RMT_AUTH_HOST_MISMATCH: {
    category: 'forbidden',
    summary:
      'A host certificate renewal asked for another host id, role or cluster than the current certificate names.',
    hint: 'Renew with the same host identity, or join again with a new token.',
  },
  RMT_AUTH_CLOSED: {
    category: 'unavailable',
    summary: 'The Auth service was used after close().',
    hint: 'Create a new AuthService; a closed one never reopens.',
  },
});
