import { PassThrough } from 'node:stream';
import { connect } from 'node:tls';
import { RemotelerError } from '@remoteler/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyOptions, sendStatusOnSocket } from '../src/index.js';
import { proxyRequest, rawExchange } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let alice: Pem;
let fixture: ProxyFixture | undefined;

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
});
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});
afterAll(async () => {
  await pki?.dispose();
});

async function start(proxy: Partial<ProxyOptions>): Promise<ProxyFixture> {
  fixture = await startProxyFixture(pki, { clusters: ['dev'], proxy });
  return fixture;
}

// An exec handshake as kubectl sends it over SPDY (k8s-protocols §6.1).
const EXEC_UPGRADE =
  'POST /api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n' +
  'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n';

/** The header block of a raw HTTP/1.1 response, lower-cased names to values. */
function headersOf(response: string): Record<string, string> {
  const head = response.slice(0, response.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  return Object.fromEntries(
    head.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
}

describe('refused upgrades carry Retry-After like refused requests', () => {
  it('answers an exec over the per-user rate with 429 and Retry-After', async () => {
    // One token that refills only after 100 s: a slow machine between the two requests cannot
    // turn the refusal into an upgrade.
    const proxy = await start({ limits: { requestsPerSecond: 0.01, burst: 1 } });
    expect((await proxyRequest(proxy.url, '/api/v1/pods', pki.proxyTrust, { identity: alice })).status).toBe(
      200,
    );
    const refused = await rawExchange(proxy.url, pki.proxyTrust, alice, EXEC_UPGRADE);
    expect(refused).toMatch(/^HTTP\/1\.1 429 /);
    expect(Number(headersOf(refused)['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused).toContain('RMT_PROXY_RATE_LIMITED');
  });

  it('answers an exec beyond the per-user open exchanges with 429 and Retry-After: 1', async () => {
    const proxy = await start({ limits: { maxConcurrentPerUser: 1 } });
    proxy.upstreams.dev!.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{}}\n');
    });
    const url = new URL(proxy.url);
    const watch = connect(
      { host: url.hostname, port: Number(url.port), ca: pki.proxyTrust, cert: alice.cert, key: alice.key },
      () => watch.write('GET /api/v1/pods?watch=true HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    try {
      await new Promise<void>((resolve) => {
        let seen = '';
        watch.on('data', (chunk: Buffer) => {
          seen += chunk.toString('latin1');
          if (seen.includes('"ADDED"')) resolve();
        });
      });
      const refused = await rawExchange(proxy.url, pki.proxyTrust, alice, EXEC_UPGRADE);
      expect(refused).toMatch(/^HTTP\/1\.1 429 /);
      expect(headersOf(refused)['retry-after']).toBe('1');
      expect(refused).toContain('RMT_PROXY_TOO_MANY_CONNECTIONS');
    } finally {
      watch.destroy();
    }
  });
});

describe('sendStatusOnSocket', () => {
  const answer = (headers?: Record<string, string>) => {
    const socket = new PassThrough();
    sendStatusOnSocket(socket, new RemotelerError('RMT_PROXY_RATE_LIMITED', 'too many requests'), headers);
    return socket.read().toString('latin1') as string;
  };

  it('writes extra headers into the response head', () => {
    const text = answer({ 'Retry-After': '7' });
    expect(headersOf(text)['retry-after']).toBe('7');
    expect(headersOf(text)['content-type']).toBe('application/json');
  });

  it('leaves out a header that would split the response (CR/LF) or has an invalid name', () => {
    const text = answer({ 'Retry-After': '1\r\nSet-Cookie: x=1', 'Bad Name': 'v', 'X-Ok': 'yes' });
    expect(text).not.toContain('Set-Cookie');
    expect(text).not.toContain('Bad Name');
    expect(headersOf(text)['retry-after']).toBeUndefined();
    expect(headersOf(text)['x-ok']).toBe('yes');
  });
});
