import { generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:tls';
import { MemoryCaKeyStore, TrustBundle, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxy, MemoryClusterRegistry } from '../src/index.js';
import { proxyRequest, rawExchange } from './support/proxy-client.js';
import { DEVELOPER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { EVERYTHING, role, roleAccess } from './support/roles.js';
import { createTestPki, type Pem, type TestPki, testIdentity } from './support/test-pki.js';

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

const HOUR = 3_600_000;

const upgradeRequest = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n';

function statusOf(raw: string): { code: number; body: Record<string, unknown> | undefined } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return { code: Number(head.split(' ')[1]), body: body ? JSON.parse(body) : undefined };
}

describe('the authentication gate', () => {
  it('answers a request without a client certificate with a 401 Status that says to run remoteler login', async () => {
    const res = await proxyRequest(fixture.url, '/k8s/dev/api/v1/pods', pki.proxyTrust);
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

  it('refuses a certificate from another Remoteler cluster’s user CA with 401', async () => {
    const mallory = await pki.user('alice', { ca: pki.foreignCa, pin: 'dev' });
    const res = await proxyRequest(fixture.url, '/api', pki.proxyTrust, { identity: mallory });
    expect(res.status).toBe(401);
    expect(res.json().message).toContain('RMT_PROXY_UNAUTHENTICATED');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses a host certificate presented as a user certificate with 401', async () => {
    const host = await pki.host('alice');
    const res = await proxyRequest(fixture.url, '/k8s/dev/api', pki.proxyTrust, { identity: host });
    expect(res.status).toBe(401);
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses a host certificate with 401 even when the listener was misconfigured to trust the host CA', async () => {
    const misconfigured = await startProxyFixture(pki, {
      clusters: ['dev'],
      proxy: {
        tls: {
          cert: pki.server.cert,
          key: pki.server.key,
          userCaBundle: `${pki.userCa.trustBundlePem()}${pki.hostCa.trustBundlePem()}`,
        },
      },
    });
    try {
      const host = await pki.host('alice');
      const res = await proxyRequest(misconfigured.url, '/k8s/dev/api', pki.proxyTrust, { identity: host });
      expect(res.status).toBe(401);
      expect(res.json().message).toContain('RMT_PROXY_IDENTITY_INVALID');
      expect(misconfigured.allUpstreamRequests()).toBe(0);
    } finally {
      await misconfigured.close();
    }
  });

  it('refuses an expired certificate with 401 and says it expired', async () => {
    const expired = await pki.user('alice', { pin: 'dev', issuedAt: new Date(Date.now() - 3 * HOUR) });
    const res = await proxyRequest(fixture.url, '/api', pki.proxyTrust, { identity: expired });
    expect(res.status).toBe(401);
    expect(res.json().message).toContain('RMT_PROXY_CERTIFICATE_EXPIRED');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('answers an upgrade without a client certificate with 401 before routing', async () => {
    const raw = await rawExchange(
      fixture.url,
      pki.proxyTrust,
      undefined,
      upgradeRequest('/k8s/dev/api/v1/namespaces/default/pods/web-0/exec?command=sh'),
    );
    const { code, body } = statusOf(raw);
    expect(code).toBe(401);
    expect(body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect(body?.message).toContain('remoteler login');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('answers an upgrade with a foreign certificate to a cluster that does not exist with 401, not 404', async () => {
    const mallory = await pki.user('mallory', { ca: pki.foreignCa });
    const raw = await rawExchange(
      fixture.url,
      pki.proxyTrust,
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
        ca: pki.proxyTrust,
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
    const res = await proxyRequest(fixture.url, '/api?timeout=32s', pki.proxyTrust, { identity: alice });
    expect(res.status).toBe(200);
    expect(fixture.upstreams.dev!.requests.at(-1)?.url).toBe('/api?timeout=32s');
  });
});

describe('certificate validity on open connections', () => {
  it('refuses a request once the certificate has expired, even on a connection that was authorized', async () => {
    let clock = new Date();
    const local = createProxy({
      checkImpersonation: false,
      tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
      identityDecoder: pki.decoder,
      access: roleAccess(() => [DEVELOPER]),
      clusters: fixture.clusters,
      now: () => clock,
    });
    const { port } = await local.listen();
    try {
      // One TLS connection, two requests: the second arrives after the certificate's notAfter.
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(
          { host: '127.0.0.1', port, ca: pki.proxyTrust, cert: alice.cert, key: alice.key },
          () => socket.write('GET /api HTTP/1.1\r\nHost: x\r\n\r\n'),
        );
        let seen = '';
        socket.on('data', (c: Buffer) => {
          seen += c.toString('latin1');
          if (seen.includes('"Echo"') && !seen.includes('RMT_')) {
            clock = new Date(Date.now() + 3 * HOUR);
            socket.write('GET /api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
          }
        });
        socket.on('close', () => resolve(seen));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 200/);
      expect(raw).toContain('HTTP/1.1 401');
      expect(raw).toContain('RMT_PROXY_CERTIFICATE_EXPIRED');
    } finally {
      await local.close();
    }
  });
});

describe('user CA rotation', () => {
  it('trusts a rotated-in user CA on the next connection without a restart, and drops a rotated-out one', async () => {
    const userCa = await X509CertificateAuthority.open({
      kind: 'user',
      keyStore: new MemoryCaKeyStore(),
      clusterName: 'root.test',
    });
    const issue = async (username: string): Promise<Pem> => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const issued = await userCa.issueUserCertificate({
        publicKey: { spki: publicKey.export({ type: 'spki', format: 'pem' }) as string },
        identity: testIdentity(username, { pin: 'dev' }),
        ttlMs: HOUR,
        maxTtlMs: HOUR,
      });
      return {
        cert: issued.certificatePem,
        key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      };
    };
    // What a host does: TLS trust and identity decoding both follow the CA's current bundle.
    let bundle = userCa.trustBundlePem();
    const local = createProxy({
      checkImpersonation: false,
      tls: () => ({ cert: pki.server.cert, key: pki.server.key, userCaBundle: bundle }),
      identityDecoder: {
        decodeUserCertificate: (certificate, options) =>
          new X509IdentityDecoder({ userBundle: TrustBundle.from('user', [bundle]) }).decodeUserCertificate(
            certificate,
            options,
          ),
      },
      access: roleAccess(() => [
        role('developer', {
          kubernetes_labels: { '*': '*' },
          kubernetes_users: ['bob', 'carol'],
          kubernetes_resources: EVERYTHING,
        }),
      ]),
      clusters: new MemoryClusterRegistry([
        {
          name: 'dev',
          labels: {},
          upstream: { kind: 'token', server: fixture.upstreams.dev!.url, token: 't', ca: pki.clusterCa.cert },
        },
      ]),
    });
    const { port } = await local.listen();
    const base = `https://127.0.0.1:${port}`;
    const call = (who: Pem, as: string) =>
      proxyRequest(base, '/api', pki.proxyTrust, { identity: who, headers: { 'Impersonate-User': as } });
    try {
      const bob = await issue('bob');
      expect((await call(bob, 'bob')).status).toBe(200);
      await userCa.startRotation();
      await userCa.switchSigning();
      const carol = await issue('carol');
      // The listener has not read the new bundle yet.
      expect((await call(carol, 'carol')).status).toBe(401);
      bundle = userCa.trustBundlePem();
      expect((await call(carol, 'carol')).status).toBe(200);
      expect((await call(bob, 'bob')).status).toBe(200);
      await userCa.finishRotation();
      bundle = userCa.trustBundlePem();
      expect((await call(bob, 'bob')).status).toBe(401);
      expect((await call(carol, 'carol')).status).toBe(200);
    } finally {
      await local.close();
    }
  });
});

describe('TLS sessions', () => {
  it('resumes none: every connection presents its certificate and is verified against the current user CA bundle', async () => {
    const url = new URL(fixture.url);
    // One request per connection; the session tickets (if any) arrive before its answer.
    const connectOnce = (session?: Buffer) =>
      new Promise<{ reused: boolean; session: Buffer | undefined }>((resolve, reject) => {
        let reused = false;
        let issued: Buffer | undefined;
        const socket = connect({
          host: url.hostname,
          port: Number(url.port),
          ca: pki.proxyTrust,
          cert: alice.cert,
          key: alice.key,
          ALPNProtocols: ['http/1.1'],
          ...(session && { session }),
        });
        socket.on('session', (ticket: Buffer) => {
          issued = ticket;
        });
        socket.once('secureConnect', () => {
          reused = socket.isSessionReused();
          socket.write('GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
        });
        socket.resume();
        socket.once('error', reject);
        socket.once('close', () => resolve({ reused, session: issued }));
      });
    const first = await connectOnce();
    expect(first.reused).toBe(false);
    const second = await connectOnce(first.session);
    expect(second.reused).toBe(false);
  });
});

describe('certificate expiry during long exchanges', () => {
  it('ends an open watch and an open exec session when the certificate expires', async () => {
    const expired: string[] = [];
    let bothAudited: () => void = () => {};
    const audited = new Promise<void>((resolve) => {
      bothAudited = resolve;
    });
    const local = await startProxyFixture(pki, {
      clusters: ['dev'],
      proxy: {
        onAudit: (event) => {
          if (event.errorCode === 'RMT_PROXY_CERTIFICATE_EXPIRED') expired.push(event.kind);
          if (expired.length === 2) bothAudited();
        },
      },
    });
    try {
      const shortLived = await pki.user('alice', { pin: 'dev', ttlMs: 3_000 });
      local.upstreams.dev!.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED","object":{}}\n');
      });
      const url = new URL(local.url);
      const options = {
        host: url.hostname,
        port: Number(url.port),
        ca: pki.proxyTrust,
        cert: shortLived.cert,
        key: shortLived.key,
      };
      // Both are held open by the API server; only the certificate's notAfter can end them.
      const sessionEnded = (bytes: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(options, () => socket.write(bytes));
          let seen = '';
          socket.on('data', (c: Buffer) => {
            seen += c.toString('latin1');
          });
          socket.on('close', () => resolve(seen));
          socket.on('error', (e) => (e.message.includes('ECONNRESET') ? resolve(seen) : reject(e)));
        });
      const [watch, exec] = await Promise.all([
        sessionEnded('GET /api/v1/pods?watch=true HTTP/1.1\r\nHost: x\r\n\r\n'),
        sessionEnded(
          'POST /api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true&stdout=true HTTP/1.1\r\nHost: x\r\n' +
            'Content-Length: 0\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\nping',
        ),
      ]);
      expect(watch).toContain('"ADDED"');
      expect(exec).toMatch(/^HTTP\/1\.1 101/);
      expect(exec).toContain('ping');
      // The audit hook runs once the Proxy has finished each exchange, which can be after the client saw the cut.
      await audited;
      expect(expired.sort()).toEqual(['request', 'upgrade']);
    } finally {
      await local.close();
    }
  });
});

describe('decoding identities', () => {
  it('decodes a certificate once, however many connections present it, and each new certificate anew', async () => {
    let decodes = 0;
    const counted = await startProxyFixture(pki, {
      proxy: {
        identityDecoder: {
          decodeUserCertificate: (certificate, options) => {
            decodes += 1;
            return pki.decoder.decodeUserCertificate(certificate, options);
          },
        },
      },
    });
    try {
      // proxyRequest opens a fresh TLS connection every time (agent: false).
      for (let i = 0; i < 3; i++)
        expect((await proxyRequest(counted.url, '/api', pki.proxyTrust, { identity: alice })).status).toBe(
          200,
        );
      expect(decodes).toBe(1);
      const bob = await pki.user('bob', { pin: 'dev' });
      expect((await proxyRequest(counted.url, '/api', pki.proxyTrust, { identity: bob })).status).toBe(200);
      expect(decodes).toBe(2);
    } finally {
      await counted.close();
    }
  });
});
