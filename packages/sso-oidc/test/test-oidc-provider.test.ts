import { startTestOidcProvider } from '@remoteler/sso-oidc/testing';
import { createTestCertificateAuthority } from '@remoteler/testkit';
import { Agent, fetch } from 'undici';
import { describe, expect, it } from 'vitest';

describe('startTestOidcProvider', () => {
  it('serves discovery over HTTPS on 127.0.0.1 with its own ES256 key, and closes idempotently', async () => {
    const ca = await createTestCertificateAuthority();
    const provider = await startTestOidcProvider({
      tls: await ca.issue({ commonName: '127.0.0.1', usage: 'server' }),
      clients: [{ clientId: 'app', redirectUris: ['https://app.test/cb'] }],
      accounts: { zoe: { email: 'zoe@example.com' } },
    });
    const dispatcher = new Agent({ connect: { ca: ca.certPem } });
    try {
      expect(provider.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const document = (await (
        await fetch(`${provider.issuer}/.well-known/openid-configuration`, { dispatcher })
      ).json()) as Record<string, unknown>;
      expect(document.issuer).toBe(provider.issuer);
      expect(document.code_challenge_methods_supported).toContain('S256');
      const jwks = (await (await fetch(String(document.jwks_uri), { dispatcher })).json()) as {
        keys: Array<Record<string, unknown>>;
      };
      expect(jwks.keys.map((k) => k.kid)).toEqual([provider.keyId]);
      // Only the public half is published.
      expect(jwks.keys[0]).not.toHaveProperty('d');
    } finally {
      await dispatcher.close();
      await provider.close();
      await provider.close();
    }
  });
});
