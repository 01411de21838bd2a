import { createHmac, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthService, type AuthServiceOptions, s256Challenge } from '@remoteler/auth';
import { MemoryCaKeyStore, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import {
  type AuditEvent,
  type BeginLoginRequest,
  type BeginLoginResult,
  type CompleteLoginRequest,
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  type ExternalIdentity,
  hashPassword,
  type IdentityConnector,
  LocalUserConnector,
  MemoryAuditSink,
  MemoryRoleStore,
  RemotelerError,
  type Role,
} from '@remoteler/core';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const PASSWORD = 'correct horse battery staple';
/** scrypt at a test cost: the machine is shared, and the cost is not what these tests are about. */
export const TEST_SCRYPT_COST = { logN: 10, r: 8, p: 1 };
export const SSO_CALLBACK = 'https://auth.test/v1/sso/callback';

/**
 * A redirect connector that follows the core IdentityConnector contract, standing in for the OIDC
 * connector (which comes later): its "IdP" signs the state into the code with an HMAC, as the
 * core testing package's suite check does. `authorize()` plays the user's browser at the IdP.
 */
export class TestRedirectConnector implements IdentityConnector {
  readonly id: string;
  readonly kind = 'test-redirect';
  readonly displayName = 'Test IdP';
  readonly capabilities = { redirectLogin: true, passwordLogin: false };
  readonly #key = randomBytes(32);
  readonly #used = new Set<string>();
  /** Who signs in at the IdP next, and with which claims. */
  user: { username: string; claims: Record<string, string[]> } = {
    username: 'zoe@example.com',
    claims: { groups: ['devs'], email: ['zoe@example.com'] },
  };

  constructor(id = 'test-idp') {
    this.id = id;
  }

  async beginLogin(request: BeginLoginRequest): Promise<BeginLoginResult> {
    const state = randomBytes(16).toString('base64url');
    const url = new URL('https://idp.test/authorize');
    url.searchParams.set('state', state);
    url.searchParams.set('redirect_uri', request.redirectUri);
    return {
      authorizationUrl: url.href,
      state,
      session: { state, redirectUri: request.redirectUri },
      expiresAt: Date.now() + 5 * MINUTE,
    };
  }

  /** The IdP's redirect back to the Auth callback, after the user signed in. */
  authorize(authorizationUrl: string): string {
    const url = new URL(authorizationUrl);
    const state = url.searchParams.get('state') ?? '';
    const code = createHmac('sha256', this.#key).update(state).digest('base64url');
    return `${url.searchParams.get('redirect_uri')}?code=${code}&state=${state}`;
  }

  async completeLogin(request: CompleteLoginRequest): Promise<ExternalIdentity> {
    const callback = new URL(request.callbackUrl);
    const state = callback.searchParams.get('state') ?? '';
    const code = Buffer.from(callback.searchParams.get('code') ?? '');
    const expected = Buffer.from(
      createHmac('sha256', this.#key).update(String(request.session.state)).digest('base64url'),
    );
    const valid =
      state === request.session.state &&
      code.length === expected.length &&
      timingSafeEqual(code, expected) &&
      !this.#used.has(state);
    if (!valid) throw new RemotelerError('RMT_CONNECTOR_LOGIN_INVALID', 'the login callback does not match');
    this.#used.add(state);
    return { connectorId: this.id, username: this.user.username, userType: 'sso', claims: this.user.claims };
  }

  async close(): Promise<void> {}
}

export function role(name: string, spec: Partial<Role['spec']> = {}): Role {
  return {
    kind: 'role',
    version: 'v1',
    metadata: { name },
    spec: {
      options: {},
      allow: { kubernetes_labels: { env: ['dev'] }, kubernetes_groups: ['developers'] },
      deny: {},
      ...spec,
    } as Role['spec'],
  };
}

export function keyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** Joins a host to `service` with a fresh key and join token: its host certificate and private key. */
export async function joinHost(
  service: AuthService,
  role: 'proxy' | 'agent',
  hostId: string,
): Promise<{ cert: string; key: string }> {
  const key = keyPair();
  const token = service.createJoinToken({ role, createdBy: 'root' });
  const joined = await service.join({ token: token.token, publicKey: key.publicKeyPem, hostId, role });
  return { cert: joined.certificatePem, key: key.privateKeyPem };
}

/** A PKCE verifier (RFC 7636 §4.1) and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier) };
}

/** A controllable clock. */
export function manualClock(start = Date.now()): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

export interface Stack {
  readonly service: AuthService;
  readonly audit: MemoryAuditSink;
  readonly roles: MemoryRoleStore;
  readonly users: ReturnType<typeof createMemoryUserStore>;
  readonly clusters: ReturnType<typeof createMemoryClusterStore>;
  readonly locks: ReturnType<typeof createMemoryLockStore>;
  readonly userCa: X509CertificateAuthority;
  readonly hostCa: X509CertificateAuthority;
  readonly idp: TestRedirectConnector;
  readonly clock: { now: () => number; advance: (ms: number) => void };
  events(): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/**
 * An Auth service on in-memory stores and real X.509 CAs: roles `developer` (8h, env=dev),
 * `ops` (env in dev/prod), `admin`; local users alice (developer) and root (admin); clusters
 * dev-1 (env=dev) and prod-1 (env=prod); an SSO connector mapping group devs -> developer.
 */
export async function startStack(overrides: Partial<AuthServiceOptions> = {}): Promise<Stack> {
  const clock = manualClock();
  const keyStore = new MemoryCaKeyStore();
  const common = { keyStore, clusterName: 'root.test' };
  const userCa = await X509CertificateAuthority.open({ ...common, kind: 'user' });
  const hostCa = await X509CertificateAuthority.open({ ...common, kind: 'host' });
  const audit = new MemoryAuditSink();
  const roles = new MemoryRoleStore();
  await roles.create(role('developer', { options: { max_session_ttl: '8h' } }));
  await roles.create(
    role('ops', { allow: { kubernetes_labels: { env: ['dev', 'prod'] }, kubernetes_groups: ['ops'] } }),
  );
  await roles.create(role('admin', { allow: {} }));
  const users = createMemoryUserStore();
  const clusters = createMemoryClusterStore();
  for (const [name, env] of [
    ['dev-1', 'dev'],
    ['prod-1', 'prod'],
  ] as const)
    await clusters.create({
      kind: 'kube_cluster',
      version: 'v1',
      metadata: { name, labels: { env } },
      spec: { upstream: { type: 'in_cluster' } },
    });
  const locks = createMemoryLockStore();
  const passwordHash = await hashPassword(PASSWORD, { cost: TEST_SCRYPT_COST });
  const local = new LocalUserConnector({
    users: [
      { username: 'alice', passwordHash, roles: ['developer', 'ops'], traits: { groups: ['devs'] } },
      { username: 'root', passwordHash, roles: ['admin'] },
      { username: 'nobody', passwordHash, roles: ['no-such-role'] },
    ],
    hashCost: TEST_SCRYPT_COST,
    clock: clock.now,
  });
  const idp = new TestRedirectConnector();
  const service = await AuthService.create({
    clusterName: 'root.test',
    userCa,
    hostCa,
    certificateDecoder: new X509IdentityDecoder({ userBundle: userCa.bundle(), hostBundle: hostCa.bundle() }),
    connectors: [
      { connector: local },
      { connector: idp, claimsToRoles: [{ claim: 'groups', value: 'devs', roles: ['developer'] }] },
    ],
    roles,
    users,
    clusters,
    locks,
    audit,
    ssoCallbackUrl: SSO_CALLBACK,
    proxyKubeAddress: 'proxy.test:3026',
    clock: clock.now,
    ...overrides,
  });
  return {
    service,
    audit,
    roles,
    users,
    clusters,
    locks,
    userCa,
    hostCa,
    idp,
    clock,
    async events() {
      return (await audit.search({ limit: 1000 })).events;
    },
    async close() {
      service.close();
      await local.close();
      await idp.close();
    },
  };
}
