import { createHash, timingSafeEqual } from 'node:crypto';
import { RemotelerError } from '@remoteler/core';

// RFC 7636 §4.2: BASE64URL(SHA-256(verifier)) without padding is always 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
// RFC 7636 §4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** Checks an S256 code challenge (the only method accepted: `plain` would put the verifier on the wire). */
export function checkS256Challenge(challenge: unknown, method: unknown): string {
  if (method !== 'S256')
    throw new RemotelerError('RMT_AUTH_CODE_CHALLENGE_INVALID', 'the code challenge method must be S256');
  if (typeof challenge !== 'string' || !S256_CHALLENGE.test(challenge))
    throw new RemotelerError(
      'RMT_AUTH_CODE_CHALLENGE_INVALID',
      'the code challenge must be 43 base64url characters (SHA-256 of the verifier)',
    );
  return challenge;
}

/** The S256 challenge of a verifier (what a client sends at start). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** True when `verifier` is well formed and hashes to `challenge` (compared in constant time). */
export function verifierMatches(verifier: unknown, challenge: string): boolean {
  if (typeof verifier !== 'string' || !VERIFIER.test(verifier)) return false;
  const actual = Buffer.from(s256Challenge(verifier));
  const expected = Buffer.from(challenge);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
