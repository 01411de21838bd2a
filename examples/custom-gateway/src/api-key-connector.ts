import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type ExternalIdentity,
  type IdentityConnector,
  type IdentityConnectorCapabilities,
  RemotelerError,
} from '@remoteler/core';

/**
 * An account as the host service already keeps it in its own database: who the user is, which
 * teams they belong to, and the SHA-256 digests of the API keys they have created. The key itself
 * is shown to the user once and never stored.
 */
export interface HostAccount {
  readonly username: string;
  /** Lowercase hex SHA-256 digests of the account's API keys (see {@link hashApiKey}). */
  readonly apiKeyDigests: readonly string[];
  /** Team names; become the `groups` claim, which `claimsToRoles` maps to Remoteler roles. */
  readonly teams: readonly string[];
  /** Becomes the `email` claim when present. */
  readonly email?: string;
  /** A disabled account is refused (RMT_AUTH_USER_DISABLED) even with a valid key. */
  readonly disabled?: boolean;
}

/**
 * Finds an account by username in the host's database; `undefined` when there is none. Called
 * once per login attempt with a name that already passed the syntax check.
 */
export type HostAccountLookup = (
  username: string,
) => Promise<HostAccount | undefined> | HostAccount | undefined;

/** Options for {@link ApiKeyConnector}. */
export interface ApiKeyConnectorOptions {
  /** Connector id (in certificates and audit events). Default `api-keys`. */
  readonly id?: string;
  /** Shown by `remoteler login`. Default `Gateway API keys`. */
  readonly displayName?: string;
  /** The host's account lookup. */
  readonly accounts: HostAccountLookup;
}

/** API keys made by {@link createApiKey} start with this, so secret scanners can recognise leaked ones. */
export const API_KEY_PREFIX = 'gwk_';

// The host's own username rules: letters, digits and `._@-`, starting with a letter or digit. It
// rules out control characters and LDAP/glob wildcards before anything reaches the database.
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const DIGEST_BYTES = 32;
const MAX_KEY_LENGTH = 256;

/**
 * Makes a new API key: 256 random bits, base64url, with {@link API_KEY_PREFIX}. Give `key` to the
 * user once; store only `digest`.
 */
export function createApiKey(): { readonly key: string; readonly digest: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, digest: hashApiKey(key) };
}

/**
 * The digest stored for an API key: lowercase hex SHA-256. A fast hash is enough here, unlike for
 * passwords, because a key holds 256 random bits: there is no dictionary to try (NIST SP 800-63B
 * §5.1.1.2 asks for a slow hash only for memorised, i.e. guessable, secrets).
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * An {@link IdentityConnector} for users of the host service who sign in with their username and
 * one of their API keys (`remoteler login --user NAME`, the key typed as the password). The host's
 * teams become the `groups` claim; roles come from the Auth service's `claimsToRoles`.
 */
export class ApiKeyConnector implements IdentityConnector {
  readonly id: string;
  readonly kind = 'host-api-key';
  readonly displayName: string;
  readonly capabilities: IdentityConnectorCapabilities = Object.freeze({
    redirectLogin: false,
    passwordLogin: true,
  });
  readonly #accounts: HostAccountLookup;
  #closed = false;

  constructor(options: ApiKeyConnectorOptions) {
    const problems: Array<{ path: string; message: string }> = [];
    if (typeof options?.accounts !== 'function')
      problems.push({ path: 'accounts', message: 'must be a function (username) => account | undefined' });
    for (const key of ['id', 'displayName'] as const)
      if (options?.[key] !== undefined && (typeof options[key] !== 'string' || options[key] === ''))
        problems.push({ path: key, message: 'must be a non-empty string' });
    if (problems.length > 0)
      throw new RemotelerError(
        'RMT_CONFIG_INVALID',
        `ApiKeyConnector options are invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        { details: { problems } },
      );
    this.id = options.id ?? 'api-keys';
    this.displayName = options.displayName ?? 'Gateway API keys';
    this.#accounts = options.accounts;
  }

  /**
   * Checks `apiKey` against the account's key digests. Rejects with RMT_AUTH_INVALID_CREDENTIALS
   * (unknown user, wrong key, malformed input: one answer), RMT_AUTH_USER_DISABLED or
   * RMT_CONNECTOR_CLOSED.
   */
  async authenticatePassword(username: string, apiKey: string): Promise<ExternalIdentity> {
    this.#assertOpen();
    const plausible =
      typeof username === 'string' &&
      USERNAME.test(username) &&
      typeof apiKey === 'string' &&
      apiKey !== '' &&
      apiKey.length <= MAX_KEY_LENGTH;
    // The digest is computed for every attempt, so an unknown user costs the same work as a wrong key.
    const presented = createHash('sha256')
      .update(plausible ? apiKey : '', 'utf8')
      .digest();
    const account = plausible ? await this.#accounts(username) : undefined;
    this.#assertOpen();
    if (!plausible || account === undefined || !holdsKey(account, presented))
      // One answer for an unknown user, a wrong key and a malformed name: it reveals nothing.
      throw new RemotelerError('RMT_AUTH_INVALID_CREDENTIALS', 'invalid username or API key', {
        details: { connectorId: this.id },
      });
    if (account.disabled)
      throw new RemotelerError('RMT_AUTH_USER_DISABLED', `the account ${account.username} is disabled`, {
        details: { connectorId: this.id },
      });
    return {
      connectorId: this.id,
      username: account.username,
      // The host, not Remoteler, manages these users: for Remoteler they are external ("sso") users.
      userType: 'sso',
      claims: {
        groups: [...account.teams],
        ...(account.email === undefined ? {} : { email: [account.email] }),
      },
    };
  }

  /** Idempotent; later logins fail with RMT_CONNECTOR_CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RemotelerError('RMT_CONNECTOR_CLOSED', `connector ${this.id} is closed`);
  }
}

/** Compares against every stored digest in constant time (no early exit on the first match). */
function holdsKey(account: HostAccount, presented: Buffer): boolean {
  let match = false;
  for (const hex of account.apiKeyDigests) {
    const stored = Buffer.from(hex, 'hex');
    if (stored.length === DIGEST_BYTES && timingSafeEqual(stored, presented)) match = true;
  }
  return match;
}
