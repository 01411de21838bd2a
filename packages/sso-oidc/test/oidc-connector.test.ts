import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { BeginLoginResult } from '@remoteler/core';
import { expectRemotelerError } from '@remoteler/core/testing';
import type { OidcFetch } from '@remoteler/sso-oidc';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_SECRET,
  type OidcWorld,
  OTHER_CLIENT_ID,
  PUBLIC_CLIENT_ID,
  REDIRECT_URI,
  startOidcWorld,
} from './fixtures.js';

let world: OidcWorld;
const agents: Agent[] = [];
beforeAll(async () => {
  world = await startOidcWorld();
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});
afterAll(async () => {
  await world.close();
});

/** A fetch trusting the test CA that lets a test rewrite the token endpoint's JSON answer. */
function tamperingFetch(rewrite: (body: Record<string, unknown>) => Record<string, unknown>): OidcFetch {
  const agent = new Agent({ connect: { ca: world.ca.certPem } });
  agents.push(agent);
  return async (url, init) => {
    const response = (await undiciFetch(url, {
      ...(init as object),
      dispatcher: agent,
    })) as unknown as Response;
    if (!new URL(url).pathname.endsWith('/token') || response.status !== 200) return response;
    const body = rewrite((await response.json()) as Record<string, unknown>);
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
}

/**
 * A fetch trusting the test CA through which the provider never answers requests to `endpoint`
 * (an overloaded or unreachable provider): they end only when the connector's timeout aborts them.
 */
function stallingFetch(endpoint: '/token' | '/me'): OidcFetch {
  const agent = new Agent({ connect: { ca: world.ca.certPem } });
  agents.push(agent);
  return async (url, init) => {
    if (new URL(url).pathname.endsWith(endpoint)) {
      const signal = (init as { signal?: AbortSignal } | undefined)?.signal;
      return new Promise<Response>((_, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    return (await undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as Response;
  };
}

function idTokenPayload(idToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

async function signedIn(connector: ReturnType<OidcWorld['connector']>, login = 'zoe') {
  const begin = await connector.beginLogin({ redirectUri: REDIRECT_URI });
  const callbackUrl = await world.authorize(begin.authorizationUrl, login);
  return { begin, callbackUrl };
}

describe('OidcConnector: a successful login', () => {
  it('sends PKCE S256, state and nonce in the authorization request', async () => {
    const connector = world.connector();
    const begin = await connector.beginLogin({ redirectUri: REDIRECT_URI });
    const url = new URL(begin.authorizationUrl);
    expect(url.origin).toBe(world.provider.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toBe(begin.session.nonce);
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(['openid', 'email', 'profile', 'groups']);
    // The verifier stays server-side: it never appears in the URL the browser sees.
    expect(begin.authorizationUrl).not.toContain(String(begin.session.codeVerifier));
  });

  it('yields the email as username and the ID token and userinfo claims as string lists', async () => {
    const connector = world.connector();
    const { begin, callbackUrl } = await signedIn(connector);
    const identity = await connector.completeLogin({ callbackUrl, session: begin.session });
    expect(identity).toMatchObject({
      connectorId: 'test-oidc',
      username: 'zoe@example.com',
      userType: 'sso',
    });
    expect(identity.claims).toMatchObject({
      sub: ['zoe'],
      email: ['zoe@example.com'],
      email_verified: ['true'],
      name: ['Zoe'],
      groups: ['devs', 'oncall'],
    });
    // Token-describing claims are no user attributes.
    for (const claim of ['nonce', 'aud', 'iss', 'exp', 'iat', 'at_hash', 'azp'])
      expect(identity.claims).not.toHaveProperty(claim);
  });

  it('reads claims from the ID token alone when userinfo is off and the provider puts them there', async () => {
    const rich = await startOidcWorld({ claimsInIdToken: true });
    try {
      const connector = rich.connector({ userinfo: false });
      const begin = await connector.beginLogin({ redirectUri: REDIRECT_URI });
      const callbackUrl = await rich.authorize(begin.authorizationUrl);
      const identity = await connector.completeLogin({ callbackUrl, session: begin.session });
      expect(identity.username).toBe('zoe@example.com');
      expect(identity.claims.groups).toEqual(['devs', 'oncall']);
    } finally {
      await rich.close();
    }
  });

  it('logs in as a public client with PKCE alone (no client secret)', async () => {
    const connector = world.connector({ clientId: PUBLIC_CLIENT_ID, clientSecret: undefined });
    const { begin, callbackUrl } = await signedIn(connector);
    const identity = await connector.completeLogin({ callbackUrl, session: begin.session });
    expect(identity.username).toBe('zoe@example.com');
  });

  it('uses another claim as username when configured', async () => {
    const connector = world.connector({ usernameClaim: 'sub' });
    const { begin, callbackUrl } = await signedIn(connector);
    expect((await connector.completeLogin({ callbackUrl, session: begin.session })).username).toBe('zoe');
  });
});

describe('OidcConnector: the provider cannot be trusted or reached', () => {
  it('refuses an issuer that does not answer (RMT_OIDC_ISSUER_UNREACHABLE)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const connector = world.connector({ issuer: `https://127.0.0.1:${port}` });
    await expectRemotelerError(() => connector.discover(), 'RMT_OIDC_ISSUER_UNREACHABLE');
  });

  it('refuses an issuer whose TLS certificate is not trusted (RMT_OIDC_ISSUER_UNREACHABLE)', async () => {
    const connector = world.connector({ ca: undefined });
    await expectRemotelerError(
      () => connector.beginLogin({ redirectUri: REDIRECT_URI }),
      'RMT_OIDC_ISSUER_UNREACHABLE',
    );
  });

  it('refuses a discovery document that names another issuer (RMT_OIDC_ISSUER_MISMATCH)', async () => {
    const tls = await world.ca.issue({ commonName: '127.0.0.1', usage: 'server' });
    const document = await (
      await undiciFetch(`${world.provider.issuer}/.well-known/openid-configuration`, {
        dispatcher: new Agent({ connect: { ca: world.ca.certPem } }),
      })
    ).json();
    const impostor = createServer({ cert: tls.certPem, key: tls.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(document)); // still names the real provider as issuer
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = impostor.address() as AddressInfo;
      const connector = world.connector({ issuer: `https://127.0.0.1:${port}` });
      await expectRemotelerError(() => connector.discover(), 'RMT_OIDC_ISSUER_MISMATCH');
    } finally {
      impostor.closeAllConnections();
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
    }
  });

  it('retries discovery at the next login after a failure', async () => {
    let failNext = true;
    const agent = new Agent({ connect: { ca: world.ca.certPem } });
    agents.push(agent);
    const connector = world.connector({
      fetch: async (url, init) => {
        if (failNext) {
          failNext = false;
          throw new TypeError('fetch failed');
        }
        return (await undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as Response;
      },
    });
    await expectRemotelerError(() => connector.discover(), 'RMT_OIDC_ISSUER_UNREACHABLE');
    await connector.discover();
  });

  it('refuses invalid options at construction, listing every problem (RMT_CONFIG_INVALID)', async () => {
    const error = await expectRemotelerError(
      () => world.connector({ issuer: 'http://127.0.0.1:1', clientId: '' }),
      'RMT_CONFIG_INVALID',
    );
    const problems = JSON.stringify(error.details);
    expect(problems).toContain('issuer');
    expect(problems).toContain('clientId');
  });
});

describe('OidcConnector: a tampered login is refused', () => {
  it('refuses an ID token whose signature was altered (RMT_OIDC_ID_TOKEN_SIGNATURE_INVALID)', async () => {
    const connector = world.connector({
      fetch: tamperingFetch((body) => {
        const [header, payload, signature = ''] = String(body.id_token).split('.');
        const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
        return { ...body, id_token: `${header}.${payload}.${flipped}` };
      }),
    });
    const { begin, callbackUrl } = await signedIn(connector);
    await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_ID_TOKEN_SIGNATURE_INVALID',
    );
  });

  it('refuses a correctly signed ID token for another client (RMT_OIDC_ID_TOKEN_AUDIENCE_MISMATCH)', async () => {
    const connector = world.connector({
      fetch: tamperingFetch((body) => {
        const claims = idTokenPayload(String(body.id_token));
        return {
          ...body,
          id_token: world.provider.signJwt({ ...claims, aud: OTHER_CLIENT_ID, azp: undefined }),
        };
      }),
    });
    const { begin, callbackUrl } = await signedIn(connector);
    await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_ID_TOKEN_AUDIENCE_MISMATCH',
    );
  });

  it('refuses an expired ID token (RMT_OIDC_ID_TOKEN_EXPIRED)', async () => {
    const connector = world.connector({
      fetch: tamperingFetch((body) => {
        const claims = idTokenPayload(String(body.id_token));
        const now = Math.floor(Date.now() / 1000);
        return { ...body, id_token: world.provider.signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }) };
      }),
    });
    const { begin, callbackUrl } = await signedIn(connector);
    await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_ID_TOKEN_EXPIRED',
    );
  });

  it("refuses the provider's own ID token once the Auth clock is past its expiry (RMT_OIDC_ID_TOKEN_EXPIRED)", async () => {
    // The provider issues 1 h ID tokens; a clock 2 h ahead sees them expired.
    const connector = world.connector({ clock: () => Date.now() + 2 * 3600_000 });
    const { begin, callbackUrl } = await signedIn(connector);
    await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_ID_TOKEN_EXPIRED',
    );
  });

  it("refuses an ID token whose nonce is not the login's (RMT_OIDC_NONCE_MISMATCH)", async () => {
    const connector = world.connector();
    const { begin, callbackUrl } = await signedIn(connector);
    await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: { ...begin.session, nonce: 'another-nonce' } }),
      'RMT_OIDC_NONCE_MISMATCH',
    );
  });

  it('refuses a forged state, and says so in details.reason (RMT_CONNECTOR_LOGIN_INVALID)', async () => {
    const connector = world.connector();
    const { begin, callbackUrl } = await signedIn(connector);
    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', 'forged-state-0123456789abcdef');
    const error = await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl: forged.href, session: begin.session }),
      'RMT_CONNECTOR_LOGIN_INVALID',
    );
    expect(error.details).toEqual({ reason: 'state-mismatch' });
  });

  it('refuses a code redeemed with another PKCE verifier (RMT_CONNECTOR_LOGIN_INVALID)', async () => {
    const connector = world.connector();
    const { begin, callbackUrl } = await signedIn(connector);
    const other: BeginLoginResult = await connector.beginLogin({ redirectUri: REDIRECT_URI });
    const error = await expectRemotelerError(
      () =>
        connector.completeLogin({
          callbackUrl,
          session: { ...begin.session, codeVerifier: other.session.codeVerifier as string },
        }),
      'RMT_CONNECTOR_LOGIN_INVALID',
    );
    expect(error.details).toMatchObject({ reason: 'code-refused' });
  });

  it('refuses a tampered authorization code (RMT_CONNECTOR_LOGIN_INVALID)', async () => {
    const connector = world.connector();
    const { begin, callbackUrl } = await signedIn(connector);
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('code', `${tampered.searchParams.get('code')}x`);
    await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl: tampered.href, session: begin.session }),
      'RMT_CONNECTOR_LOGIN_INVALID',
    );
  });

  it("turns the provider's error answer into RMT_CONNECTOR_LOGIN_INVALID", async () => {
    const connector = world.connector();
    const begin = await connector.beginLogin({ redirectUri: REDIRECT_URI });
    const callback = new URL(REDIRECT_URI);
    callback.searchParams.set('error', 'access_denied');
    callback.searchParams.set('state', begin.state);
    callback.searchParams.set('iss', world.provider.issuer);
    const error = await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl: callback.href, session: begin.session }),
      'RMT_CONNECTOR_LOGIN_INVALID',
    );
    expect(error.details).toMatchObject({ reason: 'idp-error', error: 'access_denied' });
  });

  it('keeps only a well-formed OAuth error code from the callback in the error details', async () => {
    const connector = world.connector();
    const begin = await connector.beginLogin({ redirectUri: REDIRECT_URI });
    const callback = new URL(REDIRECT_URI);
    callback.searchParams.set('error', 'access_denied"\r\nX-Injected: 1');
    callback.searchParams.set('state', begin.state);
    callback.searchParams.set('iss', world.provider.issuer);
    const error = await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl: callback.href, session: begin.session }),
      'RMT_CONNECTOR_LOGIN_INVALID',
    );
    expect(error.details).toMatchObject({ reason: 'idp-error', error: 'unrecognised' });
  });

  it('refuses a login completed after its timeout', async () => {
    let now = Date.now();
    const connector = world.connector({ clock: () => now, loginTimeoutMs: 60_000 });
    const { begin, callbackUrl } = await signedIn(connector);
    now += 60_000;
    const error = await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_CONNECTOR_LOGIN_INVALID',
    );
    expect(error.details).toEqual({ reason: 'expired' });
  });

  it('refuses a second completion of a login, also after older completions were forgotten', async () => {
    let now = Date.now();
    const connector = world.connector({ clock: () => now, loginTimeoutMs: 60_000 });
    const complete = ({ begin, callbackUrl }: Awaited<ReturnType<typeof signedIn>>) =>
      connector.completeLogin({ callbackUrl, session: begin.session });
    const replayed = async (login: Awaited<ReturnType<typeof signedIn>>) =>
      (await expectRemotelerError(() => complete(login), 'RMT_CONNECTOR_LOGIN_INVALID')).details;

    const first = await signedIn(connector);
    expect((await complete(first)).username).toBe('zoe@example.com');
    expect(await replayed(first)).toEqual({ reason: 'replayed' });

    now += 30_000;
    const second = await signedIn(connector);
    expect((await complete(second)).username).toBe('zoe@example.com');
    // The first login's timeout passes: its completion is forgotten (a replay is now refused as
    // expired), and the second one's is still remembered.
    now += 31_000;
    expect(await replayed(first)).toEqual({ reason: 'expired' });
    expect(await replayed(second)).toEqual({ reason: 'replayed' });
  });

  it('refuses a login without a usable username claim (RMT_OIDC_USERNAME_CLAIM_MISSING)', async () => {
    const connector = world.connector();
    const { begin, callbackUrl } = await signedIn(connector, 'nomail');
    await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_USERNAME_CLAIM_MISSING',
    );
  });

  it('refuses an email the provider marks as unverified as username (RMT_OIDC_EMAIL_UNVERIFIED)', async () => {
    const connector = world.connector();
    const { begin, callbackUrl } = await signedIn(connector, 'unverified');
    await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_EMAIL_UNVERIFIED',
    );
  });

  it('names a token endpoint that does not answer within requestTimeoutMs (RMT_OIDC_PROVIDER_TIMEOUT), not a client problem', async () => {
    const connector = world.connector({ fetch: stallingFetch('/token'), requestTimeoutMs: 1_000 });
    const { begin, callbackUrl } = await signedIn(connector);
    const error = await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_PROVIDER_TIMEOUT',
    );
    expect(error.details).toEqual({ endpoint: 'token' });
    expect(error.status).toBe(503);
  });

  it('names a userinfo endpoint that does not answer within requestTimeoutMs (RMT_OIDC_PROVIDER_TIMEOUT)', async () => {
    const connector = world.connector({ fetch: stallingFetch('/me'), requestTimeoutMs: 1_000 });
    const { begin, callbackUrl } = await signedIn(connector);
    const error = await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_PROVIDER_TIMEOUT',
    );
    expect(error.details).toEqual({ endpoint: 'userinfo' });
  });

  it('refuses a client the provider does not accept (RMT_OIDC_TOKEN_REQUEST_FAILED) without leaking the secret', async () => {
    const connector = world.connector({ clientSecret: `${CLIENT_SECRET}-wrong` });
    const { begin, callbackUrl } = await signedIn(connector);
    const error = await expectRemotelerError(
      () => connector.completeLogin({ callbackUrl, session: begin.session }),
      'RMT_OIDC_TOKEN_REQUEST_FAILED',
    );
    const visible = JSON.stringify(error) + error.message;
    expect(visible).not.toContain(CLIENT_SECRET);
    expect(visible).not.toContain(String(begin.session.codeVerifier));
  });
});
