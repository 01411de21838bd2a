import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type BeginLoginRequest,
  type BeginLoginResult,
  type CompleteLoginRequest,
  type ExternalIdentity,
  type IdentityConnector,
  RemotelerError,
} from '@remoteler/core';

/**
 * A redirect connector on the core IdentityConnector contract whose "IdP" signs the state into the
 * code with an HMAC; `signIn()` plays the user at the IdP and returns the query the IdP would send
 * to Auth's callback. (The OpenID connector's own end-to-end runs against a real provider.)
 */
export class TestIdpConnector implements IdentityConnector {
  readonly id = 'test-idp';
  readonly kind = 'test-redirect';
  readonly displayName = 'Test IdP';
  readonly capabilities = { redirectLogin: true, passwordLogin: false };
  readonly #key = randomBytes(32);

  async beginLogin(request: BeginLoginRequest): Promise<BeginLoginResult> {
    const state = randomBytes(16).toString('base64url');
    const url = new URL('https://idp.test/authorize');
    url.searchParams.set('state', state);
    url.searchParams.set('redirect_uri', request.redirectUri);
    return { authorizationUrl: url.href, state, session: { state }, expiresAt: Date.now() + 300_000 };
  }

  /** The callback query after the user signed in at the IdP. */
  signIn(authorizationUrl: string): string {
    const state = new URL(authorizationUrl).searchParams.get('state') ?? '';
    const code = createHmac('sha256', this.#key).update(state).digest('base64url');
    return `?code=${code}&state=${state}`;
  }

  async completeLogin(request: CompleteLoginRequest): Promise<ExternalIdentity> {
    const callback = new URL(request.callbackUrl);
    const code = Buffer.from(callback.searchParams.get('code') ?? '');
    const expected = Buffer.from(
      createHmac('sha256', this.#key).update(String(request.session.state)).digest('base64url'),
    );
    if (code.length !== expected.length || !timingSafeEqual(code, expected))
      throw new RemotelerError('RMT_CONNECTOR_LOGIN_INVALID', 'the login callback does not match');
    return {
      connectorId: this.id,
      username: 'zoe@example.com',
      userType: 'sso',
      claims: { groups: ['devs'] },
    };
  }

  async close(): Promise<void> {}
}
