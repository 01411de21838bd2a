import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { EVERYTHING, role } from './support/roles.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

// Protocol-level attacks on the listener. Each is refused, and the API servers behind the Proxy
// prove that nothing reached them.
let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice');
  fixture = await startProxyFixture(pki, {
    clusters: ['dev', 'prod'],
    roles: () => [
      role('developer', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_users: ['alice'],
        kubernetes_resources: EVERYTHING,
      }),
    ],
    proxy: { headersTimeoutMs: 1_000, maxHeaderSize: 8_192 },
  });
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const raw = (bytes: string, identity: Pem | undefined = alice) =>
  rawExchange(fixture.url, pki.proxyTrust, identity, bytes);
const statusLine = (response: string) => response.split('\r\n')[0];

describe('attacks on the listener', () => {
  it('refuses a request with both Content-Length and Transfer-Encoding (request smuggling)', async () => {
    const response = await raw(
      'POST /k8s/dev/api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /k8s/prod/api HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(statusLine(response)).toMatch(/^HTTP\/1\.1 400/);
    expect(response).not.toContain('HTTP/1.1 200');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses an oversized request head with 431', async () => {
    const response = await raw(
      `GET /k8s/dev/api HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(10_000)}\r\n\r\n`,
    );
    expect(statusLine(response)).toMatch(/^HTTP\/1\.1 431/);
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('cuts a slow-loris client that never finishes its request head', async () => {
    const url = new URL(fixture.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(
        { host: url.hostname, port: Number(url.port), ca: pki.proxyTrust, cert: alice.cert, key: alice.key },
        () => socket.write('GET /k8s/dev/api HTTP/1.1\r\nHost: x\r\nX-Slow: '),
      );
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(answer === '' || /^HTTP\/1\.1 408/.test(answer)).toBe(true);
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('answers a WebSocket upgrade to a cluster the user may not use like a missing cluster', async () => {
    const upgrade = (cluster: string) =>
      `GET /k8s/${cluster}/api/v1/namespaces/default/pods/web-0/exec?command=sh HTTP/1.1\r\nHost: x\r\n` +
      'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n';
    const hidden = await raw(upgrade('prod'));
    const missing = await raw(upgrade('nope'));
    expect(statusLine(hidden)).toMatch(/^HTTP\/1\.1 404/);
    expect(hidden.replaceAll('prod', 'X')).toBe(missing.replaceAll('nope', 'X'));
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses an upgrade to anything but WebSocket or SPDY/3.1', async () => {
    const response = await raw(
      'GET /k8s/dev/api HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
    );
    expect(statusLine(response)).toMatch(/^HTTP\/1\.1 501/);
    expect(response).toContain('RMT_PROXY_UPGRADE_UNSUPPORTED');
    expect(fixture.allUpstreamRequests()).toBe(0);
  });

  it('refuses an absolute-form request target instead of proxying to another host', async () => {
    const response = await raw(
      'GET https://169.254.169.254/latest/meta-data HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(statusLine(response)).toMatch(/^HTTP\/1\.1 400/);
    expect(fixture.allUpstreamRequests()).toBe(0);
  });
});
