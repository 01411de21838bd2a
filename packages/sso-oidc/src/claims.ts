import type { Traits } from '@remoteler/core';

/**
 * Claims that describe the token rather than the user (OpenID Connect Core §2, §3.1.3.6): never
 * exposed as `external.*` traits, so that a role template cannot depend on a nonce or a hash.
 */
const PROTOCOL_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'auth_time',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'azp',
  'sid',
  'cnf',
  '_claim_names',
  '_claim_sources',
]);

/** Longest claim value kept, in characters; longer ones are dropped rather than cut. */
const MAX_VALUE_LENGTH = 1024;
/** Most values kept per claim (a `groups` claim of a large directory). */
const MAX_VALUES = 1000;

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length <= MAX_VALUE_LENGTH ? value : undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Turns ID token and userinfo claims into Remoteler claims: string lists keyed by claim name,
 * ready to become `external.<claim>` traits. Strings, numbers and booleans become one-element
 * lists, arrays keep their scalar members, objects (e.g. `address`) and protocol claims are left
 * out. Earlier sources win where two carry the same claim.
 */
export function claimsToTraits(
  ...sources: ReadonlyArray<Readonly<Record<string, unknown>> | undefined>
): Traits {
  const out: Record<string, readonly string[]> = {};
  for (const source of sources) {
    if (!source) continue;
    for (const [name, value] of Object.entries(source)) {
      if (PROTOCOL_CLAIMS.has(name) || Object.hasOwn(out, name)) continue;
      const values = Array.isArray(value)
        ? value
            .map(scalar)
            .filter((v): v is string => v !== undefined)
            .slice(0, MAX_VALUES)
        : [scalar(value)].filter((v): v is string => v !== undefined);
      if (values.length > 0) out[name] = Object.freeze(values);
    }
  }
  return Object.freeze(out);
}
