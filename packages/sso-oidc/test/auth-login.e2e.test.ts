import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthHttpServer, AuthService, s256Challenge } from '@remoteler/auth';
import {
  decodeUserIdentity,
  MemoryCaKeyStore,
  X509CertificateAuthority,
  X509IdentityDecoder,
} from '@remoteler/ca';
import {
  createAccessCheckerProvider,
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  MemoryAuditSink,
  MemoryRoleStore,
  type Role,
} from '@remoteler/core';
import { createProxy, MemoryClusterRegistry, type RemotelerProxy } from '@remoteler/proxy';
import { HeadlessBrowser } from '@remoteler/sso-oidc/testing';
import { KubeApiSimulator, runKubectl, writeKubeconfig } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcWorld, REDIRECT_URI, startOidcWorld } from './fixtures.js';

// The Auth callback registered at the provider is https://auth.test/v1/sso/callback; the browser
// resolves auth.test to the Auth listener, as a DNS entry would (curl --resolve).

function role(name: string, groups: string[]): Role {
  return {
    kind: 'role',
    version: 'v1',
    metadata: { name },
    spec: {
      options: { max_session_ttl: '8h' },
      allow: {
        kubernetes_labels: { env: ['dev'] },
        kubernetes_groups: groups,
        kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }],
      },
      deny: {},
    },
  } as Role;
}

interface Json {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected field by field
  readonly json: any;
}

function post(baseUrl: string, ca: string, path: string, body: unknown): Promise<Json> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, baseUrl),
      {
        method: 'POST',
        ca,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The client's RFC 8252 loopback listener: takes code and state, sends the browser on without them. */
async function startLoopback(): Promise<{
  redirectUri: string;
  received: Promise<URLSearchParams>;
  close(): Promise<void>;
}> {
  let deliver: (params: URLSearchParams) => void = () => {};
  const received = new Promise<URLSearchParams>((resolve) => {
    deliver = resolve;
  });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    deliver(url.searchParams);
    res.writeHead(302, { location: '/done' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let world: OidcWorld;
let auth: AuthService;
let server: AuthHttpServer;
let userCa: X509CertificateAuthority;
let hostCa: X509CertificateAuthority;
const audit = new MemoryAuditSink();
const PROXY_TOKEN = 'remoteler-proxy-token';
let sim: KubeApiSimulator;
let proxy: RemotelerProxy;
let proxyPort: number;
let closeAccess: () => void = () => {};

beforeAll(async () => {
  world = await startOidcWorld();
  const keyStore = new MemoryCaKeyStore();
  userCa = await X509CertificateAuthority.open({ keyStore, clusterName: 'root.test', kind: 'user' });
  hostCa = await X509CertificateAuthority.open({ keyStore, clusterName: 'root.test', kind: 'host' });
  const roles = new MemoryRoleStore();
  await roles.create(role('developer', ['developers']));
  await roles.create(role('oncall', ['oncall']));
  await roles.create(role('admin', ['system:masters']));
  auth = await AuthService.create({
    clusterName: 'root.test',
    userCa,
    hostCa,
    certificateDecoder: new X509IdentityDecoder({ userBundle: userCa.bundle(), hostBundle: hostCa.bundle() }),
    connectors: [
      {
        connector: world.connector({ id: 'corp-oidc' }),
        claimsToRoles: [
          { claim: 'groups', value: 'devs', roles: ['developer'] },
          { claim: 'groups', value: 'oncall', roles: ['oncall'] },
          { claim: 'groups', value: 'admins', roles: ['admin'] },
        ],
      },
    ],
    roles,
    users: createMemoryUserStore(),
    clusters: createMemoryClusterStore(),
    locks: createMemoryLockStore(),
    audit,
    ssoCallbackUrl: REDIRECT_URI,
    proxyKubeAddress: 'proxy.test:3026',
  });
  server = await AuthHttpServer.start({ service: auth, dnsNames: ['auth.test'] });

  // The Kubernetes side: the testkit API server, where the Proxy may impersonate and the group
  // `developers` may view; the Proxy authorizes with the same role store as Auth.
  sim = await KubeApiSimulator.start({ seed: true, tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } } });
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('developers-view', 'view', { kind: 'Group', name: 'developers' });
  const access = await createAccessCheckerProvider({ roleStore: roles });
  closeAccess = () => access.close();
  const proxyTls = await world.ca.issue({ commonName: '127.0.0.1', usage: 'server' });
  proxy = createProxy({
    tls: { cert: proxyTls.certPem, key: proxyTls.keyPem, userCaBundle: userCa.trustBundlePem() },
    identityDecoder: new X509IdentityDecoder({ userBundle: userCa.bundle(), hostBundle: hostCa.bundle() }),
    access,
    clusters: new MemoryClusterRegistry([
      {
        name: 'dev',
        labels: { env: 'dev' },
        upstream: { kind: 'token', server: sim.url, token: PROXY_TOKEN, ca: sim.caPem },
      },
    ]),
    closeTimeoutMs: 2_000,
    checkImpersonation: false,
  });
  proxyPort = (await proxy.listen()).port;
});

afterAll(async () => {
  await proxy?.close();
  closeAccess();
  await sim?.close();
  await server?.close();
  auth?.close();
  await world?.close();
});

describe('SSO login through the Auth HTTPS API and a real OpenID provider (design §2)', () => {
  it('ends with a certificate for the start key whose roles come from the group claims, which kubectl uses through the Proxy', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const verifier = randomBytes(32).toString('base64url');
    const clientState = randomBytes(16).toString('base64url');
    const loopback = await startLoopback();
    try {
      const authCa = hostCa.trustBundlePem();
      const start = await post(server.url, authCa, '/v1/sso/start', {
        connectorId: 'corp-oidc',
        publicKey: publicKeyPem,
        codeChallenge: s256Challenge(verifier),
        codeChallengeMethod: 'S256',
        redirectUri: loopback.redirectUri,
        state: clientState,
      });
      expect(start.status, JSON.stringify(start.json)).toBe(200);

      // The user's browser: provider login and consent pages, Auth callback, loopback, then /done.
      const browser = new HeadlessBrowser({
        ca: [world.ca.certPem, authCa],
        resolve: { 'auth.test': new URL(server.url).host },
      });
      const landed = await browser.navigate(start.json.authorizationUrl, {
        stopAt: (url) => url.pathname === '/done',
        credentials: { login: 'zoe', password: 'whatever' },
      });
      expect(landed.search).toBe(''); // the page the browser ends on carries no code
      const params = await loopback.received;
      expect(params.get('state')).toBe(clientState);
      const code = params.get('code');
      expect(code, `loopback got ${params.toString()}`).toBeTruthy();

      const redeem = await post(server.url, authCa, '/v1/sso/redeem', {
        code,
        codeVerifier: verifier,
        publicKey: publicKeyPem,
        redirectUri: loopback.redirectUri,
      });
      expect(redeem.status, JSON.stringify(redeem.json)).toBe(200);
      const certificate = new X509Certificate(redeem.json.certificatePem);
      expect(certificate.publicKey.export({ type: 'spki', format: 'pem' })).toBe(publicKeyPem);
      const { identity } = decodeUserIdentity(redeem.json.certificatePem, { trustedBundle: userCa.bundle() });
      expect(identity).toMatchObject({
        username: 'zoe@example.com',
        userType: 'sso',
        connectorId: 'corp-oidc',
      });
      expect([...identity.roles].sort()).toEqual(['developer', 'oncall']); // no admins group, no admin role
      expect(identity.traits['external.groups']).toEqual(['devs', 'oncall']);
      expect(identity.traits['external.email']).toEqual(['zoe@example.com']);
      const types = (await audit.search({ limit: 100 })).events.map((e) => e.type);
      expect(types).toContain('login.success');

      // Real kubectl with that certificate: the Proxy impersonates the user with the Kubernetes
      // groups of the roles the group claims chose (developer -> developers, oncall -> oncall).
      const dir = await mkdtemp(join(tmpdir(), 'sso-oidc-kubectl-'));
      try {
        const kubeconfig = await writeKubeconfig({
          server: `https://127.0.0.1:${proxyPort}/k8s/dev`,
          caPem: world.ca.certPem,
          clientCertificate: {
            certPem: redeem.json.certificatePem,
            keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
          },
          path: join(dir, 'kubeconfig'),
        });
        const result = await runKubectl('1.33', ['get', 'pods', '-n', 'default', '-o', 'name'], {
          kubeconfig: kubeconfig.path,
          cacheDir: join(dir, 'cache'),
        });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout.split('\n')).toContain('pod/web-0');
        const seen = sim.requests.find((r) => r.path === '/api/v1/namespaces/default/pods');
        expect(seen?.user?.name).toBe('zoe@example.com');
        expect([...(seen?.user?.groups ?? [])].sort()).toEqual([
          'developers',
          'oncall',
          'system:authenticated',
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await loopback.close();
    }
  });

  it.each([
    ['no group claim maps to a role', 'outsider', 'RMT_AUTH_NO_ROLES'],
    ['the provider sends no email for the username', 'nomail', 'RMT_OIDC_USERNAME_CLAIM_MISSING'],
  ])('sends the browser back to the loopback with the error code when %s', async (_case, login, code) => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const verifier = randomBytes(32).toString('base64url');
    const loopback = await startLoopback();
    try {
      const authCa = hostCa.trustBundlePem();
      const start = await post(server.url, authCa, '/v1/sso/start', {
        connectorId: 'corp-oidc',
        publicKey: publicKey.export({ type: 'spki', format: 'pem' }),
        codeChallenge: s256Challenge(verifier),
        codeChallengeMethod: 'S256',
        redirectUri: loopback.redirectUri,
        state: 'client-state-0123456789abcdef',
      });
      expect(start.status).toBe(200);
      const browser = new HeadlessBrowser({
        ca: [world.ca.certPem, authCa],
        resolve: { 'auth.test': new URL(server.url).host },
      });
      await browser.navigate(start.json.authorizationUrl, {
        stopAt: (url) => url.pathname === '/done',
        credentials: { login, password: 'whatever' },
      });
      const params = await loopback.received;
      expect(params.get('code')).toBeNull();
      expect(params.get('error')).toBe(code);
      expect(params.get('state')).toBe('client-state-0123456789abcdef');
    } finally {
      await loopback.close();
    }
  });
});
