import {
  describeIdentityConnectorConformance,
  describePasswordConnectorConformance,
  expectRemotelerError,
} from '@remoteler/core/testing';
import { describe, expect, it } from 'vitest';
import { ApiKeyConnector, createApiKey, type HostAccount, hashApiKey } from '../src/index.js';

function accounts(...list: HostAccount[]) {
  const byName = new Map(list.map((account) => [account.username, account]));
  return (username: string) => byName.get(username);
}

function fixture() {
  const { key, digest } = createApiKey();
  const connector = new ApiKeyConnector({
    accounts: accounts({ username: 'alice', apiKeyDigests: [digest], teams: ['platform'] }),
  });
  return { connector, user: { username: 'alice', password: key } };
}

describeIdentityConnectorConformance('ApiKeyConnector', { create: fixture });
describePasswordConnectorConformance('ApiKeyConnector', { create: fixture });

describe('ApiKeyConnector', () => {
  it("turns the host account's teams and email into claims, with no roles of its own", async () => {
    const { key, digest } = createApiKey();
    const connector = new ApiKeyConnector({
      id: 'host',
      accounts: async () => ({
        username: 'bob',
        apiKeyDigests: [digest],
        teams: ['platform', 'sre'],
        email: 'bob@example.com',
      }),
    });
    await expect(connector.authenticatePassword('bob', key)).resolves.toEqual({
      connectorId: 'host',
      username: 'bob',
      userType: 'sso',
      claims: { groups: ['platform', 'sre'], email: ['bob@example.com'] },
    });
  });

  it('accepts any one of several keys of an account, and refuses a revoked one', async () => {
    const first = createApiKey();
    const second = createApiKey();
    const revoked = createApiKey();
    const connector = new ApiKeyConnector({
      accounts: accounts({ username: 'carol', apiKeyDigests: [first.digest, second.digest], teams: [] }),
    });
    expect((await connector.authenticatePassword('carol', second.key)).username).toBe('carol');
    expect((await connector.authenticatePassword('carol', first.key)).username).toBe('carol');
    await expectRemotelerError(
      () => connector.authenticatePassword('carol', revoked.key),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
  });

  it('refuses a disabled account only after its key was verified', async () => {
    const { key, digest } = createApiKey();
    const connector = new ApiKeyConnector({
      accounts: accounts({ username: 'dave', apiKeyDigests: [digest], teams: [], disabled: true }),
    });
    await expectRemotelerError(() => connector.authenticatePassword('dave', key), 'RMT_AUTH_USER_DISABLED');
    await expectRemotelerError(
      () => connector.authenticatePassword('dave', createApiKey().key),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
  });

  it('never asks the host database about a malformed username', async () => {
    const asked: string[] = [];
    const connector = new ApiKeyConnector({
      accounts: (username) => {
        asked.push(username);
        return undefined;
      },
    });
    for (const name of ['', ' alice', 'alice\n', 'a*', "alice' OR 1=1 --"])
      await expectRemotelerError(
        () => connector.authenticatePassword(name, 'gwk_x'),
        'RMT_AUTH_INVALID_CREDENTIALS',
      );
    expect(asked).toEqual([]);
  });

  it('stores keys as SHA-256 digests and marks them with a recognisable prefix', () => {
    const { key, digest } = createApiKey();
    expect(key).toMatch(/^gwk_[A-Za-z0-9_-]{43}$/);
    expect(digest).toBe(hashApiKey(key));
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(createApiKey().key).not.toBe(key);
  });

  it('reports every invalid option at once', () => {
    try {
      new ApiKeyConnector({ id: '', accounts: 'db' as never });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'RMT_CONFIG_INVALID',
        details: { problems: [{ path: 'accounts' }, { path: 'id' }] },
      });
    }
  });
});
