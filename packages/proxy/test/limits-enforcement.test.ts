import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProxy, type ProxyOptions } from '../src/index.js';
import { createAuditLog } from './support/audit-log.js';
import { proxyRequest } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let alice: Pem;
let bob: Pem;
let fixture: ProxyFixture | undefined;

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  bob = await pki.user('bob', { pin: 'dev' });
});

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

afterAll(async () => {
  await pki?.dispose();
});

/** A Proxy whose audit events a test can await. */
async function start(proxy: Partial<ProxyOptions> = {}) {
  const audit = createAuditLog();
  fixture = await startProxyFixture(pki, { clusters: ['dev'], proxy: { ...proxy, onAudit: audit.record } });
  return { fixture, auditedWhere: audit.where };
}

const send = (
  path: string,
  identity: Pem,
  options: { method?: string; body?: string; headers?: Record<string, string> } = {},
) => proxyRequest(fixture!.url, path, pki.proxyTrust, { identity, ...options });

describe('limits: request body cap', () => {
  it('answers 413 RequestEntityTooLarge for a declared body over the cap, before anything goes upstream', async () => {
    await start({ limits: { maxRequestBodyBytes: 1024 } });
    const body = JSON.stringify({ data: 'x'.repeat(2048) });
    const refused = await send('/api/v1/namespaces/default/configmaps', alice, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.status).toBe(413);
    expect(refused.json()).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    expect(refused.text).toContain('RMT_PROXY_REQUEST_TOO_LARGE');
    expect(fixture!.upstreams.dev!.requests).toHaveLength(0);

    const small = await send('/api/v1/namespaces/default/configmaps', alice, {
      method: 'POST',
      body: JSON.stringify({ data: 'x'.repeat(100) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(small.status).toBe(200);
    expect(fixture!.upstreams.dev!.requests).toHaveLength(1);
  });

  it('cuts a chunked body that grows past the cap instead of forwarding it whole', async () => {
    const { auditedWhere } = await start({ limits: { maxRequestBodyBytes: 1024 } });
    const url = new URL(fixture!.url);
    const outcome = await new Promise<string>((resolve) => {
      const req = httpsRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/api/v1/namespaces/default/configmaps',
          headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' },
          ca: pki.proxyTrust,
          cert: alice.cert,
          key: alice.key,
          agent: false,
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve(`status ${res.statusCode}`));
          res.once('error', () => resolve('cut'));
        },
      );
      req.on('error', () => resolve('cut'));
      req.write('x'.repeat(800));
      req.end('y'.repeat(800));
    });
    expect(outcome).not.toBe('status 200');
    const event = await auditedWhere((e) => e.method === 'POST');
    expect(event.errorCode).toBe('RMT_PROXY_REQUEST_TOO_LARGE');
    const upstream = fixture!.upstreams.dev!.requests;
    expect(upstream.every((r) => r.body.length <= 1024)).toBe(true);
  });
});

describe('limits: per-user request rate', () => {
  it('answers 429 with Retry-After once a user used the burst, without slowing other users', async () => {
    let offsetMs = 0;
    await start({
      limits: { requestsPerSecond: 1, burst: 2 },
      now: () => new Date(Date.now() + offsetMs),
    });
    expect((await send('/api/v1/pods', alice)).status).toBe(200);
    expect((await send('/api/v1/pods', alice)).status).toBe(200);
    const limited = await send('/api/v1/pods', alice);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect(limited.text).toContain('RMT_PROXY_RATE_LIMITED');
    expect((await send('/api/v1/pods', bob)).status).toBe(200);
    // One second later (by the Proxy's clock) alice has a token again.
    offsetMs += 1_000;
    expect((await send('/api/v1/pods', alice)).status).toBe(200);
    expect(fixture!.upstreams.dev!.requests).toHaveLength(4);
  });
});

describe('limits: per-user concurrent exchanges', () => {
  it('refuses a request beyond the limit while a watch is open, and accepts one after the watch ends', async () => {
    const { auditedWhere } = await start({ limits: { maxConcurrentPerUser: 1 } });
    fixture!.upstreams.dev!.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.includes('watch=true')) res.write('{"type":"ADDED","object":{}}\n');
      else res.end('{}');
    });
    const url = new URL(fixture!.url);
    const watch = connect(
      { host: url.hostname, port: Number(url.port), ca: pki.proxyTrust, cert: alice.cert, key: alice.key },
      () => watch.write('GET /api/v1/pods?watch=true HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    await new Promise<void>((resolve) => {
      let seen = '';
      watch.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.includes('"ADDED"')) resolve();
      });
    });
    const refused = await send('/api/v1/pods', alice);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.text).toContain('RMT_PROXY_TOO_MANY_CONNECTIONS');
    expect((await send('/api/v1/pods', bob)).status).toBe(200);
    watch.destroy();
    await auditedWhere((e) => e.path === '/api/v1/pods' && e.username === 'alice' && e.status === 200);
    expect((await send('/api/v1/pods', alice)).status).toBe(200);
  });
});

describe('limits: idle upgraded sessions', () => {
  it('ends an exec session that relays nothing either way for the idle timeout, and audits why', async () => {
    const { auditedWhere } = await start({ limits: { upgradeIdleTimeoutMs: 300 } });
    const url = new URL(fixture!.url);
    const seen = await new Promise<string>((resolve) => {
      let text = '';
      const socket = connect(
        { host: url.hostname, port: Number(url.port), ca: pki.proxyTrust, cert: alice.cert, key: alice.key },
        () =>
          socket.write(
            'POST /api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n' +
              'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n',
          ),
      );
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(text));
    });
    expect(seen).toMatch(/^HTTP\/1\.1 101/);
    const event = await auditedWhere((e) => e.kind === 'upgrade');
    expect(event.errorCode).toBe('RMT_PROXY_SESSION_IDLE');
  });
});

describe('limits: configuration', () => {
  it('refuses invalid limits once, at construction, naming each problem', () => {
    const build = (limits: Record<string, unknown>) => () =>
      createProxy({
        tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
        identityDecoder: pki.decoder,
        access: {
          forIdentity: () => {
            throw new Error('unused');
          },
        },
        clusters: { get: () => undefined, list: () => [], subscribe: () => () => {} } as never,
        limits: limits as never,
      });
    expect(build({ maxRequestBodyBytes: -1, burst: 0.5, requestsPerSecond: 10, unknown: 1 })).toThrow(
      expect.objectContaining({
        code: 'RMT_CONFIG_INVALID',
        details: {
          problems: [
            'limits.maxRequestBodyBytes must be a non-negative integer',
            'limits.burst must be a non-negative integer',
            'limits.burst must be at least 1 when limits.requestsPerSecond is set',
            'limits.unknown is not a known limit',
          ],
        },
      }),
    );
  });
});
