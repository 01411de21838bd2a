import type { Role } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyRequest, rawExchange } from './support/proxy-client.js';
import { PROXY_UPSTREAM_TOKEN, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { EVERYTHING, role } from './support/roles.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;
// The roles behind the policy engine, changed per test: `developer` (alice's role) is `grant`.
let roles: Role[] = [];
function grant(users: string[], groups: string[]): void {
  roles = [
    role('developer', {
      kubernetes_labels: { '*': '*' },
      kubernetes_users: users,
      kubernetes_groups: groups,
      kubernetes_resources: EVERYTHING,
    }),
  ];
}

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  fixture = await startProxyFixture(pki, {
    clusters: ['dev'],
    roles: () => roles,
  });
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const upstream = () => fixture.upstreams.dev!;
const send = (headers: Record<string, string | string[]> = {}, path = '/api/v1/namespaces/default/pods') =>
  proxyRequest(fixture.url, path, pki.proxyTrust, { identity: alice, headers });
const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');

describe('impersonation headers', () => {
  it('sends the allowed user and groups, system:authenticated, and the Proxy’s own token', async () => {
    grant(['alice'], ['developers', 'team-a']);
    expect((await send()).status).toBe(200);
    const seen = upstream().requests.at(-1)!;
    expect(seen.header('impersonate-user')).toEqual(['alice']);
    expect(seen.header('impersonate-group').sort()).toEqual(['developers', 'system:authenticated', 'team-a']);
    expect(seen.header('authorization')).toEqual([`Bearer ${PROXY_UPSTREAM_TOKEN}`]);
  });

  it('never forwards the client’s Authorization, X-Remote-*, Proxy-*, hop-by-hop or Connection-named headers', async () => {
    grant(['alice'], ['developers']);
    const res = await send({
      Authorization: 'Bearer someone-elses-token',
      'X-Remote-User': 'admin',
      'X-Remote-Group': 'system:masters',
      'X-Remote-Extra-Scopes': 'all',
      'Proxy-Authorization': 'Basic eDp5',
      'Keep-Alive': 'timeout=5',
      TE: 'trailers',
      Connection: 'keep-alive, Accept-Language',
      'Accept-Language': 'de',
      'X-Forwarded-For': '203.0.113.9',
      'X-Custom': 'anything',
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      'Kubectl-Command': 'kubectl get',
    });
    expect(res.status).toBe(200);
    const seen = upstream().requests.at(-1)!;
    const names = seen.rawHeaders.map(([name]) => name.toLowerCase());
    expect(seen.header('authorization')).toEqual([`Bearer ${PROXY_UPSTREAM_TOKEN}`]);
    for (const name of [
      'x-remote-user',
      'x-remote-group',
      'x-remote-extra-scopes',
      'proxy-authorization',
      'keep-alive',
      'te',
      'accept-language',
      'x-custom',
    ])
      expect(names).not.toContain(name);
    expect(seen.header('x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(seen.header('accept')).toEqual(['application/json;as=Table;v=v1;g=meta.k8s.io,application/json']);
    expect(seen.header('kubectl-command')).toEqual(['kubectl get']);
  });

  it('lets kubectl --as and --as-group narrow inside the allowed set', async () => {
    grant(['alice', 'alice-admin'], ['developers', 'admins']);
    expect((await send({ 'Impersonate-User': 'alice-admin', 'Impersonate-Group': 'admins' })).status).toBe(
      200,
    );
    const seen = upstream().requests.at(-1)!;
    expect(seen.header('impersonate-user')).toEqual(['alice-admin']);
    expect(seen.header('impersonate-group').sort()).toEqual(['admins', 'system:authenticated']);
  });

  it.each([
    [{ 'Impersonate-User': 'system:admin' }],
    [{ 'impersonate-user': 'bob' }],
    [{ 'Impersonate-User': 'alice', 'Impersonate-Group': 'system:masters' }],
    [{ 'Impersonate-User': 'alice', 'Impersonate-Group': ['developers', 'system:masters'] }],
  ])('refuses a client asking for principals outside the allowed set: %j', async (headers) => {
    grant(['alice'], ['developers']);
    const total = fixture.allUpstreamRequests();
    const res = await send(headers);
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(res.json().message).toContain('RMT_POLICY_IMPERSONATION_DENIED');
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it.each([
    [{ 'Impersonate-Uid': '42' }],
    [{ 'IMPERSONATE-UID': '42' }],
    [{ 'Impersonate-Extra-Scopes': 'view' }],
    [{ 'IMPERSONATE-EXTRA-Example.com%2fteam': 'a' }],
    [{ 'impersonate-extra-': 'x' }],
    [{ 'Impersonate-User': ['alice', 'alice'] }],
    [{ 'Impersonate-User': ['alice', 'system:admin'] }],
    [{ 'Impersonate-Something': 'x' }],
  ])('refuses the client impersonation header set %j with 403', async (headers) => {
    grant(['alice', 'system:admin'], ['developers']);
    const total = fixture.allUpstreamRequests();
    const res = await send(headers);
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('RMT_PROXY_IMPERSONATION_HEADER_FORBIDDEN');
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it('sees a second Impersonate-User even when it differs only in letter case', async () => {
    grant(['alice', 'system:admin'], []);
    const total = fixture.allUpstreamRequests();
    const raw = await rawExchange(
      fixture.url,
      pki.proxyTrust,
      alice,
      'GET /api HTTP/1.1\r\nHost: x\r\nImpersonate-User: alice\r\nimpersonate-USER: system:admin\r\nConnection: close\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 403/);
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it('asks the user to choose with --as when several users are allowed', async () => {
    grant(['alice', 'alice-admin'], []);
    const res = await send();
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('RMT_POLICY_USER_AMBIGUOUS');
    expect(res.json().message).toContain('--as');
    expect(res.json().message).toContain('alice-admin');
  });

  it('refuses when the roles grant no Kubernetes principal at all', async () => {
    grant([], []);
    const res = await send();
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('RMT_POLICY_NO_PRINCIPALS');
  });

  it('sends non-ASCII principals as UTF-8 and matches a UTF-8 --as', async () => {
    grant(['élodie', 'zoë'], ['équipe-ü']);
    const asUtf8 = Buffer.from('zoë', 'utf8').toString('latin1');
    expect((await send({ 'Impersonate-User': asUtf8 })).status).toBe(200);
    const seen = upstream().requests.at(-1)!;
    expect(utf8(seen.header('impersonate-user')[0]!)).toBe('zoë');
    expect(seen.header('impersonate-group').map(utf8).sort()).toEqual(['system:authenticated', 'équipe-ü']);
  });

  it.each([['bad\r\nX-Injected: 1'], [''], [' padded'], ['nul\u0000'], ['\ud800lone']])(
    'refuses a principal that cannot be a header value: %j',
    async (name) => {
      grant([name], []);
      const total = fixture.allUpstreamRequests();
      const res = await send();
      expect(res.status).toBe(400);
      expect(res.json().message).toContain('RMT_PROXY_PRINCIPAL_INVALID');
      expect(fixture.allUpstreamRequests()).toBe(total);
    },
  );
});
