import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Clock, systemClock } from '../config/clock.js';
import { parseOptions } from '../config/options.js';
import type {
  ExternalIdentity,
  IdentityConnector,
  IdentityConnectorCapabilities,
} from '../contracts/identity-connector.js';
import { RemotelerError } from '../errors/remoteler-error.js';
import type { Traits } from '../types/identity.js';
import { resourceNameSchema } from '../types/resource.js';
import { traitsSchema } from '../types/user.js';
import {
  DEFAULT_SCRYPT_COST,
  hashPassword,
  type ParsedPasswordHash,
  parsePasswordHash,
  type ScryptCost,
  verifyPassword,
} from './password-hash.js';

/** A local user as the connector sees it: credentials plus what goes into the identity. */
export interface LocalUserEntry {
  readonly username: string;
  /** A string made by `hashPassword()`. */
  readonly passwordHash: string;
  /** Roles granted to the user. */
  readonly roles: readonly string[];
  /** Returned as claims (e.g. `groups`). Default `{}`. */
  readonly traits?: Traits;
  /** A disabled user is refused with RMT_AUTH_USER_DISABLED, after a correct password only. */
  readonly disabled?: boolean;
}

/** Finds a user by name; `undefined` when there is none. Lets users live in a store or a database. */
export type LocalUserLookup = (
  username: string,
) => Promise<LocalUserEntry | undefined> | LocalUserEntry | undefined;

/** Lockout after repeated failures. */
export interface LockoutOptions {
  /** Failures within `windowMs` that lock the username. Default 5. */
  readonly maxFailures?: number;
  /** Milliseconds over which failures count. Default 900,000 (15 minutes). */
  readonly windowMs?: number;
  /** Milliseconds a locked username stays locked after its last failure. Default 900,000 (15 minutes). */
  readonly durationMs?: number;
  /** Most usernames tracked at once; the oldest are forgotten first. Default 10,000. */
  readonly maxTrackedUsers?: number;
}

/** Options for {@link LocalUserConnector}. */
export interface LocalUserConnectorOptions {
  /** Connector id. Default `local`. */
  readonly id?: string;
  /** Default `Local users`. */
  readonly displayName?: string;
  /** The users, as a list (validated at construction) or a lookup function. */
  readonly users: readonly LocalUserEntry[] | LocalUserLookup;
  readonly lockout?: LockoutOptions;
  /**
   * The scrypt cost of the dummy hash checked for unknown users, so that an unknown name takes as
   * long as a wrong password. Set it to the cost your users' hashes use. Default: the cost of the
   * first listed user's hash, or `DEFAULT_SCRYPT_COST` with a lookup function.
   */
  readonly hashCost?: ScryptCost;
  /** Time source for lockout windows (ms since the epoch). Default `Date.now`. */
  readonly clock?: Clock;
}

const userEntrySchema = z.strictObject({
  username: resourceNameSchema,
  passwordHash: z.string().refine((value) => {
    try {
      parsePasswordHash(value);
      return true;
    } catch {
      return false;
    }
  }, 'must be a hash made by hashPassword(): $scrypt$ln=<n>,r=<r>,p=<p>$<salt>$<hash> with safe parameters'),
  roles: z.array(z.string().min(1)),
  traits: traitsSchema.optional(),
  disabled: z.boolean().optional(),
});

const usersListSchema = z.array(userEntrySchema).superRefine((users, context) => {
  const seen = new Set<string>();
  users.forEach((user, index) => {
    if (seen.has(user.username))
      context.addIssue({
        code: 'custom',
        path: [index, 'username'],
        message: `duplicate username ${user.username}`,
      });
    seen.add(user.username);
  });
});

const lookupSchema = z.custom<LocalUserLookup>(
  (value) => typeof value === 'function',
  'must be a list of users or a lookup function',
);

const optionsSchema = z.strictObject({
  id: z.string().min(1).default('local'),
  displayName: z.string().min(1).default('Local users'),
  users: usersListSchema,
  lockout: z
    .strictObject({
      maxFailures: z.number().int().min(1).default(5),
      windowMs: z.number().int().min(1).default(900_000),
      durationMs: z.number().int().min(1).default(900_000),
      maxTrackedUsers: z.number().int().min(1).default(10_000),
    })
    .default({ maxFailures: 5, windowMs: 900_000, durationMs: 900_000, maxTrackedUsers: 10_000 }),
  hashCost: z
    .strictObject({
      logN: z.number().int().min(1).max(22),
      r: z.number().int().min(1).max(32),
      p: z.number().int().min(1).max(16),
    })
    .optional(),
  clock: z
    .custom<Clock>((value) => typeof value === 'function', 'must be a function returning ms')
    .default(() => systemClock),
});

/** Longest password checked, in UTF-16 code units; longer ones are refused as wrong (scrypt work grows with length). */
const MAX_PASSWORD_LENGTH = 1024;

interface FailureRecord {
  /** Failure times (ms) within the window, oldest first. */
  times: number[];
  lockedUntil: number;
}

/**
 * Password login for users that Remoteler manages itself. Passwords are stored only as scrypt
 * hashes; checks are constant-time and take the same time for unknown users (a dummy hash is
 * checked); a username is locked for a while after repeated failures, whether or not it exists,
 * so that the lock reveals nothing either.
 */
export class LocalUserConnector implements IdentityConnector {
  readonly id: string;
  readonly kind = 'local';
  readonly displayName: string;
  readonly capabilities: IdentityConnectorCapabilities = Object.freeze({
    redirectLogin: false,
    passwordLogin: true,
  });

  readonly #lookup: LocalUserLookup;
  readonly #lockout: Required<LockoutOptions>;
  readonly #clock: Clock;
  readonly #failures = new Map<string, FailureRecord>();
  readonly #dummy: Promise<ParsedPasswordHash>;
  #closed = false;

  constructor(options: LocalUserConnectorOptions) {
    // Pick the schema by shape: a union would report "invalid input" for a bad list entry instead
    // of the entry's own path (users[2].passwordHash).
    const schema =
      typeof options?.users === 'function' ? optionsSchema.extend({ users: lookupSchema }) : optionsSchema;
    const parsed = parseOptions(schema, options, 'LocalUserConnector options');
    this.id = parsed.id;
    this.displayName = parsed.displayName;
    this.#lockout = parsed.lockout;
    this.#clock = parsed.clock;
    let cost = parsed.hashCost;
    if (typeof parsed.users === 'function') this.#lookup = parsed.users;
    else {
      const users = parsed.users as LocalUserEntry[];
      const byName = new Map(users.map((user) => [user.username, user]));
      this.#lookup = (username) => byName.get(username);
      cost ??= users[0] === undefined ? undefined : parsePasswordHash(users[0].passwordHash).cost;
    }
    // Made now rather than on the first unknown name, which would otherwise take twice as long as
    // any later one: a one-time timing signal. Failures surface when it is awaited.
    this.#dummy = hashPassword(randomBytes(16).toString('hex'), { cost: cost ?? DEFAULT_SCRYPT_COST }).then(
      parsePasswordHash,
    );
    this.#dummy.catch(() => {});
  }

  async authenticatePassword(username: string, password: string): Promise<ExternalIdentity> {
    this.#assertOpen();
    const name = typeof username === 'string' ? username.normalize('NFC') : '';
    const secret = typeof password === 'string' ? password : '';
    // No valid username is longer than a resource name, and no one types a 1 KiB password: such
    // input is refused like any wrong credentials, without a lookup and without being remembered
    // in the failure table (whose memory would otherwise grow with the attacker's input).
    const plausible =
      name !== '' && name.length <= 253 && secret !== '' && secret.length <= MAX_PASSWORD_LENGTH;
    if (name.length <= 253) {
      this.#assertNotLocked(name);
      // Counted as a failure before the (slow) check and cleared on success, so that many guesses
      // sent at once cannot all slip past the lockout while the first ones are still hashing.
      this.#recordFailure(name);
    }
    const user = plausible ? await this.#lookup(name) : undefined;
    let matches = false;
    if (user === undefined) {
      // Spend the same work as a real check, so that response time does not reveal whether the user exists.
      await verifyPassword(plausible ? secret : '', await this.#dummy);
    } else {
      matches = await verifyPassword(secret, user.passwordHash);
    }
    this.#assertOpen();
    if (!matches || user === undefined) {
      throw new RemotelerError('RMT_AUTH_INVALID_CREDENTIALS', 'invalid username or password', {
        details: { connectorId: this.id },
      });
    }
    this.#failures.delete(name);
    if (user.disabled)
      throw new RemotelerError('RMT_AUTH_USER_DISABLED', `the account ${name} is disabled`, {
        details: { connectorId: this.id },
      });
    return {
      connectorId: this.id,
      username: user.username,
      userType: 'local',
      roles: [...user.roles],
      claims: { ...(user.traits ?? {}), username: [user.username], roles: [...user.roles] },
    };
  }

  /** Clears the failure count and any lockout of a username (an admin action). */
  resetLockout(username: string): void {
    this.#failures.delete(username.normalize('NFC'));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#failures.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new RemotelerError('RMT_CONNECTOR_CLOSED', `connector ${this.id} is closed`);
  }

  #assertNotLocked(name: string): void {
    const record = this.#failures.get(name);
    const now = this.#clock();
    if (record === undefined || record.lockedUntil <= now) return;
    throw new RemotelerError('RMT_AUTH_LOCKED_OUT', 'too many failed logins; try again later', {
      details: { connectorId: this.id, retryAfterSeconds: Math.ceil((record.lockedUntil - now) / 1000) },
    });
  }

  #recordFailure(name: string): void {
    const now = this.#clock();
    const { maxFailures, windowMs, durationMs, maxTrackedUsers } = this.#lockout;
    const record = this.#failures.get(name) ?? { times: [], lockedUntil: 0 };
    // Re-insert so that the Map's order is least recently failed first, for eviction below.
    this.#failures.delete(name);
    record.times = record.times.filter((time) => time > now - windowMs);
    record.times.push(now);
    if (record.times.length >= maxFailures) {
      record.lockedUntil = now + durationMs;
      record.times = [];
    }
    this.#failures.set(name, record);
    while (this.#failures.size > maxTrackedUsers) {
      const oldest = this.#failures.keys().next().value as string;
      this.#failures.delete(oldest);
    }
  }
}
