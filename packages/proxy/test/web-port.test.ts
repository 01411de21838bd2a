import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as http2Constants } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthForwarder, isWebApiPath, type ProxyRequest, type ProxyResponse } from '../src/index.js';
import { type AwaitableList, awaitableList } from './support/awaitable-list.js';
import { connectH2, h2Open } from './support/h2-client.js';
import { proxyRequest, rawExchange } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

// The Proxy's web port serves the web API (`/v1/…`) beside Kubernetes. These tests pin down the
// split (which targets go where, and that the Kubernetes gate still guards everything else) and the
// forwarder that relays the web API to a remote Auth service over mutual TLS.

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly peerSubject: string | undefined;
}

/** A stand-in Auth listener: mTLS against the host CA, records what arrives, answers JSON. */
async function startAuthEcho(
  pki: TestPki,
): Promise<{ url: string; seen: SeenRequest[]; held: AwaitableList<ServerResponse>; server: Server }> {
  const tls = await pki.host('auth');
  const seen: SeenRequest[] = [];
  /** Answers to `/v1/hold`, which Auth never sends. */
  const held = awaitableList<ServerResponse>();
  const server = createServer(
    {
      cert: tls.cert,
      key: tls.key,
      ca: pki.hostCa.trustBundlePem(),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const socket = req.socket as TLSSocket;
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          peerSubject: socket.getPeerX509Certificate?.()?.subject,
        });
        if (req.url === '/v1/hold') {
          held.push(res);
          return;
        }
        if (req.url === '/v1/sso/callback?code=x') {
          res.writeHead(302, { location: 'http://127.0.0.1:5/callback?code=y', 'set-cookie': 'a=b' }).end();
          return;
        }
        res
          .writeHead(200, { 'content-type': 'application/json', 'x-internal': 'secret-detail' })
          .end(JSON.stringify({ ok: true }));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, held, server };
}

let pki: TestPki;
let alice: Pem;

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
});

afterAll(async () => {
  await pki?.dispose();
});

describe('which targets belong to the web API', () => {
  it.each([
    ['/v1', true],
    ['/v1/', true],
    ['/v1/ping', true],
    ['/v1?x=1', true],
    ['/v1/../api/v1/pods', true],
    ['/v10/ping', false],
    ['/v1x', false],
    ['/api/v1', false],
    ['/k8s/dev/v1/ping', false],
    ['/api/../v1/ping', false],
    ['https://proxy/v1/ping', false],
    ['', false],
  ])('%s -> %s', (target, expected) => {
    expect(isWebApiPath(target)).toBe(expected);
  });
});

describe('a Proxy with a web API on its port', () => {
  let fixture: ProxyFixture;
  const served: string[] = [];

  beforeAll(async () => {
    fixture = await startProxyFixture(pki, {
      proxy: {
        webApi: (req: ProxyRequest, res: ProxyResponse) => {
          served.push(req.url ?? '');
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"web":true}');
        },
      },
    });
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('hands /v1 requests to the web API without a client certificate', async () => {
    const res = await proxyRequest(fixture.url, '/v1/ping', pki.proxyTrust);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ web: true });
    expect(served).toContain('/v1/ping');
  });

  it('keeps the 401 gate on every other path, including look-alikes of the web prefix', async () => {
    for (const path of ['/api/v1/pods', '/v10/ping', '/v1x', '/k8s/dev/v1/ping']) {
      const res = await proxyRequest(fixture.url, path, pki.proxyTrust);
      expect(res.status, path).toBe(401);
      expect(res.json().kind).toBe('Status');
    }
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('serves Kubernetes as before for a certificate holder', async () => {
    const res = await proxyRequest(fixture.url, '/k8s/dev/api/v1/namespaces/default/pods', pki.proxyTrust, {
      identity: alice,
    });
    expect(res.status).toBe(200);
    expect(fixture.upstreams.dev?.requests.at(-1)?.url).toBe('/api/v1/namespaces/default/pods');
  });

  it('refuses a connection upgrade on a web API path with its code', async () => {
    const raw = await rawExchange(
      fixture.url,
      pki.proxyTrust,
      alice,
      'GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(raw.startsWith('HTTP/1.1 400')).toBe(true);
    expect(raw).toContain('RMT_PROXY_WEB_API_UPGRADE');
  });
});

describe('the Auth forwarder', () => {
  let fixture: ProxyFixture;
  let auth: Awaited<ReturnType<typeof startAuthEcho>>;
  let forwarder: ReturnType<typeof createAuthForwarder>;
  let proxyHost: Pem;

  beforeAll(async () => {
    auth = await startAuthEcho(pki);
    proxyHost = await pki.host('proxy-7');
    forwarder = createAuthForwarder({
      url: auth.url,
      tls: () => ({ cert: proxyHost.cert, key: proxyHost.key, ca: pki.hostCa.trustBundlePem() }),
    });
    fixture = await startProxyFixture(pki, { proxy: { webApi: forwarder.handle } });
  });

  afterAll(async () => {
    await fixture?.close();
    await forwarder?.close();
    await new Promise((resolve) => auth?.server.close(resolve));
  });

  it("calls Auth with the Proxy's host certificate and relays the client's address and verified certificate", async () => {
    const body = JSON.stringify({ kubernetesCluster: 'dev' });
    const res = await proxyRequest(fixture.url, '/v1/certs/reissue', pki.proxyTrust, {
      method: 'POST',
      identity: alice,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    const seen = auth.seen.at(-1);
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/v1/certs/reissue');
    expect(seen?.body).toBe(body);
    expect(seen?.peerSubject).toContain('CN=proxy-7');
    expect(seen?.headers['x-remoteler-client-ip']).toBe('127.0.0.1');
    const relayed = new X509Certificate(
      Buffer.from(String(seen?.headers['x-remoteler-client-certificate']), 'base64'),
    );
    expect(relayed.fingerprint256).toBe(new X509Certificate(alice.cert).fingerprint256);
  });

  it('builds the headers it sends from an allowlist: forged identity headers never reach Auth', async () => {
    const res = await proxyRequest(fixture.url, '/v1/kube/clusters', pki.proxyTrust, {
      headers: {
        'X-Remoteler-Client-IP': '203.0.113.9',
        'x-remoteler-client-certificate': Buffer.from(alice.cert).toString('base64'),
        Authorization: 'Bearer someone-elses-token',
        'X-Forwarded-For': '203.0.113.9',
        Cookie: 'session=stolen',
      },
    });
    expect(res.status).toBe(200);
    const seen = auth.seen.at(-1);
    expect(seen?.headers['x-remoteler-client-ip']).toBe('127.0.0.1');
    expect(seen?.headers['x-remoteler-client-certificate']).toBeUndefined();
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.headers['x-forwarded-for']).toBeUndefined();
    expect(seen?.headers.cookie).toBeUndefined();
  });

  it("passes the answer's status, redirect and JSON through, and drops headers outside its allowlist", async () => {
    const redirect = await proxyRequest(fixture.url, '/v1/sso/callback?code=x', pki.proxyTrust);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('http://127.0.0.1:5/callback?code=y');
    expect(redirect.headers['set-cookie']).toBeUndefined();
    const ping = await proxyRequest(fixture.url, '/v1/ping', pki.proxyTrust);
    expect(ping.headers['x-internal']).toBeUndefined();
    expect(ping.headers['content-type']).toBe('application/json');
  });

  it('abandons the call to Auth when an HTTP/2 client resets its stream', async () => {
    const h2 = await connectH2(fixture.url, pki.proxyTrust);
    try {
      const held = h2Open(h2, '/v1/hold');
      const abandoned = once(await auth.held.waitFor(() => true), 'close');
      held.stream.close(http2Constants.NGHTTP2_CANCEL);
      await abandoned;
    } finally {
      h2.destroy();
    }
  });

  it('answers RMT_PROXY_AUTH_UNAVAILABLE in the web API error shape when Auth cannot be reached', async () => {
    const errors: unknown[] = [];
    const down = createAuthForwarder({
      url: 'https://127.0.0.1:1',
      tls: () => ({ cert: proxyHost.cert, key: proxyHost.key, ca: pki.hostCa.trustBundlePem() }),
      onError: (error) => errors.push(error),
    });
    const lonely = await startProxyFixture(pki, { proxy: { webApi: down.handle } });
    try {
      const res = await proxyRequest(lonely.url, '/v1/ping', pki.proxyTrust);
      expect(res.status).toBe(502);
      expect(res.json()).toMatchObject({ code: 'RMT_PROXY_AUTH_UNAVAILABLE' });
      expect(errors).toHaveLength(1);
    } finally {
      await lonely.close();
      await down.close();
    }
  });

  it('refuses an Auth URL that is not https', () => {
    expect(() =>
      createAuthForwarder({ url: 'http://127.0.0.1:3025', tls: () => ({ cert: '', key: '', ca: '' }) }),
    ).toThrow(expect.objectContaining({ code: 'RMT_CONFIG_INVALID' }));
  });
});
