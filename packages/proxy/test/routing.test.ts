import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyRequest } from './support/proxy-client.js';
import { PROXY_UPSTREAM_TOKEN, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { startRecordingUpstream } from './support/recording-upstream.js';
import { EVERYTHING, role } from './support/roles.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let fixture: ProxyFixture;
let unpinned: Pem;
let pinnedDev: Pem;

beforeAll(async () => {
  pki = await createTestPki();
  unpinned = await pki.user('alice');
  pinnedDev = await pki.user('alice', { pin: 'dev' });
  fixture = await startProxyFixture(pki, {
    clusters: ['dev', 'prod', 'secret'],
    roles: () => [
      role('developer', {
        kubernetes_labels: { env: ['dev', 'prod', 'staging'] },
        kubernetes_users: ['alice'],
        kubernetes_groups: ['developers'],
        kubernetes_resources: EVERYTHING,
      }),
    ],
  });
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const get = (path: string, identity: Pem = unpinned) =>
  proxyRequest(fixture.url, path, pki.proxyTrust, { identity });

describe('routing', () => {
  it('routes /k8s/<cluster>/… to that cluster and removes only the prefix', async () => {
    const res = await get('/k8s/prod/api/v1/namespaces/default/pods?limit=500');
    expect(res.status).toBe(200);
    expect(fixture.upstreams.prod!.requests.at(-1)?.url).toBe('/api/v1/namespaces/default/pods?limit=500');
  });

  it('routes a request without the prefix to the cluster the certificate is pinned to (kubectl get --raw)', async () => {
    const before = fixture.upstreams.dev!.requests.length;
    const res = await get('/api', pinnedDev);
    expect(res.status).toBe(200);
    expect(fixture.upstreams.dev!.requests.length).toBe(before + 1);
    expect(fixture.upstreams.dev!.requests.at(-1)?.url).toBe('/api');
  });

  it('accepts a prefix that agrees with the pin', async () => {
    expect((await get('/k8s/dev/version', pinnedDev)).status).toBe(200);
  });

  it('refuses a prefix that disagrees with the pin with 403, before looking the cluster up', async () => {
    const total = fixture.allUpstreamRequests();
    const res = await get('/k8s/prod/api', pinnedDev);
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('RMT_PROXY_CLUSTER_MISMATCH');
    const unknown = await get('/k8s/does-not-exist/api', pinnedDev);
    expect(unknown.status).toBe(403);
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it('answers a request with neither prefix nor pin with 404 and a hint, never a default cluster', async () => {
    const total = fixture.allUpstreamRequests();
    const res = await get('/api/v1/pods');
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect(res.json().message).toContain('RMT_PROXY_CLUSTER_REQUIRED');
    expect(res.json().message).toContain('remoteler kube login');
    expect((await get('/k8s/')).status).toBe(404);
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it('answers a cluster the user may not use exactly like a cluster that does not exist', async () => {
    const hidden = await get('/k8s/secret/api');
    const missing = await get('/k8s/secreu/api');
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.text.replaceAll('secret', 'X')).toBe(missing.text.replaceAll('secreu', 'X'));
    expect(Object.keys(hidden.headers).sort()).toEqual(Object.keys(missing.headers).sort());
    expect(fixture.upstreams.secret!.requests).toHaveLength(0);
  });

  it('leaves encoded characters in the query alone (label and field selectors)', async () => {
    const query = '?fieldSelector=metadata.name%3Dweb-0&labelSelector=app.kubernetes.io%2Fname%3Dweb';
    expect((await get(`/k8s/dev/api/v1/pods${query}`)).status).toBe(200);
    expect(fixture.upstreams.dev!.requests.at(-1)?.url).toBe(`/api/v1/pods${query}`);
  });

  it.each([
    ['/k8s/dev/../prod/api/v1/pods'],
    ['/k8s/dev/api/../../prod/api'],
    ['/k8s/dev/%2e%2e/prod/api'],
    ['/k8s/dev/%2E%2e/prod/api'],
    ['/k8s/dev/%252e%252e/prod/api'],
    ['/k8s/dev/./api'],
    ['/k8s/dev/api/.'],
    ['/k8s/dev//api'],
    ['//k8s/dev/api'],
    ['/k8s/dev/api%2fv1/pods'],
    ['/k8s/dev/api%2Fv1/pods'],
    ['/k8s/dev/api%252Fv1/pods'],
    ['/k8s/dev/api%25252fv1/pods'],
    ['/k8s/dev/api%5cv1/pods'],
    ['/k8s/dev/api%5Cv1/pods'],
    ['/k8s/dev/api\\v1/pods'],
    ['/k8s/dev/api/v1/pods%00'],
    ['/api/v1/namespaces/..%2fkube-system/secrets'],
  ])('refuses the path trick %s with 400 before routing', async (path) => {
    const total = fixture.allUpstreamRequests();
    const res = await get(path, pinnedDev);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(res.json().message).toContain('RMT_PROXY_PATH_INVALID');
    expect(fixture.allUpstreamRequests()).toBe(total);
  });

  it('routes to clusters added at run time and stops routing to removed ones', async () => {
    const staging = await startRecordingUpstream(pki.apiServer);
    try {
      expect((await get('/k8s/staging/api')).status).toBe(404);
      fixture.clusters.add({
        name: 'staging',
        labels: { env: 'staging' },
        upstream: { kind: 'token', server: staging.url, token: PROXY_UPSTREAM_TOKEN, ca: pki.clusterCa.cert },
      });
      expect((await get('/k8s/staging/api')).status).toBe(200);
      expect(staging.requests.map((r) => r.url)).toEqual(['/api']);
      fixture.clusters.remove('dev');
      const gone = await get('/k8s/dev/api');
      expect(gone.status).toBe(404);
      expect(gone.json().message).toContain('RMT_PROXY_CLUSTER_NOT_FOUND');
    } finally {
      fixture.clusters.remove('staging');
      await staging.close();
    }
  });
});
