import type { Role } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyRequest, rawExchange } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { role } from './support/roles.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

// The Proxy against a recording API server: what it asks upstream when it must filter, and what
// it does with answers it cannot filter.

let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;

const TEAM_A: Role = role('developer', {
  kubernetes_labels: { env: 'dev' },
  kubernetes_users: ['alice'],
  kubernetes_groups: ['developers'],
  kubernetes_resources: [{ kind: 'pod', namespace: 'team-a', name: '*', verbs: ['get', 'list', 'watch'] }],
});

const podList = JSON.stringify({
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '7', remainingItemCount: 3, continue: 'next' },
  items: [
    { metadata: { namespace: 'team-a', name: 'a-0' } },
    { metadata: { namespace: 'team-b', name: 'b-0' } },
  ],
});

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  fixture = await startProxyFixture(pki, { clusters: ['dev'], roles: () => [TEAM_A] });
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const request = (path: string, headers: Record<string, string> = {}) =>
  proxyRequest(fixture.url, path, pki.proxyTrust, { identity: alice, headers });

describe('filtering through the Proxy', () => {
  it('asks upstream for uncompressed JSON and answers only the allowed items', async () => {
    const upstream = fixture.upstreams.dev!;
    upstream.handle((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(podList),
      });
      res.end(podList);
    });
    const seen = upstream.nextRequest();
    const res = await request('/api/v1/pods?limit=2', {
      accept: 'application/vnd.kubernetes.protobuf,application/json',
      'accept-encoding': 'gzip',
    });
    const sent = await seen;
    expect(sent.header('accept')).toEqual(['application/json']);
    expect(sent.header('accept-encoding')).toEqual(['identity']);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBeUndefined();
    const body = res.json();
    expect(body.items).toEqual([{ metadata: { namespace: 'team-a', name: 'a-0' } }]);
    expect(body.metadata).toEqual({ resourceVersion: '7', continue: 'next' });
  });

  it('answers HEAD on a filtered collection without a body to filter', async () => {
    fixture.upstreams.dev!.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
    });
    const res = await proxyRequest(fixture.url, '/api/v1/pods', pki.proxyTrust, {
      identity: alice,
      method: 'HEAD',
    });
    expect(res.status).toBe(200);
  });

  it('passes an upstream Status (a refusal) unchanged', async () => {
    const status = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
    });
    fixture.upstreams.dev!.handle((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(status);
    });
    const res = await request('/api/v1/pods');
    expect(res.status).toBe(403);
    expect(res.json()).toEqual(JSON.parse(status));
  });

  it('refuses with a 502 rather than pass on an answer it cannot read (protobuf)', async () => {
    fixture.upstreams.dev!.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.kubernetes.protobuf' });
      res.end(Buffer.from([0x6b, 0x38, 0x73, 0x00, 1, 2, 3]));
    });
    const res = await request('/api/v1/pods');
    expect(res.status).toBe(502);
    expect(res.json().message).toContain('RMT_PROXY_FILTER_RESPONSE_INVALID');
  });

  it('cuts the connection when the upstream list turns out malformed mid-stream', async () => {
    fixture.upstreams.dev!.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind":"PodList","items":[{"metadata":{"namespace":"team-a","name":"a-0"}} oops');
    });
    await expect(request('/api/v1/pods')).rejects.toThrow();
  });

  it('leaves a list the roles allow in full untouched', async () => {
    fixture.upstreams.dev!.handle((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(podList),
      });
      res.end(podList);
    });
    const seen = fixture.upstreams.dev!.nextRequest();
    const res = await request('/api/v1/namespaces/team-a/pods', {
      accept: 'application/vnd.kubernetes.protobuf',
    });
    expect((await seen).header('accept')).toEqual(['application/vnd.kubernetes.protobuf']);
    expect(res.text).toBe(podList);
  });

  it('never relays a watch it would have to filter over a WebSocket upgrade', async () => {
    const before = fixture.allUpstreamRequests();
    const raw = await rawExchange(
      fixture.url,
      pki.proxyTrust,
      alice,
      'GET /api/v1/pods?watch=true HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 501 /);
    expect(raw).toContain('RMT_PROXY_UPGRADE_UNSUPPORTED');
    expect(fixture.allUpstreamRequests()).toBe(before);
  });

  it('answers a SelfSubjectAccessReview the roles refuse without asking the cluster', async () => {
    const before = fixture.allUpstreamRequests();
    const res = await proxyRequest(
      fixture.url,
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      pki.proxyTrust,
      {
        identity: alice,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          kind: 'SelfSubjectAccessReview',
          apiVersion: 'authorization.k8s.io/v1',
          spec: { resourceAttributes: { namespace: 'team-b', verb: 'get', resource: 'pods' } },
        }),
      },
    );
    expect(res.status).toBe(201);
    expect(res.json().status).toMatchObject({ allowed: false });
    expect(res.json().status.reason).toContain('Remoteler roles');
    expect(fixture.allUpstreamRequests()).toBe(before);
  });

  it('asks the cluster, impersonated, in JSON when the roles allow, and takes its no', async () => {
    const upstream = fixture.upstreams.dev!;
    upstream.handle((_req, res, recorded) => {
      const review = JSON.parse(recorded.body);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...review, status: { allowed: false, reason: 'no RBAC rule' } }));
    });
    const seen = upstream.nextRequest();
    const res = await proxyRequest(
      fixture.url,
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      pki.proxyTrust,
      {
        identity: alice,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' } },
        }),
      },
    );
    const sent = await seen;
    expect(sent.header('impersonate-user')).toEqual(['alice']);
    expect(sent.header('content-type')).toEqual(['application/json']);
    expect(JSON.parse(sent.body).spec).toEqual({
      resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' },
    });
    expect(res.status).toBe(201);
    expect(res.json().status).toEqual({ allowed: false, reason: 'no RBAC rule' });
  });

  it('refuses an unreadable review with RMT_PROXY_ACCESS_REVIEW_INVALID', async () => {
    const res = await proxyRequest(
      fixture.url,
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      pki.proxyTrust,
      {
        identity: alice,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"spec":{}}',
      },
    );
    expect(res.status).toBe(400);
    expect(res.json().message).toContain('RMT_PROXY_ACCESS_REVIEW_INVALID');
  });
});
