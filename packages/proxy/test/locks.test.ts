import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyRequest } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { createTestLocks, lockOn } from './support/test-locks.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;
const testLocks = createTestLocks();
const locks = testLocks.source;
const setLocks = testLocks.set;
const lock = lockOn;

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  fixture = await startProxyFixture(pki, { clusters: ['dev', 'prod'], proxy: { locks } });
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const get = (path: string, identity: Pem = alice) =>
  proxyRequest(fixture.url, path, pki.proxyTrust, { identity });

describe('locks', () => {
  it('refuses the next request of a locked user with 403 and the lock message', async () => {
    setLocks([lock('alice-out', { user: 'alice' })]);
    const total = fixture.allUpstreamRequests();
    const res = await get('/api');
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('RMT_PROXY_LOCKED');
    expect(res.json().message).toContain('contact secops@example.com');
    expect(fixture.allUpstreamRequests()).toBe(total);
    setLocks([]);
    expect((await get('/api')).status).toBe(200);
  });

  it('locks every holder of a role, and a cluster only for that cluster', async () => {
    setLocks([lock('no-devs', { role: 'developer' })]);
    expect((await get('/api')).status).toBe(403);
    setLocks([lock('prod-frozen', { cluster: 'prod' })]);
    const unpinned = await pki.user('alice');
    expect((await get('/k8s/dev/api', unpinned)).status).toBe(200);
    expect((await get('/k8s/prod/api', unpinned)).status).toBe(403);
    setLocks([]);
  });

  it('ignores a lock whose expiry has passed', async () => {
    setLocks([lock('old', { user: 'alice' }, { expires: new Date(Date.now() - 60_000).toISOString() })]);
    expect((await get('/api')).status).toBe(200);
    setLocks([]);
  });

  it('ends an open watch and an open exec session when a lock appears', async () => {
    fixture.upstreams.dev!.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{}}\n');
    });
    const url = new URL(fixture.url);
    const open = (bytes: string, ready: string) => {
      let onReady: () => void = () => {};
      const isReady = new Promise<void>((resolve) => {
        onReady = resolve;
      });
      const ended = new Promise<string>((resolve, reject) => {
        const socket = connect(
          {
            host: url.hostname,
            port: Number(url.port),
            ca: pki.proxyTrust,
            cert: alice.cert,
            key: alice.key,
          },
          () => socket.write(bytes),
        );
        let seen = '';
        socket.on('data', (c: Buffer) => {
          seen += c.toString('latin1');
          if (seen.includes(ready)) onReady();
        });
        socket.on('close', () => resolve(seen));
        socket.on('error', (e) => (e.message.includes('ECONNRESET') ? resolve(seen) : reject(e)));
      });
      return { isReady, ended };
    };
    const watch = open('GET /api/v1/pods?watch=true HTTP/1.1\r\nHost: x\r\n\r\n', '"ADDED"');
    const exec = open(
      'POST /api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n' +
        'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\nping',
      'ping',
    );
    await Promise.all([watch.isReady, exec.isReady]);
    setLocks([lock('alice-out', { user: 'alice' })]);
    const [watched, executed] = await Promise.all([watch.ended, exec.ended]);
    expect(watched).toContain('"ADDED"');
    expect(executed).toMatch(/^HTTP\/1\.1 101/);
    setLocks([]);
  });
});
