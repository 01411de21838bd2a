import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BeginLoginResult,
  type ExternalIdentity,
  type IdentityConnector,
  supportsPasswordLogin,
  supportsRedirectLogin,
} from '../contracts/identity-connector.js';
import { RemotelerError } from '../errors/remoteler-error.js';
import { expectRemotelerError } from './expect-code.js';

/** Drives a redirect login at the identity provider, as the user's browser would. */
export interface RedirectLoginDriver {
  /** The Auth callback URL to pass to `beginLogin`. */
  readonly redirectUri: string;
  /**
   * Follows `begin.authorizationUrl`, signs in as the test user, and returns the callback URL the
   * identity provider redirected to (with `code` and `state`).
   */
  authorize(begin: BeginLoginResult): Promise<string>;
  /** The username that the completed login must yield. */
  readonly expectedUsername: string;
}

/** A fresh connector for one test, and how to dispose of it. */
export interface IdentityConnectorFixture {
  readonly connector: IdentityConnector;
  /** Required when the connector declares redirect login. */
  readonly redirect?: RedirectLoginDriver;
  teardown?(): Promise<void> | void;
}

/** Options for {@link describeIdentityConnectorConformance}. */
export interface IdentityConnectorConformanceOptions {
  readonly create: () => Promise<IdentityConnectorFixture> | IdentityConnectorFixture;
}

/** Asserts the shape every external identity must have. */
export function expectWellFormedIdentity(
  identity: ExternalIdentity,
  connectorId: string,
  username: string,
): void {
  expect(identity.connectorId).toBe(connectorId);
  expect(identity.username).toBe(username);
  expect(['local', 'sso']).toContain(identity.userType);
  for (const [claim, values] of Object.entries(identity.claims)) {
    expect(Array.isArray(values), `claim ${claim} must be a list`).toBe(true);
    for (const value of values) expect(typeof value, `claim ${claim} must hold strings`).toBe('string');
  }
}

/**
 * The behaviour every {@link IdentityConnector} must have: capabilities that match its methods, a
 * redirect login that can be completed once and only with its own state, and closed-connector
 * behaviour. Password connectors also run {@link describePasswordConnectorConformance}.
 */
export function describeIdentityConnectorConformance(
  name: string,
  options: IdentityConnectorConformanceOptions,
): void {
  describe(`${name} (IdentityConnector conformance)`, () => {
    let fixture: IdentityConnectorFixture;
    let connector: IdentityConnector;

    beforeEach(async () => {
      fixture = await options.create();
      connector = fixture.connector;
    });

    afterEach(async () => {
      await connector.close();
      await fixture.teardown?.();
    });

    it('names itself: id, kind and display name', () => {
      for (const value of [connector.id, connector.kind, connector.displayName]) {
        expect(typeof value).toBe('string');
        expect(value.length).toBeGreaterThan(0);
      }
    });

    it('declares exactly the login flows whose methods it has', () => {
      const { capabilities } = connector;
      expect(capabilities.redirectLogin).toBe(
        typeof connector.beginLogin === 'function' && typeof connector.completeLogin === 'function',
      );
      expect(capabilities.passwordLogin).toBe(typeof connector.authenticatePassword === 'function');
      expect(capabilities.redirectLogin || capabilities.passwordLogin).toBe(true);
      expect(supportsRedirectLogin(connector)).toBe(capabilities.redirectLogin);
      expect(supportsPasswordLogin(connector)).toBe(capabilities.passwordLogin);
    });

    it('closes idempotently and refuses logins afterwards', async () => {
      await connector.close();
      await connector.close();
      if (supportsPasswordLogin(connector))
        await expectRemotelerError(
          () => connector.authenticatePassword!('user', 'password'),
          'RMT_CONNECTOR_CLOSED',
        );
      if (supportsRedirectLogin(connector))
        await expectRemotelerError(
          () =>
            connector.beginLogin!({
              redirectUri: fixture.redirect?.redirectUri ?? 'https://auth.invalid/cb',
            }),
          'RMT_CONNECTOR_CLOSED',
        );
    });

    it('starts redirect logins with a fresh, unguessable state each time (redirect connectors)', async () => {
      if (!supportsRedirectLogin(connector)) return;
      const driver = requireDriver(fixture);
      const first = await connector.beginLogin({ redirectUri: driver.redirectUri });
      const second = await connector.beginLogin({ redirectUri: driver.redirectUri });
      // 128 bits of randomness take at least 22 base64url characters.
      expect(first.state.length).toBeGreaterThanOrEqual(22);
      expect(first.state).not.toBe(second.state);
      const url = new URL(first.authorizationUrl);
      expect(['https:', 'http:']).toContain(url.protocol);
      expect(url.searchParams.get('state')).toBe(first.state);
      expect(first.expiresAt).toBeGreaterThan(Date.now());
      expect(JSON.parse(JSON.stringify(first.session))).toEqual(first.session);
    });

    it('completes a redirect login into a well-formed identity (redirect connectors)', async () => {
      if (!supportsRedirectLogin(connector)) return;
      const driver = requireDriver(fixture);
      const begin = await connector.beginLogin({ redirectUri: driver.redirectUri });
      const callbackUrl = await driver.authorize(begin);
      const identity = await connector.completeLogin({ callbackUrl, session: begin.session });
      expectWellFormedIdentity(identity, connector.id, driver.expectedUsername);
    });

    it("refuses a callback completed with another login's session (redirect connectors)", async () => {
      if (!supportsRedirectLogin(connector)) return;
      const driver = requireDriver(fixture);
      const mine = await connector.beginLogin({ redirectUri: driver.redirectUri });
      const other = await connector.beginLogin({ redirectUri: driver.redirectUri });
      const callbackUrl = await driver.authorize(mine);
      await expectRemotelerError(
        () => connector.completeLogin!({ callbackUrl, session: other.session }),
        'RMT_CONNECTOR_LOGIN_INVALID',
      );
    });

    it('refuses to complete the same login twice (redirect connectors)', async () => {
      if (!supportsRedirectLogin(connector)) return;
      const driver = requireDriver(fixture);
      const begin = await connector.beginLogin({ redirectUri: driver.redirectUri });
      const callbackUrl = await driver.authorize(begin);
      await connector.completeLogin({ callbackUrl, session: begin.session });
      // A replayed callback (an authorization code used twice, RFC 6749 §4.1.2) must not log in again.
      await expectRemotelerError(
        () => connector.completeLogin!({ callbackUrl, session: begin.session }),
        'RMT_CONNECTOR_LOGIN_INVALID',
      );
    });

    it('refuses a callback whose state was tampered with (redirect connectors)', async () => {
      if (!supportsRedirectLogin(connector)) return;
      const driver = requireDriver(fixture);
      const begin = await connector.beginLogin({ redirectUri: driver.redirectUri });
      const callback = new URL(await driver.authorize(begin));
      callback.searchParams.set('state', `${begin.state}x`);
      await expectRemotelerError(
        () => connector.completeLogin!({ callbackUrl: callback.href, session: begin.session }),
        'RMT_CONNECTOR_LOGIN_INVALID',
      );
    });
  });
}

function requireDriver(fixture: IdentityConnectorFixture): RedirectLoginDriver {
  if (!fixture.redirect)
    throw new TypeError('a redirect connector fixture must provide `redirect` (a login driver)');
  return fixture.redirect;
}

/** A fresh password connector with one known user. */
export interface PasswordConnectorFixture {
  readonly connector: IdentityConnector;
  /** A user that exists, with its correct password. */
  readonly user: { readonly username: string; readonly password: string };
  teardown?(): Promise<void> | void;
}

/** Options for {@link describePasswordConnectorConformance}. */
export interface PasswordConnectorConformanceOptions {
  readonly create: () => Promise<PasswordConnectorFixture> | PasswordConnectorFixture;
}

async function failure(action: () => Promise<unknown>): Promise<RemotelerError> {
  try {
    await action();
  } catch (error) {
    if (RemotelerError.is(error)) return error;
    throw error;
  }
  throw new Error('expected the login to fail');
}

/**
 * The behaviour every password connector must have (local users, LDAP/AD): correct credentials
 * yield the identity; a wrong password, an unknown user and an empty password get the same answer
 * (RMT_AUTH_INVALID_CREDENTIALS, the same message); the password never appears in an error.
 * Keep the fixture's lockout threshold at 5 attempts or more (a test sends 4 logins at once), or
 * checks see RMT_AUTH_LOCKED_OUT.
 */
export function describePasswordConnectorConformance(
  name: string,
  options: PasswordConnectorConformanceOptions,
): void {
  describe(`${name} (password connector conformance)`, () => {
    let fixture: PasswordConnectorFixture;
    let connector: IdentityConnector;

    beforeEach(async () => {
      fixture = await options.create();
      connector = fixture.connector;
    });

    afterEach(async () => {
      await connector.close();
      await fixture.teardown?.();
    });

    it('declares password login', () => {
      expect(supportsPasswordLogin(connector)).toBe(true);
    });

    it('accepts the right password and returns a well-formed identity', async () => {
      const { username, password } = fixture.user;
      const identity = await connector.authenticatePassword!(username, password);
      expectWellFormedIdentity(identity, connector.id, username);
    });

    it('gives a wrong password and an unknown user the same answer', async () => {
      const { username, password } = fixture.user;
      const wrong = await failure(() => connector.authenticatePassword!(username, `${password}-wrong`));
      const unknown = await failure(() => connector.authenticatePassword!(`${username}-nobody`, password));
      expect(wrong.code).toBe('RMT_AUTH_INVALID_CREDENTIALS');
      expect(unknown.code).toBe('RMT_AUTH_INVALID_CREDENTIALS');
      expect(unknown.message).toBe(wrong.message);
      expect(unknown.status).toBe(wrong.status);
    });

    it('refuses an empty password even for an existing user', async () => {
      // LDAP servers treat a simple bind with an empty password as an anonymous bind that
      // "succeeds" (RFC 4513 §5.1.2); a connector must never turn that into a login.
      await expectRemotelerError(
        () => connector.authenticatePassword!(fixture.user.username, ''),
        'RMT_AUTH_INVALID_CREDENTIALS',
      );
    });

    it('refuses a password that differs only in letter case', async () => {
      const { username, password } = fixture.user;
      const flipped = password === password.toUpperCase() ? password.toLowerCase() : password.toUpperCase();
      if (flipped === password) return;
      await expectRemotelerError(
        () => connector.authenticatePassword!(username, flipped),
        'RMT_AUTH_INVALID_CREDENTIALS',
      );
    });

    it('refuses usernames with control characters or wildcards as invalid credentials', async () => {
      for (const username of ['*', `${fixture.user.username}\u0000`, `${fixture.user.username})(uid=*`])
        await expectRemotelerError(
          () => connector.authenticatePassword!(username, fixture.user.password),
          'RMT_AUTH_INVALID_CREDENTIALS',
        );
    });

    it('never puts the password in an error', async () => {
      const password = 'Tr0ub4dor&3-do-not-leak';
      const error = await failure(() => connector.authenticatePassword!(fixture.user.username, password));
      expect(error.message).not.toContain(password);
      expect(JSON.stringify(error)).not.toContain(password);
      expect(JSON.stringify(error.details ?? {})).not.toContain(password);
    });

    it('serves concurrent logins of the same user', async () => {
      const { username, password } = fixture.user;
      const identities = await Promise.all(
        Array.from({ length: 4 }, () => connector.authenticatePassword!(username, password)),
      );
      for (const identity of identities) expect(identity.username).toBe(username);
    });
  });
}
