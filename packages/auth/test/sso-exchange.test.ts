import { X509Certificate } from 'node:crypto';
import { decodeUserIdentity } from '@remoteler/ca';
import { expectRemotelerError } from '@remoteler/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyPair, pkce, type Stack, startStack } from './helpers.js';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

const REDIRECT = 'http://127.0.0.1:48123/callback';
const CLIENT_STATE = 'client-state-0123456789abcdef';

/** Runs start -> IdP -> Auth callback the way the client and the browser would. */
async function signIn(options: { redirectUri?: string } = {}) {
  const key = keyPair();
  const { verifier, challenge } = pkce();
  const redirectUri = options.redirectUri ?? REDIRECT;
  const start = await stack.service.startSsoLogin({
    connectorId: 'test-idp',
    publicKey: key.publicKeyPem,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    redirectUri,
    clientState: CLIENT_STATE,
  });
  const callbackUrl = stack.idp.authorize(start.authorizationUrl);
  const { redirectTo } = await stack.service.completeSsoCallback({ callbackUrl });
  const back = new URL(redirectTo);
  return { key, verifier, redirectUri, back, code: back.searchParams.get('code') ?? '', callbackUrl };
}

describe('SSO one-time-code exchange (design §2)', () => {
  it('redirects to the loopback with a >=128-bit code and the client state, and redeems it for the start key', async () => {
    const { key, verifier, back, code } = await signIn();
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe(CLIENT_STATE);
    expect(Buffer.from(code, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    const cert = await stack.service.redeemSsoCode({
      code,
      codeVerifier: verifier,
      publicKey: key.publicKeyPem,
      redirectUri: REDIRECT,
    });
    expect(new X509Certificate(cert.certificatePem).publicKey.export({ type: 'spki', format: 'pem' })).toBe(
      key.publicKeyPem,
    );
    const { identity } = decodeUserIdentity(cert.certificatePem, {
      trustedBundle: stack.userCa.bundle(),
      now: new Date(stack.clock.now()),
    });
    // claims_to_roles: groups=devs -> developer; claims become external.* traits.
    expect(identity).toMatchObject({
      username: 'zoe@example.com',
      roles: ['developer'],
      userType: 'sso',
      connectorId: 'test-idp',
    });
    expect(identity.traits['external.groups']).toEqual(['devs']);
    const types = (await stack.events()).map((e) => e.type);
    expect(types).toEqual(['login.success', 'cert.issued']);
    expect(JSON.stringify(await stack.events())).not.toContain(code);
  });

  it('accepts the IPv6 loopback redirect', async () => {
    const { key, verifier, code } = await signIn({ redirectUri: 'http://[::1]:48123/callback' });
    await stack.service.redeemSsoCode({
      code,
      codeVerifier: verifier,
      publicKey: key.publicKeyPem,
      redirectUri: 'http://[::1]:48123/callback',
    });
  });

  it('refuses a replayed code', async () => {
    const { key, verifier, code } = await signIn();
    const redeem = () =>
      stack.service.redeemSsoCode({
        code,
        codeVerifier: verifier,
        publicKey: key.publicKeyPem,
        redirectUri: REDIRECT,
      });
    await redeem();
    await expectRemotelerError(redeem, 'RMT_AUTH_CODE_INVALID');
  });

  it('refuses an expired code (after 60 s)', async () => {
    const { key, verifier, code } = await signIn();
    stack.clock.advance(60_000);
    await expectRemotelerError(
      () =>
        stack.service.redeemSsoCode({
          code,
          codeVerifier: verifier,
          publicKey: key.publicKeyPem,
          redirectUri: REDIRECT,
        }),
      'RMT_AUTH_CODE_EXPIRED',
    );
  });

  it('refuses a wrong verifier, and then the right verifier too: the first attempt used the code up', async () => {
    const { key, verifier, code } = await signIn();
    await expectRemotelerError(
      () =>
        stack.service.redeemSsoCode({
          code,
          codeVerifier: pkce().verifier,
          publicKey: key.publicKeyPem,
          redirectUri: REDIRECT,
        }),
      'RMT_AUTH_CODE_VERIFIER_MISMATCH',
    );
    await expectRemotelerError(
      () =>
        stack.service.redeemSsoCode({
          code,
          codeVerifier: verifier,
          publicKey: key.publicKeyPem,
          redirectUri: REDIRECT,
        }),
      'RMT_AUTH_CODE_INVALID',
    );
    expect((await stack.events()).filter((e) => e.type === 'cert.issued')).toEqual([]);
  });

  it('refuses a redeem for another public key, and issues nothing for it', async () => {
    const { verifier, code } = await signIn();
    await expectRemotelerError(
      () =>
        stack.service.redeemSsoCode({
          code,
          codeVerifier: verifier,
          publicKey: keyPair().publicKeyPem,
          redirectUri: REDIRECT,
        }),
      'RMT_AUTH_CODE_KEY_MISMATCH',
    );
    expect((await stack.events()).filter((e) => e.type === 'cert.issued')).toEqual([]);
  });

  it('redeems for the start key sent in another spelling (CRLF line breaks): the key counts, not its text', async () => {
    const { key, verifier, code } = await signIn();
    const cert = await stack.service.redeemSsoCode({
      code,
      codeVerifier: verifier,
      publicKey: key.publicKeyPem.replace(/\n/g, '\r\n'),
      redirectUri: REDIRECT,
    });
    expect(new X509Certificate(cert.certificatePem).publicKey.export({ type: 'spki', format: 'pem' })).toBe(
      key.publicKeyPem,
    );
  });

  it('refuses a redeem with another redirect than the start one', async () => {
    const { key, verifier, code } = await signIn();
    await expectRemotelerError(
      () =>
        stack.service.redeemSsoCode({
          code,
          codeVerifier: verifier,
          publicKey: key.publicKeyPem,
          redirectUri: 'http://127.0.0.1:1/callback',
        }),
      'RMT_AUTH_CODE_REDIRECT_MISMATCH',
    );
  });

  it.each([
    'https://127.0.0.1:8080/callback',
    'http://localhost:8080/callback',
    'http://127.0.0.2:8080/callback',
    'http://evil.example:8080/callback',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:8080/other',
    'http://127.0.0.1:8080/callback?x=1',
    'http://127.0.0.1:8080/callback#frag',
    'http://user@127.0.0.1:8080/callback',
    'http://127.1:8080/callback',
    'http://[::ffff:127.0.0.1]:8080/callback',
    'http://127.0.0.1:8080/x/../callback',
  ])('refuses the redirect %s at start', async (redirectUri) => {
    await expectRemotelerError(
      () =>
        stack.service.startSsoLogin({
          connectorId: 'test-idp',
          publicKey: keyPair().publicKeyPem,
          codeChallenge: pkce().challenge,
          codeChallengeMethod: 'S256',
          redirectUri,
          clientState: CLIENT_STATE,
        }),
      'RMT_AUTH_REDIRECT_NOT_LOOPBACK',
    );
  });

  it('refuses a start without an S256 challenge', async () => {
    const { verifier } = pkce();
    await expectRemotelerError(
      () =>
        stack.service.startSsoLogin({
          connectorId: 'test-idp',
          publicKey: keyPair().publicKeyPem,
          codeChallenge: verifier,
          codeChallengeMethod: 'plain',
          redirectUri: REDIRECT,
          clientState: CLIENT_STATE,
        }),
      'RMT_AUTH_CODE_CHALLENGE_INVALID',
    );
  });

  it('refuses a callback with a forged state, and a replayed callback', async () => {
    const forged = 'https://auth.test/v1/sso/callback?code=abc&state=forged-state-value';
    await expectRemotelerError(
      () => stack.service.completeSsoCallback({ callbackUrl: forged }),
      'RMT_AUTH_SSO_STATE_INVALID',
    );
    const { callbackUrl } = await signIn();
    await expectRemotelerError(
      () => stack.service.completeSsoCallback({ callbackUrl }),
      'RMT_AUTH_SSO_STATE_INVALID',
    );
    const failures = (await stack.events()).filter((e) => e.type === 'login.failure');
    expect(failures.map((e) => (e as { errorCode: string }).errorCode)).toEqual([
      'RMT_AUTH_SSO_STATE_INVALID',
      'RMT_AUTH_SSO_STATE_INVALID',
    ]);
  });

  it('sends a refused login back to the loopback as an error code, without a code', async () => {
    stack.idp.user = { username: 'mallory', claims: { groups: ['strangers'] } };
    const { back } = await signIn();
    expect(back.searchParams.get('error')).toBe('RMT_AUTH_NO_ROLES');
    expect(back.searchParams.get('code')).toBeNull();
    expect(back.searchParams.get('state')).toBe(CLIENT_STATE);
  });

  it('gives a locked SSO user no code', async () => {
    await stack.locks.create({
      kind: 'lock',
      version: 'v1',
      metadata: { name: 'l' },
      spec: { target: { user: 'zoe@example.com' } },
    });
    const { back } = await signIn();
    expect(back.searchParams.get('error')).toBe('RMT_AUTH_LOCKED');
  });
});
