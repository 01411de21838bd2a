import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type BeginLoginRequest,
  type BeginLoginResult,
  type CompleteLoginRequest,
  type ExternalIdentity,
  type IdentityConnector,
  RemotelerError,
} from '@remoteler/core';
import { describeIdentityConnectorConformance } from '@remoteler/core/testing';

// The redirect half of the identity connector suite is what the OIDC, Okta and AD connectors run
// against a real identity provider. Core has no redirect connector of its own, so this minimal one
// (an "IdP" that signs the state into the code) exists only to prove the suite itself is sound: a
// connector that follows the contract passes it.

class SigningRedirectConnector implements IdentityConnector {
  readonly id = 'suite-check';
  readonly kind = 'test-redirect';
  readonly displayName = 'Suite check';
  readonly capabilities = { redirectLogin: true, passwordLogin: false };
  readonly #key = randomBytes(32);
  readonly #used = new Set<string>();
  #closed = false;

  sign(state: string): string {
    return createHmac('sha256', this.#key).update(state).digest('base64url');
  }

  async beginLogin(request: BeginLoginRequest): Promise<BeginLoginResult> {
    this.#assertOpen();
    const state = randomBytes(16).toString('base64url');
    const url = new URL('https://idp.invalid/authorize');
    url.searchParams.set('state', state);
    url.searchParams.set('redirect_uri', request.redirectUri);
    return {
      authorizationUrl: url.href,
      state,
      session: { state, redirectUri: request.redirectUri },
      expiresAt: Date.now() + 300_000,
    };
  }

  async completeLogin(request: CompleteLoginRequest): Promise<ExternalIdentity> {
    this.#assertOpen();
    const callback = new URL(request.callbackUrl);
    const state = callback.searchParams.get('state') ?? '';
    const code = Buffer.from(callback.searchParams.get('code') ?? '');
    const expected = Buffer.from(this.sign(String(request.session.state)));
    const valid =
      state === request.session.state &&
      code.length === expected.length &&
      timingSafeEqual(code, expected) &&
      !this.#used.has(state);
    if (!valid) throw new RemotelerError('RMT_CONNECTOR_LOGIN_INVALID', 'the login callback does not match');
    this.#used.add(state);
    return { connectorId: this.id, username: 'zoë', userType: 'sso', claims: { groups: ['devs'] } };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RemotelerError('RMT_CONNECTOR_CLOSED', 'closed');
  }
}

describeIdentityConnectorConformance('a contract-following redirect connector', {
  create: () => {
    const connector = new SigningRedirectConnector();
    return {
      connector,
      redirect: {
        redirectUri: 'https://auth.invalid/v1/sso/callback',
        expectedUsername: 'zoë',
        authorize: async (begin) => {
          const state = new URL(begin.authorizationUrl).searchParams.get('state')!;
          return `https://auth.invalid/v1/sso/callback?code=${connector.sign(state)}&state=${state}`;
        },
      },
    };
  },
});
