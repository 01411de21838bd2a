import { stdSerializers } from 'pino';

/** What replaces a secret in log output. */
export const REDACTED = '[REDACTED]';

// Keys whose values are secrets wherever they appear, compared without case, `-` or `_`:
// HTTP credentials, passwords, OAuth/OIDC material (RFC 6749 §4.1.2 `code`, RFC 7636 `code_verifier`),
// Remoteler join tokens and one-time codes, and private keys.
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'clientsecret',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'bearertoken',
  'jointoken',
  'sessiontoken',
  'apikey',
  'privatekey',
  'privatekeypem',
  'keypem',
  'key',
  'codeverifier',
  'verifier',
  'onetimecode',
  'otp',
  'credentials',
  'xremotelertoken',
]);
const SECRET_SUFFIXES = ['password', 'secret', 'token', 'privatekey', 'passphrase'];

/** Whether a field of this name holds a secret (e.g. `authorization`, `clientSecret`, `join_token`). */
export function isSecretKey(key: string): boolean {
  const normal = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(normal) || SECRET_SUFFIXES.some((suffix) => normal.endsWith(suffix));
}

// Secrets that can hide inside free text (a message, an error, a URL).
const TEXT_PATTERNS: readonly (readonly [RegExp, string])[] = [
  // PEM private keys of any kind (PKCS#8, SEC1 "EC", PKCS#1 "RSA", encrypted).
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, REDACTED],
  // HTTP credentials (RFC 7235 schemes).
  [/\b(Bearer|Basic|Digest|Negotiate)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // JWTs (ID tokens, service account tokens): three base64url parts, the first a JSON header.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Secret query parameters: the OAuth callback's `code` and `state`, tokens, PKCE verifiers.
  [
    /([?&;](?:code|state|token|access_token|id_token|refresh_token|client_secret|code_verifier|password|join_token|otp)=)[^&\s#"';]*/gi,
    `$1${REDACTED}`,
  ],
  // `password=…`, `token: …`, `"secret":"…"` in prose or serialised JSON.
  [
    /(\b(?:password|passwd|secret|client_secret|clientSecret|token|join_token|joinToken)\b"?\s*[:=]\s*"?)[^\s",;&}]+/gi,
    `$1${REDACTED}`,
  ],
];

/** Replaces secrets found in free text (private keys, credentials, JWTs, secret query parameters). */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 10;

function isErrorLike(value: object): value is Error {
  // Errors from another realm fail instanceof; a plain object with `message` is not an error.
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

/**
 * A copy of `value` fit for a log line: fields with secret names replaced by `[REDACTED]`, secrets
 * in strings removed, errors serialised (message, stack, code, cause) and cleaned the same way,
 * cycles cut and nesting limited to 10 levels. Never throws.
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    if (value instanceof Date) return value;
    if (isErrorLike(value))
      return redactSecrets({ ...stdSerializers.errWithCause(value as Error) }, depth + 1, seen) as object;
    // URL and other objects that serialise themselves: clean what JSON would show.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return redactSecrets(toJSON.call(value), depth + 1, seen);
    if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
    if (value instanceof Map) return redactSecrets(Object.fromEntries(value), depth, seen);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        isSecretKey(key) && item !== undefined && item !== null
          ? REDACTED
          : redactSecrets(item, depth + 1, seen);
    }
    return out;
  } catch {
    return '[Unserializable]';
  } finally {
    seen.delete(value);
  }
}
