import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxy, MemoryClusterRegistry } from '../src/index.js';
import { proxyRequest, rawExchange } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture, staticAccess } from './support/proxy-fixture.js';
import {
  createTestCa,
  createTestPki,
  type Pem,
  type TestPki,
  testIdentityDecoder,
} from './support/test-pki.js';

let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  fixture = await startProxyFixture(pki);
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const upgradeRequest = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n';

function statusOf(raw: string): { code: number; body: Record<string, any> } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return { code: Number(head.split(' ')[1]), body: body ? JSON.parse(body) : undefined };
}

describe('the authentication gate', () => {
  it('answers a request without a client certificate with a 401 Status that says to run remoteler login', async () => {
    const res = await proxyRequest(fixture.url, '/k8s/dev/api/v1/pods', pki.hostCa.cert);
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401,
    });
    expect(res.json().message).toContain('RMT_PROXY_UNAUTHENTICATED');
    expect(res.json().message).toContain('remoteler login');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses a certificate from a foreign CA with 401', async () => {
    const mallory = await pki.user('alice', { ca: pki.foreignCa, pin: 'dev' });
    const res = await proxyRequest(fixture.url, '/api', pki.hostCa.cert, { identity: mallory });
    expect(res.status).toBe(401);
    expect(res.json().message).toContain('RMT_PROXY_UNAUTHENTICATED');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses a host certificate presented as a user certificate with 401', async () => {
    const host = await pki.hostCa.issue({
      subject: '/CN=alice/O=developer/OU=usage:kube/L=dev',
      usage: 'client',
    });
    const res = await proxyRequest(fixture.url, '/api', pki.hostCa.cert, { identity: host });
    expect(res.status).toBe(401);
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses a user-CA certificate whose identity does not decode with 401', async () => {
    const wrongUsage = await pki.user('alice', { usage: 'usage:host', pin: 'dev' });
    const res = await proxyRequest(fixture.url, '/api', pki.hostCa.cert, { identity: wrongUsage });
    expect(res.status).toBe(401);
    expect(res.json().message).toContain('RMT_PROXY_IDENTITY_INVALID');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses an expired certificate with 401 and says it expired', async () => {
    const expired = await pki.user('alice', { pin: 'dev', startDays: -3, endDays: -1 });
    const res = await proxyRequest(fixture.url, '/api', pki.hostCa.cert, { identity: expired });
    expect(res.status).toBe(401);
    expect(res.json().message).toContain('RMT_PROXY_CERTIFICATE_EXPIRED');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('answers an upgrade without a client certificate with 401 before routing', async () => {
    const raw = await rawExchange(
      fixture.url,
      pki.hostCa.cert,
      undefined,
      upgradeRequest('/k8s/dev/api/v1/namespaces/default/pods/web-0/exec?command=sh'),
    );
    const { code, body } = statusOf(raw);
    expect(code).toBe(401);
    expect(body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect(body.message).toContain('remoteler login');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('answers an upgrade with a foreign certificate to a cluster that does not exist with 401, not 404', async () => {
    const mallory = await pki.user('mallory', { ca: pki.foreignCa });
    const raw = await rawExchange(
      fixture.url,
      pki.hostCa.cert,
      mallory,
      upgradeRequest('/k8s/nope/api/v1/namespaces/default/pods/x/exec'),
    );
    expect(statusOf(raw).code).toBe(401);
  });

  it('refuses clients that offer only TLS 1.1', async () => {
    const error = await new Promise<Error | undefined>((resolve) => {
      const url = new URL(fixture.url);
      const socket = connect({
        host: url.hostname,
        port: Number(url.port),
        ca: pki.hostCa.cert,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      });
      socket.on('secureConnect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.on('error', (e) => resolve(e));
    });
    expect(error).toBeInstanceOf(Error);
  });

  it('passes an authorized certificate through the gate', async () => {
    const res = await proxyRequest(fixture.url, '/api?timeout=32s', pki.hostCa.cert, { identity: alice });
    expect(res.status).toBe(200);
    expect(fixture.upstreams.dev!.requests.at(-1)?.url).toBe('/api?timeout=32s');
  });
});

describe('certificate validity on open connections', () => {
  it('refuses a request once the certificate has expired, even on a connection that was authorized', async () => {
    let clock = new Date();
    const local = createProxy({
      tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.cert },
      identityDecoder: testIdentityDecoder,
      access: staticAccess({ dev: { users: ['alice'], groups: [] } }),
      clusters: fixture.clusters,
      now: () => clock,
    });
    const { port } = await local.listen();
    try {
      const base = `https://127.0.0.1:${port}`;
      // One TLS connection, two requests: the second arrives after the certificate's notAfter.
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(
          { host: '127.0.0.1', port, ca: pki.hostCa.cert, cert: alice.cert, key: alice.key },
          () => {
            socket.write('GET /api HTTP/1.1\r\nHost: x\r\n\r\n');
          },
        );
        let seen = '';
        socket.on('data', (c: Buffer) => {
          seen += c.toString('latin1');
          if (seen.includes('"Echo"') && !seen.includes('RMT_')) {
            clock = new Date(Date.now() + 3 * 86_400_000);
            socket.write('GET /api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
          }
        });
        socket.on('close', () => resolve(seen));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 200/);
      expect(raw).toContain('HTTP/1.1 401');
      expect(raw).toContain('RMT_PROXY_CERTIFICATE_EXPIRED');
      expect(base).toContain('127.0.0.1');
    } finally {
      await local.close();
    }
  });
});

describe('user CA rotation', () => {
  it('trusts a new user CA bundle on the next connection without a restart, and drops a removed CA', async () => {
    const nextCa = await createTestCa(pki.dir, 'user-ca-next');
    const bob = await nextCa.issue({ subject: '/CN=bob/O=developer/OU=usage:kube/L=dev', usage: 'client' });
    let bundle = pki.userCa.cert;
    const clusters = new MemoryClusterRegistry([
      {
        name: 'dev',
        labels: {},
        upstream: { kind: 'token', server: fixture.upstreams.dev!.url, token: 't', ca: pki.clusterCa.cert },
      },
    ]);
    const local = createProxy({
      tls: () => ({ cert: pki.server.cert, key: pki.server.key, userCaBundle: bundle }),
      identityDecoder: testIdentityDecoder,
      access: staticAccess({ dev: { users: ['bob', 'alice'], groups: [] } }),
      clusters,
    });
    const { port } = await local.listen();
    const base = `https://127.0.0.1:${port}`;
    try {
      expect(
        (
          await proxyRequest(base, '/api', pki.hostCa.cert, {
            identity: bob,
            headers: { 'Impersonate-User': 'bob' },
          })
        ).status,
      ).toBe(401);
      bundle = `${pki.userCa.cert}${nextCa.cert}`;
      expect(
        (
          await proxyRequest(base, '/api', pki.hostCa.cert, {
            identity: bob,
            headers: { 'Impersonate-User': 'bob' },
          })
        ).status,
      ).toBe(200);
      bundle = nextCa.cert;
      expect(
        (
          await proxyRequest(base, '/api', pki.hostCa.cert, {
            identity: alice,
            headers: { 'Impersonate-User': 'alice' },
          })
        ).status,
      ).toBe(401);
    } finally {
      await local.close();
    }
  });
});
