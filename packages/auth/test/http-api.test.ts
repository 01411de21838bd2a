import { X509Certificate } from 'node:crypto';
import { AuthHttpServer } from '@remoteler/auth';
import { decodeHostIdentity, decodeUserIdentity } from '@remoteler/ca';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR, joinHost, keyPair, MINUTE, PASSWORD, pkce, role, type Stack, startStack } from './helpers.js';
import { type CallOptions, call } from './https-client.js';

let stack: Stack;
let server: AuthHttpServer;

beforeEach(async () => {
  stack = await startStack({ passwordLimitPerUser: { max: 3, windowMs: MINUTE } });
  server = await AuthHttpServer.start({ service: stack.service });
});
afterEach(async () => {
  await server.close();
  await stack.close();
});

function api(method: string, path: string, options?: CallOptions) {
  return call(server.url, stack.hostCa.trustBundlePem(), method, path, options);
}

/** Logs in with a password over HTTPS; returns the key pair and the certificate. */
async function login(username: string, extra: Record<string, unknown> = {}) {
  const key = keyPair();
  const res = await api('POST', '/v1/login/password', {
    body: { username, password: PASSWORD, publicKey: key.publicKeyPem, ...extra },
  });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return {
    key: key.privateKeyPem,
    publicKeyPem: key.publicKeyPem,
    cert: res.json.certificatePem as string,
    body: res.json,
  };
}

describe('Auth HTTPS API', () => {
  it('answers ping with the cluster, connectors, proxy address and CA fingerprints', async () => {
    const res = await api('GET', '/v1/ping');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json).toMatchObject({
      clusterName: 'root.test',
      proxyKubeAddress: 'proxy.test:3026',
      connectors: [
        { id: 'local', passwordLogin: true, redirectLogin: false },
        { id: 'test-idp', passwordLogin: false, redirectLogin: true },
      ],
    });
    expect(res.json.caFingerprints.user[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(res.json.caFingerprints.host).toEqual(stack.hostCa.trustedCas().map((c) => c.fingerprint));
  });

  it('logs in a local user and reissues over mutual TLS with the issued certificate', async () => {
    const alice = await login('alice', { ttlSeconds: 3600 });
    const res = await api('POST', '/v1/certs/reissue', {
      body: { kubernetesCluster: 'dev-1', ttlSeconds: 600 },
      cert: alice.cert,
      key: alice.key,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const next = decodeUserIdentity(res.json.certificatePem, {
      trustedBundle: stack.userCa.bundle(),
      now: new Date(stack.clock.now()),
    });
    expect(next.identity).toMatchObject({
      username: 'alice',
      roles: ['developer', 'ops'],
      kubernetesCluster: 'dev-1',
    });
    // Issued for the key that proved possession in the TLS handshake.
    expect(
      new X509Certificate(res.json.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }),
    ).toBe(alice.publicKeyPem);
    expect(Date.parse(res.json.notAfter)).toBeLessThanOrEqual(Date.parse(alice.body.notAfter));
  });

  it('refuses over HTTPS a reissue asking for more than the current certificate allows', async () => {
    const alice = await login('alice', { ttlSeconds: 600 });
    const res = await api('POST', '/v1/certs/reissue', {
      body: { ttlSeconds: 3600 },
      cert: alice.cert,
      key: alice.key,
    });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'RMT_AUTH_REISSUE_EXCEEDS' });
    expect(res.json.hint).toEqual(expect.any(String));
  });

  it('refuses reissue and cluster listing without a user certificate, or with a host certificate', async () => {
    for (const [method, path] of [
      ['POST', '/v1/certs/reissue'],
      ['GET', '/v1/kube/clusters'],
    ] as const) {
      const res = await api(method, path, method === 'POST' ? { body: {} } : {});
      expect(res.status).toBe(401);
      expect(res.json.code).toBe('RMT_AUTH_CLIENT_CERT_REQUIRED');
    }
    const host = await stack.service.createServerCredentials({ hostId: 'proxy-1' });
    const res = await api('GET', '/v1/kube/clusters', { cert: host.certificatePem, key: host.keyPem });
    expect(res.status).toBe(401);
  });

  it('lists only the clusters the user may use', async () => {
    const root = await login('root');
    const none = await api('GET', '/v1/kube/clusters', { cert: root.cert, key: root.key });
    expect(none.json.clusters).toEqual([]);
    const alice = await login('alice');
    const res = await api('GET', '/v1/kube/clusters', { cert: alice.cert, key: alice.key });
    expect(res.json.clusters.map((c: { name: string }) => c.name)).toEqual(['dev-1', 'prod-1']);
  });

  it('completes the SSO start / callback / redeem exchange over HTTPS', async () => {
    const key = keyPair();
    const { verifier, challenge } = pkce();
    const redirectUri = 'http://127.0.0.1:40001/callback';
    const start = await api('POST', '/v1/sso/start', {
      body: {
        connectorId: 'test-idp',
        publicKey: key.publicKeyPem,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
        redirectUri,
        state: 'st-0123456789abcdef',
      },
    });
    expect(start.status, JSON.stringify(start.json)).toBe(200);
    const idpRedirect = new URL(stack.idp.authorize(start.json.authorizationUrl));
    const callback = await api('GET', `/v1/sso/callback${idpRedirect.search}`);
    expect(callback.status).toBe(302);
    const location = new URL(callback.headers.location as string);
    expect(location.origin + location.pathname).toBe(redirectUri);
    const redeem = await api('POST', '/v1/sso/redeem', {
      body: {
        code: location.searchParams.get('code'),
        codeVerifier: verifier,
        publicKey: key.publicKeyPem,
        redirectUri,
      },
    });
    expect(redeem.status, JSON.stringify(redeem.json)).toBe(200);
    expect(redeem.json.username).toBe('zoe@example.com');
    const replay = await api('POST', '/v1/sso/redeem', {
      body: {
        code: location.searchParams.get('code'),
        codeVerifier: verifier,
        publicKey: key.publicKeyPem,
        redirectUri,
      },
    });
    expect(replay.status).toBe(401);
    expect(replay.json.code).toBe('RMT_AUTH_CODE_INVALID');
  });

  it('refuses a forged SSO callback state and a non-loopback redirect over HTTPS', async () => {
    const forged = await api('GET', '/v1/sso/callback?code=x&state=forged');
    expect(forged.status).toBe(401);
    expect(forged.json.code).toBe('RMT_AUTH_SSO_STATE_INVALID');
    const start = await api('POST', '/v1/sso/start', {
      body: {
        connectorId: 'test-idp',
        publicKey: keyPair().publicKeyPem,
        codeChallenge: pkce().challenge,
        codeChallengeMethod: 'S256',
        redirectUri: 'https://evil.example/callback',
        state: 'st-0123456789abcdef',
      },
    });
    expect(start.status).toBe(400);
    expect(start.json.code).toBe('RMT_AUTH_REDIRECT_NOT_LOOPBACK');
  });

  it('rate limits password logins per user with 429, its code and Retry-After', async () => {
    let last = await api('POST', '/v1/login/password', {
      body: { username: 'alice', password: 'nope', publicKey: keyPair().publicKeyPem },
    });
    for (let i = 0; i < 3; i++)
      last = await api('POST', '/v1/login/password', {
        body: { username: 'alice', password: 'nope', publicKey: keyPair().publicKeyPem },
      });
    expect(last.status).toBe(429);
    expect(last.json.code).toBe('RMT_AUTH_RATE_LIMITED_USER');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('takes the client address from X-Remoteler-Client-IP only when a joined Proxy sends it', async () => {
    const limited = await startStack({ passwordLimitPerSource: { max: 1, windowMs: MINUTE } });
    const front = await AuthHttpServer.start({ service: limited.service });
    try {
      const proxyHost = await joinHost(limited.service, 'proxy', 'proxy-1');
      const attempt = (ip: string, asProxy: boolean) =>
        call(front.url, limited.hostCa.trustBundlePem(), 'POST', '/v1/login/password', {
          body: { username: `u${ip}`, password: 'nope', publicKey: keyPair().publicKeyPem },
          headers: { 'x-remoteler-client-ip': ip },
          ...(asProxy ? proxyHost : {}),
        });
      // Through the Proxy, two end clients have their own per-source budgets...
      expect((await attempt('192.0.2.1', true)).json.code).toBe('RMT_AUTH_INVALID_CREDENTIALS');
      expect((await attempt('192.0.2.2', true)).json.code).toBe('RMT_AUTH_INVALID_CREDENTIALS');
      // ...while a client without the Proxy's certificate cannot pick its address: both count as 127.0.0.1.
      expect((await attempt('192.0.2.3', false)).json.code).toBe('RMT_AUTH_INVALID_CREDENTIALS');
      expect((await attempt('192.0.2.4', false)).json.code).toBe('RMT_AUTH_RATE_LIMITED_SOURCE');
      const failures = (await limited.events()).filter((e) => e.type === 'login.failure');
      expect(failures.map((e) => e.clientIp)).toEqual(['192.0.2.1', '192.0.2.2', '127.0.0.1', '127.0.0.1']);
    } finally {
      await front.close();
      await limited.close();
    }
  });

  it('validates every input with a clear code and refuses oversized or non-JSON bodies', async () => {
    const missing = await api('POST', '/v1/login/password', { body: { username: 'alice', extra: 1 } });
    expect(missing.status).toBe(400);
    expect(missing.json.code).toBe('RMT_AUTH_REQUEST_INVALID');
    const paths = missing.json.details.problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['password', 'publicKey', 'extra']));
    expect(JSON.stringify(missing.json)).not.toContain('alice');
    const big = await api('POST', '/v1/login/password', { rawBody: `{"x":"${'a'.repeat(70_000)}"}` });
    expect(big.status).toBe(413);
    expect(big.json.code).toBe('RMT_AUTH_BODY_TOO_LARGE');
    const form = await api('POST', '/v1/login/password', {
      rawBody: 'username=alice',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    const broken = await api('POST', '/v1/login/password', { rawBody: '{"username":' });
    expect(broken.json.code).toBe('RMT_AUTH_REQUEST_INVALID');
    const route = await api('GET', '/v1/nope');
    expect(route.status).toBe(404);
    expect(route.json.code).toBe('RMT_AUTH_ROUTE_NOT_FOUND');
    const method = await api('DELETE', '/v1/ping');
    expect(method.status).toBe(405);
    expect(method.headers.allow).toBe('GET');
  });
});

describe('admin API', () => {
  it('lets an admin create, read, update and delete roles, users, clusters and locks, auditing each change', async () => {
    const root = await login('root');
    const as = { cert: root.cert, key: root.key };
    const created = await api('PUT', '/v1/admin/roles/viewer', { ...as, body: role('viewer') });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const updated = await api('PUT', '/v1/admin/roles/viewer', {
      ...as,
      body: role('viewer', { options: { max_session_ttl: '1h' } }),
    });
    expect(updated.status).toBe(200);
    expect((await api('GET', '/v1/admin/roles/viewer', as)).json.spec.options.max_session_ttl).toBe('1h');
    expect(
      (await api('GET', '/v1/admin/roles', as)).json.items.map(
        (r: { metadata: { name: string } }) => r.metadata.name,
      ),
    ).toContain('viewer');
    const user = await api('PUT', '/v1/admin/users/bob', {
      ...as,
      body: { kind: 'user', version: 'v1', metadata: { name: 'bob' }, spec: { roles: ['viewer'] } },
    });
    expect(user.status, JSON.stringify(user.json)).toBe(201);
    expect(user.json.spec.created_at).toEqual(expect.any(String));
    const cluster = await api('PUT', '/v1/admin/clusters/stage-1', {
      ...as,
      body: {
        kind: 'kube_cluster',
        version: 'v1',
        metadata: { name: 'stage-1', labels: { env: 'dev' } },
        spec: { upstream: { type: 'in_cluster' } },
      },
    });
    expect(cluster.status, JSON.stringify(cluster.json)).toBe(201);
    const relabelled = await api('PUT', '/v1/admin/clusters/stage-1', {
      ...as,
      body: {
        kind: 'kube_cluster',
        version: 'v1',
        metadata: { name: 'stage-1', labels: { env: 'staging' } },
        spec: { upstream: { type: 'in_cluster' } },
      },
    });
    expect(relabelled.status, JSON.stringify(relabelled.json)).toBe(200);
    expect((await api('DELETE', '/v1/admin/clusters/stage-1', as)).status).toBe(204);
    const lock = await api('PUT', '/v1/admin/locks/bob-lock', {
      ...as,
      body: {
        kind: 'lock',
        version: 'v1',
        metadata: { name: 'bob-lock' },
        spec: { target: { user: 'bob' } },
      },
    });
    expect(lock.status, JSON.stringify(lock.json)).toBe(201);
    expect(lock.json.spec.created_by).toBe('root');
    expect((await api('DELETE', '/v1/admin/locks/bob-lock', as)).status).toBe(204);
    expect((await api('DELETE', '/v1/admin/roles/viewer', as)).status).toBe(204);
    expect((await api('GET', '/v1/admin/roles/viewer', as)).status).toBe(404);
    const types = (await stack.events())
      .map((e) => e.type)
      .filter((t) => !t.startsWith('login') && !t.startsWith('cert'));
    expect(types).toEqual([
      'role.created',
      'role.updated',
      'user.created',
      'kube_cluster.created',
      'kube_cluster.updated',
      'kube_cluster.deleted',
      'lock.created',
      'lock.deleted',
      'role.deleted',
    ]);
    const clusterEvents = (await stack.events()).filter((e) => e.type.startsWith('kube_cluster.'));
    expect(clusterEvents.map((e) => [e.code, e.user, 'name' in e ? e.name : undefined])).toEqual([
      ['R5300I', 'root', 'stage-1'],
      ['R5301I', 'root', 'stage-1'],
      ['R5302I', 'root', 'stage-1'],
    ]);
  });

  it('refuses a non-admin, an invalid resource, and a body naming another resource, changing nothing', async () => {
    const alice = await login('alice');
    const denied = await api('PUT', '/v1/admin/roles/x', {
      cert: alice.cert,
      key: alice.key,
      body: role('x'),
    });
    expect(denied.status).toBe(403);
    expect(denied.json.code).toBe('RMT_AUTH_ADMIN_REQUIRED');
    const root = await login('root');
    const as = { cert: root.cert, key: root.key };
    const invalid = await api('PUT', '/v1/admin/roles/x', {
      ...as,
      body: { kind: 'role', version: 'v1', metadata: { name: 'x' }, spec: { allow: 'all' } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.code).toMatch(/^RMT_/);
    const mismatch = await api('PUT', '/v1/admin/roles/x', { ...as, body: role('y') });
    expect(mismatch.json.code).toBe('RMT_AUTH_RESOURCE_NAME_MISMATCH');
    expect(await stack.roles.get('x')).toBeUndefined();
    expect(await stack.roles.get('y')).toBeUndefined();
  });
});

describe('join tokens', () => {
  it('exchanges a token once for a host certificate, renews over mutual TLS with it, and refuses reuse', async () => {
    const root = await login('root');
    const token = await api('POST', '/v1/admin/tokens', {
      cert: root.cert,
      key: root.key,
      body: { role: 'proxy', ttlSeconds: 300 },
    });
    expect(token.status, JSON.stringify(token.json)).toBe(201);
    const proxyKey = keyPair();
    const body = {
      token: token.json.token,
      publicKey: proxyKey.publicKeyPem,
      hostId: 'proxy-1',
      role: 'proxy',
      ipAddresses: ['127.0.0.1'],
    };
    const joined = await api('POST', '/v1/join', { body });
    expect(joined.status, JSON.stringify(joined.json)).toBe(200);
    const host = decodeHostIdentity(joined.json.certificatePem, {
      trustedBundle: stack.hostCa.bundle(),
      now: new Date(stack.clock.now()),
    });
    expect(host.host).toEqual({ hostId: 'proxy-1', role: 'proxy', clusterName: 'root.test' });
    expect(joined.json.userCaPem).toBe(stack.userCa.trustBundlePem());
    const again = await api('POST', '/v1/join', { body: { ...body, publicKey: keyPair().publicKeyPem } });
    expect(again.status).toBe(401);
    expect(again.json.code).toBe('RMT_AUTH_JOIN_TOKEN_INVALID');
    const events = await stack.events();
    expect(events.filter((e) => e.type === 'join_token.used')).toHaveLength(1);
    expect(events.find((e) => e.type === 'join_token.created')).toMatchObject({
      code: 'R6001I',
      user: 'root',
      tokenName: token.json.name,
      joinRole: 'proxy',
      expires: token.json.expiresAt,
    });
    expect(JSON.stringify(events)).not.toContain(token.json.token);

    const nextKey = keyPair();
    // The Proxy now trusts Auth through the host CA bundle it received when joining, and Auth
    // trusts the Proxy through its host certificate: mutual TLS with host certificates.
    const renewed = await call(server.url, joined.json.hostCaPem, 'POST', '/v1/join/renew', {
      cert: joined.json.certificatePem,
      key: proxyKey.privateKeyPem,
      body: { publicKey: nextKey.publicKeyPem, ipAddresses: ['127.0.0.1'] },
    });
    expect(renewed.status, JSON.stringify(renewed.json)).toBe(200);
    expect(renewed.json).toMatchObject({ hostId: 'proxy-1', role: 'proxy' });
    expect((await stack.events()).find((e) => e.type === 'host.renewed')).toMatchObject({
      code: 'R6003I',
      hostId: 'proxy-1',
      hostRole: 'proxy',
      serial: renewed.json.serialNumber,
      notAfter: renewed.json.notAfter,
      clientIp: '127.0.0.1',
    });
    // A user certificate is not a host certificate.
    const asUser = await api('POST', '/v1/join/renew', {
      cert: root.cert,
      key: root.key,
      body: { publicKey: nextKey.publicKeyPem },
    });
    expect(asUser.status).toBe(401);
  });

  it('lists unused tokens without their secrets and revokes one, which then cannot join', async () => {
    const root = await login('root');
    const as = { cert: root.cert, key: root.key };
    const created = await api('POST', '/v1/admin/tokens', { ...as, body: { role: 'agent' } });
    const listed = await api('GET', '/v1/admin/tokens', as);
    expect(listed.json.items).toEqual([
      { name: created.json.name, role: 'agent', expiresAt: created.json.expiresAt },
    ]);
    expect(JSON.stringify(listed.json)).not.toContain(created.json.token);
    expect((await api('DELETE', `/v1/admin/tokens/${created.json.name}`, as)).status).toBe(204);
    expect((await api('DELETE', `/v1/admin/tokens/${created.json.name}`, as)).status).toBe(404);
    expect((await stack.events()).filter((e) => e.type === 'join_token.revoked')).toEqual([
      expect.objectContaining({ code: 'R6002I', user: 'root', tokenName: created.json.name }),
    ]);
    const join = await api('POST', '/v1/join', {
      body: {
        token: created.json.token,
        publicKey: keyPair().publicKeyPem,
        hostId: 'agent-1',
        role: 'agent',
      },
    });
    expect(join.json.code).toBe('RMT_AUTH_JOIN_TOKEN_INVALID');
  });

  it('refuses an expired token and a token used for another host role', async () => {
    const proxyToken = stack.service.createJoinToken({ role: 'proxy', ttlMs: MINUTE, createdBy: 'root' });
    const agent = await api('POST', '/v1/join', {
      body: { token: proxyToken.token, publicKey: keyPair().publicKeyPem, hostId: 'a-1', role: 'agent' },
    });
    expect(agent.json.code).toBe('RMT_AUTH_JOIN_TOKEN_INVALID');
    const short = stack.service.createJoinToken({ role: 'proxy', ttlMs: MINUTE, createdBy: 'root' });
    stack.clock.advance(HOUR);
    const late = await api('POST', '/v1/join', {
      body: { token: short.token, publicKey: keyPair().publicKeyPem, hostId: 'p-2', role: 'proxy' },
    });
    expect(late.json.code).toBe('RMT_AUTH_JOIN_TOKEN_INVALID');
  });
});

describe('server lifecycle', () => {
  it('closes idempotently and stops accepting connections', async () => {
    const url = server.url;
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await expect(call(url, stack.hostCa.trustBundlePem(), 'GET', '/v1/ping')).rejects.toThrow(/ECONNREFUSED/);
  });
});
