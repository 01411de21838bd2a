import { RemotelerError, type Resource } from '@remoteler/core';
import type { ClientContext } from '../context.js';
import { ProxyClient } from '../proxy-client.js';
import type { AdminCollection } from './admin-kinds.js';

/** A join token as `POST /v1/admin/tokens` returns it: the secret is in this answer only. */
export interface CreatedJoinToken {
  /** Non-secret name (`jt-…`) for listing and revoking. */
  readonly name: string;
  /** The secret, shown once; Auth keeps only its SHA-256. */
  readonly token: string;
  readonly role: 'proxy' | 'agent';
  /** RFC 3339. */
  readonly expiresAt: string;
}

/** An unused join token as `GET /v1/admin/tokens` lists it (never the secret). */
export interface JoinTokenInfo {
  readonly name: string;
  readonly role: 'proxy' | 'agent';
  /** RFC 3339. */
  readonly expiresAt: string;
}

function itemPath(collection: AdminCollection, name: string): string {
  // Names may hold any character but `/` and controls (resourceNameSchema): encode them for the path.
  return `/v1/admin/${collection}/${encodeURIComponent(name)}`;
}

/**
 * The Auth admin API (`/v1/admin/…`) over mutual TLS with the logged-in user's certificate: Auth
 * decides whether the user is an admin (`RMT_AUTH_ADMIN_REQUIRED` otherwise), the client never does.
 */
export class AdminClient {
  /** `HOST:PORT` of the proxy (Auth) the profile belongs to. */
  readonly proxy: string;
  readonly #http: ProxyClient;

  constructor(proxy: string, http: ProxyClient) {
    this.proxy = proxy;
    this.#http = http;
  }

  /**
   * A client for the profile of `proxy` (or the only profile). Fails with `RMT_CLIENT_LOGIN_EXPIRED`
   * before any request when the login certificate has expired: the TLS layer would only say that
   * no trusted certificate was sent.
   */
  static async forProfile(context: ClientContext, proxy?: string): Promise<AdminClient> {
    const profile = await context.store.resolve(proxy);
    if (Date.parse(profile.notAfter) <= context.now())
      throw new RemotelerError(
        'RMT_CLIENT_LOGIN_EXPIRED',
        `the login to ${profile.proxy} expired at ${profile.notAfter}`,
        { hint: `Run \`remoteler login --proxy ${profile.proxy}\` again, then repeat the command.` },
      );
    if (profile.trust.insecure)
      context.warn('WARNING: --insecure: the proxy certificate is NOT verified (demos only).');
    const { keyPem, certificatePem } = await context.store.loadKeyPair(profile.proxy);
    return new AdminClient(
      profile.proxy,
      new ProxyClient({ proxy: profile.proxy, trust: profile.trust, certificatePem, keyPem }),
    );
  }

  /** `GET /v1/ping`: the cluster name and CA fingerprints (`sha256:<hex>`) the server announces. */
  async ping(): Promise<{ clusterName: string; caFingerprints?: { host?: string[]; user?: string[] } }> {
    return this.#http.call('GET', '/v1/ping');
  }

  /** Every resource of the collection. */
  async list(collection: AdminCollection): Promise<Resource[]> {
    const { items } = await this.#http.call<{ items: Resource[] }>('GET', `/v1/admin/${collection}`);
    return items;
  }

  /** One resource, or `undefined` when Auth holds none of that name. */
  async get(collection: AdminCollection, name: string): Promise<Resource | undefined> {
    try {
      return await this.#http.call<Resource>('GET', itemPath(collection, name));
    } catch (error) {
      if (RemotelerError.hasCode(error, 'RMT_STORE_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  /**
   * Creates or replaces a resource (Auth validates it whole first). With `metadata.revision` the
   * replace is conditional (`RMT_STORE_REVISION_CONFLICT` when someone changed it meanwhile).
   */
  async put(collection: AdminCollection, resource: Resource): Promise<Resource> {
    return this.#http.call<Resource>('PUT', itemPath(collection, resource.metadata.name), resource);
  }

  /** Deletes a resource; `RMT_STORE_NOT_FOUND` when there is none. */
  async remove(collection: AdminCollection, name: string): Promise<void> {
    await this.#http.call<undefined>('DELETE', itemPath(collection, name));
  }

  /** A single-use join token for a host of `role`, valid `ttlSeconds` (Auth's default: 15 minutes). */
  async createJoinToken(role: 'proxy' | 'agent', ttlSeconds?: number): Promise<CreatedJoinToken> {
    return this.#http.call<CreatedJoinToken>('POST', '/v1/admin/tokens', {
      role,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    });
  }

  /** The unused, unexpired join tokens (names, roles, expiry). */
  async listJoinTokens(): Promise<JoinTokenInfo[]> {
    const { items } = await this.#http.call<{ items: JoinTokenInfo[] }>('GET', '/v1/admin/tokens');
    return items;
  }

  /** Revokes an unused join token by name. */
  async revokeJoinToken(name: string): Promise<void> {
    await this.#http.call<undefined>('DELETE', `/v1/admin/tokens/${encodeURIComponent(name)}`);
  }
}
