import type { ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyRequest } from './support/proxy-client.js';
import { startProxyFixture } from './support/proxy-fixture.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let alice: Pem;

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
});

afterAll(async () => {
  await pki?.dispose();
});

describe('closing the Proxy', () => {
  it('lets an in-flight request finish, refuses new connections, and is idempotent', async () => {
    const fixture = await startProxyFixture(pki, { clusters: ['dev'] });
    try {
      let hold: ServerResponse | undefined;
      const arrived = new Promise<void>((resolve) =>
        fixture.upstreams.dev!.handle((_req, res) => {
          hold = res;
          resolve();
        }),
      );
      const pending = proxyRequest(fixture.url, '/api/v1/pods/slow', pki.proxyTrust, { identity: alice });
      await arrived;
      const first = fixture.proxy.close();
      const second = fixture.proxy.close();
      expect(second).toBe(first);
      hold!.writeHead(200, { 'content-type': 'application/json' });
      hold!.end('{"kind":"Pod"}');
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ kind: 'Pod' });
      await first;
      await expect(
        proxyRequest(fixture.url, '/api', pki.proxyTrust, { identity: alice }),
      ).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    } finally {
      await fixture.close();
    }
  });

  it('cuts a watch that is still open when the close deadline passes', async () => {
    const fixture = await startProxyFixture(pki, { clusters: ['dev'], proxy: { closeTimeoutMs: 100 } });
    try {
      const started = new Promise<void>((resolve) =>
        fixture.upstreams.dev!.handle((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"type":"ADDED","object":{}}\n');
          resolve();
        }),
      );
      const url = new URL(fixture.url);
      const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: url.hostname,
            port: url.port,
            path: '/api/v1/pods?watch=true',
            ca: pki.proxyTrust,
            cert: alice.cert,
            key: alice.key,
            agent: false,
          },
          resolve,
        );
        req.on('error', reject);
        req.end();
      });
      await started;
      response.on('data', () => {});
      // 'aborted' on older Node versions, 'error' (ECONNRESET) or 'close' on newer ones: wait for close.
      response.on('error', () => {});
      const cut = new Promise<void>((resolve) => response.once('close', () => resolve()));
      await fixture.proxy.close();
      await cut;
      expect(response.complete).toBe(false);
    } finally {
      await fixture.close();
    }
  });
});
