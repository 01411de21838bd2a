import { createPrivateKey, generateKeyPairSync, type JsonWebKey, randomBytes, sign } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createOidcMemoryStore } from './oidc-memory-store.js';

/** A client registered at a {@link TestOidcProvider}. */
export interface TestOidcClient {
  readonly clientId: string;
  /** Omit for a public client (token endpoint authentication `none`, PKCE only). */
  readonly clientSecret?: string;
  /** Exact redirect URIs (OAuth 2.0 Security BCP: no patterns). */
  readonly redirectUris: readonly string[];
}

/** Options of {@link startTestOidcProvider}. */
export interface TestOidcProviderOptions {
  /** The server's certificate and key (PEM); its SANs must cover `host`. */
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly clients: readonly TestOidcClient[];
  /**
   * Accounts by login name: the claims the provider releases for each (besides `sub`, which is the
   * login name). A login name not listed here cannot sign in. The dev login form accepts any password.
   */
  readonly accounts: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Listen address. Default `127.0.0.1`. */
  readonly host?: string;
  /** Listen port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** ID token lifetime in seconds. Default 3600. */
  readonly idTokenTtlSeconds?: number;
  /**
   * Where the claims go: `true` puts every claim of the granted scopes in the ID token too;
   * `false` (oidc-provider's default, `conformIdTokenClaims`) keeps them for the userinfo endpoint
   * only when an access token is issued. Default false.
   */
  readonly claimsInIdToken?: boolean;
}

/** A running oidc-provider on HTTPS; close() stops it (idempotent). */
export interface TestOidcProvider {
  /** The issuer identifier, `https://127.0.0.1:<port>`. */
  readonly issuer: string;
  /** The ID token signing key's id (`kid`). */
  readonly keyId: string;
  /**
   * Signs a JWT with the provider's own ID token key (ES256, its `kid`): for tests that check a
   * relying party refuses a correctly signed token with a wrong audience, an expired one, etc.
   */
  signJwt(payload: Readonly<Record<string, unknown>>): string;
  close(): Promise<void>;
}

/**
 * Starts npm `oidc-provider` (a certified OpenID provider) over HTTPS on a loopback port, with the
 * given clients and accounts, its development login and consent pages, PKCE S256 required, and an
 * ES256 signing key made for this instance. `oidc-provider` must be installed (it is an optional
 * peer dependency of this package).
 */
export async function startTestOidcProvider(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
  // oidc-provider ships no types; this is the little of its surface used here.
  const specifier: string = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as {
    default: new (
      issuer: string,
      configuration: unknown,
    ) => { callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void> };
  };
  const keyId = randomBytes(8).toString('hex');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk: JsonWebKey = { ...privateKey.export({ format: 'jwk' }), kid: keyId, use: 'sig', alg: 'ES256' };

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const issuer = `https://${host}:${address.port}`;
  const accounts = options.accounts;

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      ...(client.clientSecret
        ? { client_secret: client.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }
        : { token_endpoint_auth_method: 'none' }),
      redirect_uris: [...client.redirectUris],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
    })),
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    conformIdTokenClaims: !options.claimsInIdToken,
    pkce: { required: () => true },
    // Explicit lifetimes (seconds) for every artifact a login makes; the defaults print notices.
    ttl: {
      IdToken: options.idTokenTtlSeconds ?? 3600,
      AccessToken: 3600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    findAccount: (_ctx: unknown, id: string) => {
      if (!Object.hasOwn(accounts, id)) return undefined;
      return { accountId: id, claims: () => ({ ...accounts[id], sub: id }) };
    },
    features: { devInteractions: { enabled: true } },
    // A store of this provider's own: the built-in development one is a module-wide LRU of 1,000
    // entries, shared by every provider in the process (see oidc-memory-store.ts).
    adapter: createOidcMemoryStore(),
  });
  const callback = provider.callback();
  handler = (req, res) => {
    void callback(req, res);
  };

  let closed: Promise<void> | undefined;
  return {
    issuer,
    keyId,
    signJwt(payload) {
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: keyId })).toString(
        'base64url',
      );
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      const signature = sign('sha256', Buffer.from(`${header}.${body}`), {
        key: createPrivateKey({ key: jwk, format: 'jwk' }),
        dsaEncoding: 'ieee-p1363', // JWS ES256 (RFC 7518 §3.4) is r||s, not DER.
      });
      return `${header}.${body}.${signature.toString('base64url')}`;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
