import type { Role } from '@remoteler/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyExchange } from '../src/index.js';
import { proxyRequest, rawExchange } from './support/proxy-client.js';
import { DEVELOPER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { role } from './support/roles.js';
import { createTestLocks, lockOn } from './support/test-locks.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

// A watch or an exec session passes the authorize step, then waits (for the upstream connection,
// the credentials, the API server's answer) before its relay runs. A lock or a role change that
// lands in that wait must still end it: it is refused with the reason, and nothing is relayed.

let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;

const testLocks = createTestLocks();
const locks = testLocks.source;
const setLocks = testLocks.set;
const aliceLock = lockOn('alice-out', { user: 'alice' });

const READ_ONLY = role('developer', {
  kubernetes_labels: { '*': '*' },
  kubernetes_users: ['alice'],
  kubernetes_groups: ['developers'],
  kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['get'] }],
});
let roles: readonly Role[] = [DEVELOPER];
const roleListeners = new Set<() => void>();
function setRoles(next: readonly Role[]): void {
  roles = next;
  for (const listener of roleListeners) listener();
}

// Runs right after the authorize step decided: the moment a change must no longer slip through.
let afterAuthorize: (exchange: ProxyExchange) => void = () => {};

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  fixture = await startProxyFixture(pki, {
    clusters: ['dev'],
    roles: () => roles,
    onRolesChanged: (listener) => {
      roleListeners.add(listener);
      return () => roleListeners.delete(listener);
    },
    proxy: {
      locks,
      steps: [
        { after: 'authorize', step: { name: 'change-after-authorize', run: (e) => afterAuthorize(e) } },
      ],
    },
  });
});

afterEach(() => {
  afterAuthorize = () => {};
  setLocks([]);
  setRoles([DEVELOPER]);
  fixture.upstreams.dev!.handle((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const WATCH = '/api/v1/namespaces/default/pods?watch=true';
const EXEC_UPGRADE =
  'POST /api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n' +
  'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n';

describe('a change that lands after the authorize step, before the relay runs', () => {
  it('refuses a watch when a lock lands: 403 with the lock, nothing sent upstream', async () => {
    afterAuthorize = () => setLocks([aliceLock]);
    const before = fixture.allUpstreamRequests();
    const res = await proxyRequest(fixture.url, WATCH, pki.proxyTrust, { identity: alice });
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('RMT_PROXY_LOCKED');
    expect(fixture.allUpstreamRequests()).toBe(before);
  });

  it('refuses an exec upgrade when a lock lands: 403 on the socket, no upgrade sent upstream', async () => {
    afterAuthorize = () => setLocks([aliceLock]);
    const before = fixture.allUpstreamRequests();
    const answer = await rawExchange(fixture.url, pki.proxyTrust, alice, EXEC_UPGRADE);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain('RMT_PROXY_LOCKED');
    expect(fixture.allUpstreamRequests()).toBe(before);
  });

  it('refuses a watch when a role change removes the verb', async () => {
    afterAuthorize = () => setRoles([READ_ONLY]);
    const before = fixture.allUpstreamRequests();
    const res = await proxyRequest(fixture.url, WATCH, pki.proxyTrust, { identity: alice });
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('RMT_POLICY_REQUEST_DENIED');
    expect(fixture.allUpstreamRequests()).toBe(before);
  });

  it('refuses a watch when a lock lands while the API server has not answered, and abandons the upstream request', async () => {
    const upstreamGone = new Promise<void>((resolve) => {
      fixture.upstreams.dev!.handle((req) => {
        // Never answers; the lock comes while the Proxy waits for the status line.
        req.socket.once('close', () => resolve());
        setLocks([aliceLock]);
      });
    });
    const res = await proxyRequest(fixture.url, WATCH, pki.proxyTrust, { identity: alice });
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('RMT_PROXY_LOCKED');
    await upstreamGone;
  });
});
