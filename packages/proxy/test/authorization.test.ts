import { connect } from 'node:tls';
import type { Role } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyRequest, rawExchange } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { role } from './support/roles.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;
let roles: Role[];
const roleListeners = new Set<() => void>();

const teamA = (verbs: string[]) =>
  role('developer', {
    kubernetes_labels: { env: 'dev' },
    kubernetes_users: ['alice'],
    kubernetes_resources: [{ kind: 'pod', namespace: 'team-a', name: '*', verbs }],
  });

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  roles = [teamA(['get', 'list', 'watch'])];
  fixture = await startProxyFixture(pki, {
    clusters: ['dev', 'prod'],
    roles: () => roles,
    onRolesChanged: (listener) => {
      roleListeners.add(listener);
      return () => roleListeners.delete(listener);
    },
  });
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const get = (path: string) => proxyRequest(fixture.url, path, pki.proxyTrust, { identity: alice });

function statusOf(raw: string): { code: number; body: Record<string, unknown> } {
  const [head = '', body = '{}'] = raw.split('\r\n\r\n');
  return { code: Number(head.split(' ')[1]), body: JSON.parse(body) };
}

describe('authorization by the policy engine', () => {
  it('forwards what the roles allow', async () => {
    expect((await get('/api/v1/namespaces/team-a/pods?limit=500')).status).toBe(200);
    expect((await get('/api/v1/namespaces/team-a/pods/web-0')).status).toBe(200);
    expect((await get('/api?timeout=32s')).status).toBe(200);
  });

  it('refuses a verb or namespace the roles do not allow with a 403 Status naming it', async () => {
    const total = fixture.allUpstreamRequests();
    const res = await get('/api/v1/namespaces/team-b/pods');
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(res.json().message).toContain('RMT_POLICY_REQUEST_DENIED');
    expect(res.json().message).toContain('team-b');
    const del = await proxyRequest(fixture.url, '/api/v1/namespaces/team-a/pods/web-0', pki.proxyTrust, {
      identity: alice,
      method: 'DELETE',
    });
    expect(del.status).toBe(403);
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it('denies exec over both WebSocket (GET) and SPDY (POST) when the role lacks the exec verb', async () => {
    const total = fixture.allUpstreamRequests();
    const path =
      '/api/v1/namespaces/team-a/pods/web-0/exec?command=sh&container=app&stdin=true&stdout=true&tty=true';
    const ws = await rawExchange(
      fixture.url,
      pki.proxyTrust,
      alice,
      `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n',
    );
    const spdy = await rawExchange(
      fixture.url,
      pki.proxyTrust,
      alice,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
        'X-Stream-Protocol-Version: v4.channel.k8s.io\r\nX-Stream-Protocol-Version: channel.k8s.io\r\n\r\n',
    );
    for (const raw of [ws, spdy]) {
      const { code, body } = statusOf(raw);
      expect(code).toBe(403);
      expect(body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
      expect(String(body.message)).toContain('exec');
    }
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it('refuses a list it would have to filter when the client accepts no JSON (protobuf only)', async () => {
    const total = fixture.allUpstreamRequests();
    const res = await proxyRequest(fixture.url, '/api/v1/pods?limit=500', pki.proxyTrust, {
      identity: alice,
      headers: { accept: 'application/vnd.kubernetes.protobuf' },
    });
    expect(res.status).toBe(406);
    expect(res.json().message).toContain('RMT_PROXY_FILTER_UNSUPPORTED');
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it('hides a cluster the roles do not match exactly like a missing one', async () => {
    const hidden = await proxyRequest(fixture.url, '/k8s/prod/api', pki.proxyTrust, {
      identity: await pki.user('alice'),
    });
    expect(hidden.status).toBe(404);
    expect(hidden.json().message).toContain('RMT_PROXY_CLUSTER_NOT_FOUND');
  });

  it('hides it even for a path the policy engine cannot parse, so no answer tells it exists', async () => {
    const unpinned = await pki.user('alice');
    // `/api/v1/watch` with nothing after it is unparsable: on a cluster alice may use, that is a 400.
    const visible = await proxyRequest(fixture.url, '/k8s/dev/api/v1/watch', pki.proxyTrust, {
      identity: unpinned,
    });
    expect(visible.status).toBe(400);
    expect(visible.json().message).toContain('RMT_POLICY_REQUEST_UNPARSABLE');
    const answers = await Promise.all(
      ['prod', 'missing'].map((cluster) =>
        proxyRequest(fixture.url, `/k8s/${cluster}/api/v1/watch`, pki.proxyTrust, { identity: unpinned }),
      ),
    );
    const [forbidden, missing] = answers.map((res) => ({ status: res.status, body: res.json() }));
    expect(forbidden!.status).toBe(404);
    expect(forbidden!.body.message).toContain('RMT_PROXY_CLUSTER_NOT_FOUND');
    // The same answer but for the name.
    expect(JSON.stringify(forbidden)).toBe(JSON.stringify(missing).replaceAll('missing', 'prod'));
  });

  it('applies a role change to the next request', async () => {
    expect((await get('/api/v1/namespaces/team-b/pods')).status).toBe(403);
    roles = [
      role('developer', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_users: ['alice'],
        kubernetes_resources: [{ kind: 'pod', namespace: 'team-*', name: '*', verbs: ['get', 'list'] }],
      }),
    ];
    expect((await get('/api/v1/namespaces/team-b/pods')).status).toBe(200);
    roles = [];
    const none = await get('/api/v1/namespaces/team-a/pods');
    expect(none.status).toBe(404);
  });

  it('ends an open watch when a role change removes the access it relied on, and only then', async () => {
    roles = [teamA(['get', 'list', 'watch'])];
    let upstreamRes: import('node:http').ServerResponse | undefined;
    fixture.upstreams.dev!.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{}}\n');
      upstreamRes = res;
    });
    const url = new URL(fixture.url);
    const waiters: [string, () => void][] = [];
    const seenText = (text: string) => new Promise<void>((resolve) => waiters.push([text, resolve]));
    const firstEvent = seenText('"ADDED"');
    const ended = new Promise<string>((resolve, reject) => {
      const socket = connect(
        { host: url.hostname, port: Number(url.port), ca: pki.proxyTrust, cert: alice.cert, key: alice.key },
        () => socket.write('GET /api/v1/namespaces/team-a/pods?watch=true HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let seen = '';
      socket.on('data', (c: Buffer) => {
        seen += c.toString('latin1');
        for (const [text, resolve] of waiters) if (seen.includes(text)) resolve();
      });
      socket.on('close', () => resolve(seen));
      socket.on('error', (e) => (e.message.includes('ECONNRESET') ? resolve(seen) : reject(e)));
    });
    await firstEvent;
    // A change that still allows the watch leaves it open: a later event still arrives.
    roles = [teamA(['get', 'list', 'watch', 'delete'])];
    for (const listener of roleListeners) listener();
    const secondEvent = seenText('"MODIFIED"');
    upstreamRes!.write('{"type":"MODIFIED","object":{}}\n');
    await secondEvent;
    // A change that removes `watch` ends it.
    roles = [teamA(['get'])];
    for (const listener of roleListeners) listener();
    expect(await ended).toContain('"MODIFIED"');
  });
});
