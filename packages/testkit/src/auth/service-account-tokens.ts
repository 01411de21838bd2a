import { randomBytes } from 'node:crypto';
import type { TokenUser } from './user-info.js';

/** A token issued by {@link ServiceAccountTokens.issue}. */
export interface IssuedServiceAccountToken {
  /** The bearer token. */
  readonly token: string;
  /** When the API server stops accepting it, in ms since the epoch. */
  readonly expiresAt: number;
}

/** Shortest lifetime a TokenRequest may ask for, in seconds (10 minutes; apiserver TokenRequest validation). */
export const TOKEN_REQUEST_MIN_SECONDS = 600;
/** Longest lifetime a TokenRequest may ask for, in seconds (2^32; apiserver TokenRequest validation). */
export const TOKEN_REQUEST_MAX_SECONDS = 2 ** 32;

/**
 * Bound service-account tokens, as the TokenRequest API (`POST .../serviceaccounts/NAME/token`)
 * hands them to the kubelet for projected volumes and to `kubectl create token`: each authenticates
 * as `system:serviceaccount:<namespace>:<name>` with the groups `system:serviceaccounts` and
 * `system:serviceaccounts:<namespace>` until it expires. The tokens live in the simulator's token
 * table (shared with {@link KubeApiSimulator.addToken}); expired ones are removed from it.
 */
export class ServiceAccountTokens {
  readonly #tokens: Map<string, TokenUser>;
  readonly #now: () => number;
  readonly #expiry = new Map<string, number>();

  /**
   * @param tokens the simulator's token table, shared with its authenticator.
   * @param now clock in ms since the epoch; default `Date.now`.
   */
  constructor(tokens: Map<string, TokenUser>, now: () => number = Date.now) {
    this.#tokens = tokens;
    this.#now = now;
  }

  /**
   * Issues a token for the service account `namespace/name` (whose uid goes into the user info),
   * valid for `expirationSeconds` seconds from now. The caller checks the account exists and the
   * lifetime is within {@link TOKEN_REQUEST_MIN_SECONDS}..{@link TOKEN_REQUEST_MAX_SECONDS}.
   */
  issue(
    namespace: string,
    name: string,
    uid: string | undefined,
    expirationSeconds: number,
  ): IssuedServiceAccountToken {
    // Real tokens are JWTs; kubectl and the Proxy treat them as opaque, so random bytes do.
    const token = `sim-sa.${randomBytes(24).toString('base64url')}`;
    const expiresAt = this.#now() + expirationSeconds * 1000;
    this.#tokens.set(token, {
      name: `system:serviceaccount:${namespace}:${name}`,
      ...(uid ? { uid } : {}),
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
    });
    this.#expiry.set(token, expiresAt);
    return { token, expiresAt };
  }

  /** Drops the tokens that have expired, so that they authenticate no more (401). */
  expire(): void {
    const now = this.#now();
    for (const [token, expiresAt] of this.#expiry) {
      if (expiresAt > now) continue;
      this.#expiry.delete(token);
      this.#tokens.delete(token);
    }
  }
}
