import {
  hashPassword,
  LocalUserConnector,
  type LocalUserConnectorOptions,
  type LocalUserEntry,
  RemotelerError,
  type ScryptCost,
} from '@remoteler/core';
import {
  describeIdentityConnectorConformance,
  describePasswordConnectorConformance,
  expectRemotelerError,
} from '@remoteler/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

// A cheap cost keeps the suite fast; the production default is exercised in password-hash tests.
const TEST_COST: ScryptCost = { logN: 10, r: 8, p: 1 };
const PASSWORD = 'correct horse battery staple';

let alice: LocalUserEntry;

beforeAll(async () => {
  alice = {
    username: 'alice',
    passwordHash: await hashPassword(PASSWORD, { cost: TEST_COST }),
    roles: ['developer', 'auditor'],
    traits: { groups: ['devs', 'oncall'] },
  };
});

function connector(options: Partial<LocalUserConnectorOptions> = {}): LocalUserConnector {
  return new LocalUserConnector({ users: [alice], hashCost: TEST_COST, ...options });
}

describeIdentityConnectorConformance('LocalUserConnector', { create: () => ({ connector: connector() }) });

describePasswordConnectorConformance('LocalUserConnector', {
  create: () => ({ connector: connector(), user: { username: 'alice', password: PASSWORD } }),
});

describe('LocalUserConnector', () => {
  it("returns the user's roles and traits as claims", async () => {
    const identity = await connector().authenticatePassword('alice', PASSWORD);
    expect(identity).toEqual({
      connectorId: 'local',
      username: 'alice',
      userType: 'local',
      roles: ['developer', 'auditor'],
      claims: { groups: ['devs', 'oncall'], username: ['alice'], roles: ['developer', 'auditor'] },
    });
  });

  it('locks a username after repeated failures, then lets it in once the lockout ends', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const local = connector({
      clock: () => now,
      lockout: { maxFailures: 3, windowMs: 60_000, durationMs: 300_000 },
    });
    for (let attempt = 0; attempt < 3; attempt += 1)
      await expectRemotelerError(
        () => local.authenticatePassword('alice', 'wrong'),
        'RMT_AUTH_INVALID_CREDENTIALS',
      );
    // Locked: even the right password is refused, without being checked.
    const locked = await expectRemotelerError(
      () => local.authenticatePassword('alice', PASSWORD),
      'RMT_AUTH_LOCKED_OUT',
    );
    expect(locked.status).toBe(429);
    expect(locked.details).toMatchObject({ retryAfterSeconds: 300 });
    now += 299_000;
    await expectRemotelerError(() => local.authenticatePassword('alice', PASSWORD), 'RMT_AUTH_LOCKED_OUT');
    now += 1_000;
    await expect(local.authenticatePassword('alice', PASSWORD)).resolves.toMatchObject({ username: 'alice' });
  });

  it('does not let many guesses sent at once slip past the lockout', async () => {
    const local = connector({ clock: () => 0, lockout: { maxFailures: 3 } });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => local.authenticatePassword('alice', `guess-${index}`)),
    );
    const codes = results.map((result) => (result.status === 'rejected' ? result.reason.code : 'accepted'));
    expect(codes.filter((code) => code === 'RMT_AUTH_INVALID_CREDENTIALS')).toHaveLength(3);
    expect(codes.filter((code) => code === 'RMT_AUTH_LOCKED_OUT')).toHaveLength(17);
  });

  it('counts only the failures within the window', async () => {
    let now = 0;
    const local = connector({ clock: () => now, lockout: { maxFailures: 3, windowMs: 60_000 } });
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await expectRemotelerError(
        () => local.authenticatePassword('alice', 'wrong'),
        'RMT_AUTH_INVALID_CREDENTIALS',
      );
      now += 31_000;
    }
    await expect(local.authenticatePassword('alice', PASSWORD)).resolves.toMatchObject({ username: 'alice' });
  });

  it('locks unknown usernames the same way, so a lockout does not reveal who exists', async () => {
    const local = connector({ clock: () => 0, lockout: { maxFailures: 2 } });
    for (const username of ['alice', 'nobody']) {
      await expectRemotelerError(
        () => local.authenticatePassword(username, 'x'),
        'RMT_AUTH_INVALID_CREDENTIALS',
      );
      await expectRemotelerError(
        () => local.authenticatePassword(username, 'x'),
        'RMT_AUTH_INVALID_CREDENTIALS',
      );
      await expectRemotelerError(() => local.authenticatePassword(username, 'x'), 'RMT_AUTH_LOCKED_OUT');
    }
  });

  it('forgets failures after a successful login and after an admin reset', async () => {
    const local = connector({ clock: () => 0, lockout: { maxFailures: 2 } });
    await expectRemotelerError(
      () => local.authenticatePassword('alice', 'x'),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
    await local.authenticatePassword('alice', PASSWORD);
    await expectRemotelerError(
      () => local.authenticatePassword('alice', 'x'),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
    await expectRemotelerError(
      () => local.authenticatePassword('alice', 'x'),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
    await expectRemotelerError(() => local.authenticatePassword('alice', PASSWORD), 'RMT_AUTH_LOCKED_OUT');
    local.resetLockout('alice');
    await expect(local.authenticatePassword('alice', PASSWORD)).resolves.toMatchObject({ username: 'alice' });
  });

  it('refuses absurdly long names and passwords as invalid credentials, without tracking them', async () => {
    const local = connector({ clock: () => 0, lockout: { maxFailures: 1 } });
    const longName = 'x'.repeat(100_000);
    await expectRemotelerError(
      () => local.authenticatePassword(longName, PASSWORD),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
    await expectRemotelerError(
      () => local.authenticatePassword(longName, PASSWORD),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
    await expectRemotelerError(
      () => local.authenticatePassword('alice', PASSWORD.repeat(1000)),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
  });

  it('refuses a disabled account only after the right password', async () => {
    const local = connector({ users: [{ ...alice, disabled: true }] });
    await expectRemotelerError(
      () => local.authenticatePassword('alice', 'wrong'),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
    await expectRemotelerError(() => local.authenticatePassword('alice', PASSWORD), 'RMT_AUTH_USER_DISABLED');
  });

  it('looks users up through a function, e.g. backed by a store', async () => {
    const asked: string[] = [];
    const local = new LocalUserConnector({
      id: 'corp-local',
      hashCost: TEST_COST,
      users: async (username) => {
        asked.push(username);
        return username === 'alice' ? alice : undefined;
      },
    });
    await expect(local.authenticatePassword('alice', PASSWORD)).resolves.toMatchObject({
      connectorId: 'corp-local',
    });
    await expectRemotelerError(
      () => local.authenticatePassword('bob', PASSWORD),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
    expect(asked).toEqual(['alice', 'bob']);
  });

  it('accepts a password typed in another Unicode normalization form', async () => {
    const local = connector({
      users: [{ ...alice, passwordHash: await hashPassword('caf\u00e9', { cost: TEST_COST }) }],
    });
    await expect(local.authenticatePassword('alice', 'cafe\u0301')).resolves.toMatchObject({
      username: 'alice',
    });
  });

  it('reports every bad option with its path at construction', () => {
    let error: unknown;
    try {
      new LocalUserConnector({
        users: [alice, { ...alice }, { username: 'bob', passwordHash: 'plaintext!', roles: [] }],
        lockout: { maxFailures: 0 },
      });
    } catch (caught) {
      error = caught;
    }
    expect(RemotelerError.hasCode(error, 'RMT_CONFIG_INVALID')).toBe(true);
    const paths = ((error as RemotelerError).details!.problems as Array<{ path: string }>).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['users[1].username', 'users[2].passwordHash', 'lockout.maxFailures']),
    );
    expect((error as RemotelerError).message).not.toContain('plaintext!');
  });
});
