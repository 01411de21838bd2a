import { RemotelerError } from '@remoteler/core';
import { AuthorizationResponseError, ResponseBodyError } from 'openid-client';

interface CodedError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly error?: unknown;
}

/** The chain error -> cause -> cause…, as far as it goes (openid-client wraps oauth4webapi's errors). */
function chain(error: unknown): CodedError[] {
  const out: CodedError[] = [];
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && out.length < 8) {
    out.push(current as CodedError);
    current = (current as CodedError).cause;
  }
  return out;
}

function hasCode(error: unknown, code: string): boolean {
  return chain(error).some((link) => link.code === code);
}

/** The claim named in an oauth4webapi claim/timestamp failure (`cause.claim`). */
function failedClaim(error: unknown): string | undefined {
  for (const link of chain(error)) {
    const claim = (link as { claim?: unknown }).claim;
    if (typeof claim === 'string') return claim;
  }
  return undefined;
}

/**
 * An OAuth error code fit for details and logs: RFC 6749 §4.1.2.1 limits `error` to printable ASCII
 * without `"` and `\\`; the callback's copy comes from the browser, so anything else is replaced.
 */
function oauthErrorCode(value: unknown): string {
  return typeof value === 'string' && /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(value)
    ? value
    : 'unrecognised';
}

function messages(error: unknown): string {
  return chain(error)
    .map((link) => (typeof link.message === 'string' ? link.message : ''))
    .join(' | ');
}

/**
 * Turns a discovery failure into an `RMT_OIDC_*` error. The cause is kept for logs; the message
 * names the issuer only (discovery documents hold no secrets).
 */
export function discoveryError(error: unknown, issuer: string): RemotelerError {
  if (RemotelerError.is(error)) return error;
  if (hasCode(error, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'))
    return new RemotelerError(
      'RMT_OIDC_ISSUER_MISMATCH',
      `the discovery document of ${issuer} names another issuer`,
      { cause: error, details: { issuer } },
    );
  if (
    hasCode(error, 'OAUTH_RESPONSE_IS_NOT_JSON') ||
    hasCode(error, 'OAUTH_PARSE_ERROR') ||
    hasCode(error, 'OAUTH_INVALID_RESPONSE') ||
    hasCode(error, 'OAUTH_INVALID_SERVER_METADATA') ||
    hasCode(error, 'OAUTH_MISSING_SERVER_METADATA')
  )
    return new RemotelerError(
      'RMT_OIDC_DISCOVERY_INVALID',
      `the discovery document of ${issuer} is not usable`,
      {
        cause: error,
        details: { issuer },
      },
    );
  return new RemotelerError(
    'RMT_OIDC_ISSUER_UNREACHABLE',
    `could not read the discovery document of ${issuer}`,
    { cause: error, details: { issuer } },
  );
}

/**
 * `RMT_OIDC_PROVIDER_TIMEOUT` when the failure is the connector's own request timeout (openid-client's
 * `OAUTH_TIMEOUT`, or the fetch's `TimeoutError` abort), so that a slow or overloaded provider is
 * not reported as a misconfigured client; otherwise undefined.
 */
export function providerTimeout(error: unknown, endpoint: 'token' | 'userinfo'): RemotelerError | undefined {
  const timedOut = chain(error).some(
    (link) => link.code === 'OAUTH_TIMEOUT' || (link as { name?: unknown }).name === 'TimeoutError',
  );
  if (!timedOut) return undefined;
  return new RemotelerError(
    'RMT_OIDC_PROVIDER_TIMEOUT',
    `the identity provider did not answer the ${endpoint} request in time`,
    { cause: error, details: { endpoint } },
  );
}

/**
 * Turns a failure of the authorization code grant (callback checks, token request, ID token
 * validation) into a Remoteler error. Callback and code problems are the core contract's
 * RMT_CONNECTOR_LOGIN_INVALID; ID token problems get their own codes.
 */
export function grantError(error: unknown): RemotelerError {
  if (RemotelerError.is(error)) return error;
  const timeout = providerTimeout(error, 'token');
  if (timeout) return timeout;
  if (error instanceof AuthorizationResponseError)
    return new RemotelerError('RMT_CONNECTOR_LOGIN_INVALID', 'the identity provider refused the login', {
      cause: error,
      details: { reason: 'idp-error', error: oauthErrorCode(error.error) },
    });
  if (error instanceof ResponseBodyError) {
    // RFC 6749 §5.2: invalid_grant is a used, expired or foreign authorization code (or a PKCE
    // verifier that does not match): a problem of this login, not of the connector.
    if (error.error === 'invalid_grant')
      return new RemotelerError(
        'RMT_CONNECTOR_LOGIN_INVALID',
        'the identity provider refused the authorization code (used, expired or not issued for this login)',
        { cause: error, details: { reason: 'code-refused', error: oauthErrorCode(error.error) } },
      );
    return new RemotelerError('RMT_OIDC_TOKEN_REQUEST_FAILED', 'the token endpoint refused the request', {
      cause: error,
      details: { error: oauthErrorCode(error.error) },
    });
  }
  const text = messages(error);
  if (/signature verification failed/i.test(text))
    return new RemotelerError('RMT_OIDC_ID_TOKEN_SIGNATURE_INVALID', 'the ID token signature is not valid', {
      cause: error,
    });
  if (hasCode(error, 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED'))
    return new RemotelerError('RMT_OIDC_ID_TOKEN_EXPIRED', 'the ID token is expired or not yet valid', {
      cause: error,
      details: { claim: failedClaim(error) },
    });
  if (hasCode(error, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED')) {
    const claim = failedClaim(error);
    if (claim === 'aud' || claim === 'azp')
      return new RemotelerError(
        'RMT_OIDC_ID_TOKEN_AUDIENCE_MISMATCH',
        'the ID token was not issued for this connector',
        { cause: error, details: { claim } },
      );
    if (claim === 'nonce')
      return new RemotelerError('RMT_OIDC_NONCE_MISMATCH', 'the ID token nonce does not match this login', {
        cause: error,
      });
    return new RemotelerError('RMT_OIDC_ID_TOKEN_INVALID', 'an ID token claim failed validation', {
      cause: error,
      details: { claim },
    });
  }
  // A state or `iss` response parameter that does not match (RFC 9207) arrives as an invalid
  // response about the authorization response: a tampered or foreign callback.
  if (/"state"|"iss" \(issuer\) response parameter/.test(text))
    return new RemotelerError('RMT_CONNECTOR_LOGIN_INVALID', 'the login callback does not match this login', {
      cause: error,
      details: { reason: 'callback-mismatch' },
    });
  if (hasCode(error, 'OAUTH_INVALID_RESPONSE') || hasCode(error, 'OAUTH_JWT_USERINFO_EXPECTED'))
    return new RemotelerError('RMT_OIDC_ID_TOKEN_INVALID', 'the token response or ID token is not valid', {
      cause: error,
    });
  return new RemotelerError(
    'RMT_OIDC_TOKEN_REQUEST_FAILED',
    'the token request to the identity provider failed',
    {
      cause: error,
    },
  );
}
