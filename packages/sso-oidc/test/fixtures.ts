import { OidcConnector, type OidcConnectorOptions } from '@remoteler/sso-oidc';
import { HeadlessBrowser, startTestOidcProvider, type TestOidcProvider } from '@remoteler/sso-oidc/testing';
import { createTestCertificateAuthority, type TestCertificateAuthority } from '@remoteler/testkit';

export const CLIENT_ID = 'remoteler-auth';
export const CLIENT_SECRET = 'test-client-secret-0123456789abcdef';
export const PUBLIC_CLIENT_ID = 'remoteler-public';
export const OTHER_CLIENT_ID = 'another-app';
export const REDIRECT_URI = 'https://auth.test/v1/sso/callback';

export const ACCOUNTS = {
  zoe: { email: 'zoe@example.com', email_verified: true, name: 'Zoe', groups: ['devs', 'oncall'] },
  nomail: { name: 'No Mail', groups: ['devs'] },
  unverified: { email: 'zoe@example.com', email_verified: false, groups: ['devs'] },
  outsider: { email: 'outsider@example.com', email_verified: true, groups: ['contractors'] },
};

/** One oidc-provider over HTTPS with a fresh test CA, and how to build connectors and browsers for it. */
export interface OidcWorld {
  readonly ca: TestCertificateAuthority;
  readonly provider: TestOidcProvider;
  connector(overrides?: Partial<OidcConnectorOptions>): OidcConnector;
  browser(): HeadlessBrowser;
  /** Signs in as `login` at the provider for `authorizationUrl` and returns the callback URL. */
  authorize(authorizationUrl: string, login?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcWorld(
  options: { claimsInIdToken?: boolean; redirectUris?: readonly string[] } = {},
): Promise<OidcWorld> {
  const ca = await createTestCertificateAuthority('sso-oidc-test-ca');
  const tls = await ca.issue({ commonName: '127.0.0.1', usage: 'server' });
  const redirectUris = options.redirectUris ?? [REDIRECT_URI];
  const provider = await startTestOidcProvider({
    tls,
    clients: [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris },
      { clientId: PUBLIC_CLIENT_ID, redirectUris },
      { clientId: OTHER_CLIENT_ID, clientSecret: 'other-secret-0123456789abcdef', redirectUris },
    ],
    accounts: ACCOUNTS,
    ...(options.claimsInIdToken === undefined ? {} : { claimsInIdToken: options.claimsInIdToken }),
  });
  const connectors: OidcConnector[] = [];
  const world: OidcWorld = {
    ca,
    provider,
    connector(overrides = {}) {
      const connector = new OidcConnector({
        id: 'test-oidc',
        issuer: provider.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        scopes: ['openid', 'email', 'profile', 'groups'],
        ca: ca.certPem,
        ...overrides,
      });
      connectors.push(connector);
      return connector;
    },
    browser() {
      return new HeadlessBrowser({ ca: ca.certPem });
    },
    async authorize(authorizationUrl, login = 'zoe') {
      const url = await world.browser().navigate(authorizationUrl, {
        stopAt: (next) =>
          next.href.startsWith(REDIRECT_URI) || redirectUris.some((r) => next.href.startsWith(r)),
        credentials: { login, password: 'any-password' },
      });
      return url.href;
    },
    async close() {
      await Promise.all(connectors.map((c) => c.close()));
      await provider.close();
    },
  };
  return world;
}
