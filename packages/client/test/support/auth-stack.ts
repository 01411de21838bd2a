import { AuthHttpServer, AuthService } from '@remoteler/auth';
import { MemoryCaKeyStore, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import {
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  hashPassword,
  LocalUserConnector,
  type LockStore,
  MemoryAuditSink,
  MemoryRoleStore,
  type Role,
} from '@remoteler/core';
import { TestIdpConnector } from './test-idp.js';

export const PASSWORD = 'correct horse battery staple';
/** A local user (password {@link PASSWORD}) holding only the admin role: the admin API's caller. */
export const ADMIN_USER = 'root';
export const ADMIN_ROLE = 'admin';
/** A local user (password {@link PASSWORD}) whose connector entry grants no role. */
export const ROLELESS_USER = 'erin';
/** scrypt at a test cost: the machine is shared, and the cost is not what these tests are about. */
const TEST_SCRYPT_COST = { logN: 10, r: 8, p: 1 };

function role(name: string, env: string[], ttl = '8h'): Role {
  return {
    kind: 'role',
    version: 'v1',
    metadata: { name },
    spec: {
      options: { max_session_ttl: ttl },
      allow: {
        kubernetes_labels: { env },
        kubernetes_groups: ['developers'],
        kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }],
      },
      deny: {},
    },
  } as Role;
}

export interface AuthStack {
  readonly service: AuthService;
  readonly server: AuthHttpServer;
  /** `127.0.0.1:PORT` of the Auth HTTPS API (standing in for the Proxy's web port). */
  readonly address: string;
  /** PEM of the host CA that issued the Auth server's certificate (what --ca-file gets). */
  readonly hostCaPem: string;
  readonly userCa: X509CertificateAuthority;
  readonly decoder: X509IdentityDecoder;
  readonly roles: MemoryRoleStore;
  readonly idp: TestIdpConnector;
  close(): Promise<void>;
}

export interface StackParts {
  readonly userCa: X509CertificateAuthority;
  readonly hostCa: X509CertificateAuthority;
  readonly decoder: X509IdentityDecoder;
  readonly roles: readonly Role[];
  /** The lock store Auth uses (the admin API writes it), for a Proxy that checks locks too. */
  readonly locks: LockStore;
}

/**
 * A real Auth service and HTTPS API on 127.0.0.1 (memory stores, real X.509 CAs): user alice
 * (password {@link PASSWORD}, role developer: clusters labelled env=dev or env=staging), user root
 * (same password, role admin: the admin API, no cluster), user erin (same password, no role until a
 * user resource gives one), clusters
 * dev-1 (dev), staging-1 (staging) and prod-1 (prod).
 */
export async function startAuthStack(
  options: {
    proxyKubeAddress?: string;
    /** Starts a Proxy from the CAs before Auth starts; returns its `HOST:PORT` (ping announces it). */
    startProxy?: (parts: StackParts) => Promise<string>;
  } = {},
): Promise<AuthStack> {
  const keyStore = new MemoryCaKeyStore();
  const common = { keyStore, clusterName: 'root.test' };
  const userCa = await X509CertificateAuthority.open({ ...common, kind: 'user' });
  const hostCa = await X509CertificateAuthority.open({ ...common, kind: 'host' });
  const roles = new MemoryRoleStore();
  const developer = role('developer', ['dev', 'staging']);
  await roles.create(developer);
  // `admin` is the Auth service's default admin role; it needs no Kubernetes access of its own.
  await roles.create({
    kind: 'role',
    version: 'v1',
    metadata: { name: ADMIN_ROLE },
    spec: { options: {}, allow: {}, deny: {} },
  } as Role);
  const clusters = createMemoryClusterStore();
  for (const [name, env] of [
    ['dev-1', 'dev'],
    ['staging-1', 'staging'],
    ['prod-1', 'prod'],
  ] as const) {
    await clusters.create({
      kind: 'kube_cluster',
      version: 'v1',
      metadata: { name, labels: { env } },
      spec: { upstream: { type: 'in_cluster' } },
    });
  }
  const passwordHash = await hashPassword(PASSWORD, { cost: TEST_SCRYPT_COST });
  const local = new LocalUserConnector({
    users: [
      { username: 'alice', passwordHash, roles: ['developer'] },
      { username: ADMIN_USER, passwordHash, roles: [ADMIN_ROLE] },
      // A password but no roles: what an admin's `users add` creates a user resource for.
      { username: ROLELESS_USER, passwordHash, roles: [] },
    ],
    hashCost: TEST_SCRYPT_COST,
  });
  const idp = new TestIdpConnector();
  const decoder = new X509IdentityDecoder({ userBundle: userCa.bundle(), hostBundle: hostCa.bundle() });
  const locks = createMemoryLockStore();
  const proxyKubeAddress = options.startProxy
    ? await options.startProxy({ userCa, hostCa, decoder, roles: [developer], locks })
    : options.proxyKubeAddress;
  const service = await AuthService.create({
    clusterName: 'root.test',
    userCa,
    hostCa,
    certificateDecoder: decoder,
    connectors: [
      { connector: local },
      { connector: idp, claimsToRoles: [{ claim: 'groups', value: 'devs', roles: ['developer'] }] },
    ],
    ssoCallbackUrl: 'https://auth.test/v1/sso/callback',
    // One test file logs alice in more often than the default 10 per minute allows.
    passwordLimitPerUser: { max: 1000, windowMs: 60_000 },
    roles,
    users: createMemoryUserStore(),
    clusters,
    locks,
    audit: new MemoryAuditSink(),
    ...(proxyKubeAddress === undefined ? {} : { proxyKubeAddress }),
  });
  const server = await AuthHttpServer.start({ service, host: '127.0.0.1', port: 0 });
  return {
    service,
    server,
    address: `127.0.0.1:${server.port}`,
    hostCaPem: hostCa.trustBundlePem(),
    userCa,
    decoder,
    roles,
    idp,
    async close() {
      await server.close();
      service.close();
      await local.close();
    },
  };
}
