import { RemotelerError } from '@remoteler/core';
import { KubeApiSimulator, kubectlPath, runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callH2, rawRequest } from './support/https.js';

describe('KubeApiSimulator server', () => {
  let sim: KubeApiSimulator;
  let admin: Awaited<ReturnType<KubeApiSimulator['issueClientCertificate']>>;

  beforeAll(async () => {
    sim = await KubeApiSimulator.start({
      seed: true,
      tokens: { 'viewer-token': { name: 'viewer', groups: ['viewers'] } },
    });
    admin = sim.adminCertificate;
  });
  afterAll(() => sim.close());

  it('listens on 127.0.0.1 with a random port and its own CA', () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.caPem).toContain('BEGIN CERTIFICATE');
  });

  it('issues certificates a TLS verifier accepts: CA-signed, serverAuth for 127.0.0.1, CN/O for clients', async () => {
    const { X509Certificate } = await import('node:crypto');
    const ca = new X509Certificate(sim.caPem);
    const client = new X509Certificate((await sim.issueClientCertificate('carol', ['a', 'b'])).certPem);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(client.checkIssued(ca)).toBe(true);
    expect(client.subject.split('\n')).toEqual(['O=a', 'O=b', 'CN=carol']);
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(ca.ca).toBe(true);
    expect(client.ca).toBe(false);
  });

  it('answers an anonymous request with 401 and an Unauthorized Status', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/pods');
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('refuses an unknown bearer token even when nothing else is wrong', async () => {
    const answer = await call(sim, '/version', { headers: { authorization: 'Bearer nope' } });
    expect(answer.status).toBe(401);
  });

  it('serves HTTP/1.1 and HTTP/2 on the same port, chosen by ALPN', async () => {
    const h1 = await call(sim, '/version', { cert: admin });
    const h2 = await callH2(sim, '/version', { cert: admin });
    expect(h1.json().gitVersion).toBe('v1.33.1');
    expect(h2.json().gitVersion).toBe('v1.33.1');
    const protocols = sim.requests
      .filter((r) => r.path === '/version' && r.status === 200)
      .map((r) => r.protocol);
    expect(protocols).toEqual(expect.arrayContaining(['http/1.1', 'h2']));
  });

  it('maps a client certificate to CN user and O groups', async () => {
    const cert = await sim.issueClientCertificate('alice', ['devs', 'ops']);
    const answer = await call(sim, '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      method: 'POST',
      cert,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1' }),
    });
    expect(answer.status).toBe(201);
    expect(answer.json().status.userInfo).toEqual({
      username: 'alice',
      groups: ['devs', 'ops', 'system:authenticated'],
    });
  });

  it('maps a configured bearer token to its user', async () => {
    const answer = await call(sim, '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      method: 'POST',
      headers: { authorization: 'Bearer viewer-token', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(answer.json().status.userInfo.username).toBe('viewer');
  });

  it('writes token kubeconfigs that kubectl uses', async () => {
    sim.addToken('tok-bob', { name: 'bob', groups: ['qa'] });
    const kubeconfig = await sim.kubeconfig({ token: 'tok-bob' });
    const result = await runKubectl('1.33', ['auth', 'whoami', '-o', 'json'], {
      kubeconfig: kubeconfig.path,
    });
    expect(JSON.parse(result.stdout).status.userInfo).toEqual({
      username: 'bob',
      groups: ['qa', 'system:authenticated'],
    });
    const seen = sim.requests.at(-1)!;
    expect(seen.authenticatedUser?.name).toBe('bob');
    // The token itself is not kept in the record.
    expect(seen.headers.authorization).toBe('Bearer <redacted>');
  });

  it('keeps at most maxRecordedRequests requests', async () => {
    const small = await KubeApiSimulator.start({ maxRecordedRequests: 2 });
    try {
      for (const path of ['/version', '/healthz', '/livez'])
        await call(small, path, { cert: small.adminCertificate });
      expect(small.requests.map((r) => r.path)).toEqual(['/healthz', '/livez']);
    } finally {
      await small.close();
    }
  });

  it('answers pods/exec without an Upgrade header with 400, as the API server does', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=true', {
      method: 'POST',
      cert: admin,
    });
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ reason: 'BadRequest', message: 'Upgrade request required' });
  });

  it('answers an upgrade for a missing pod with a 404 Status before any protocol switch', async () => {
    const text = await rawRequest(
      sim,
      [
        'POST /api/v1/namespaces/default/pods/nope/exec?command=ls&stdout=true HTTP/1.1',
        'Host: 127.0.0.1',
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        'X-Stream-Protocol-Version: v4.channel.k8s.io',
        'Content-Length: 0',
      ],
      admin,
    );
    expect(text).toMatch(/^HTTP\/1\.1 404/);
    expect(text).toContain('pods \\"nope\\" not found');
  });

  it('refuses an upgrade from an anonymous client with 401', async () => {
    const text = await rawRequest(sim, [
      'POST /api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=true HTTP/1.1',
      'Host: 127.0.0.1',
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      'Content-Length: 0',
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 401/);
  });

  it('refuses an upgrade the user may not open with a 403 Status naming the subresource', async () => {
    const cert = await sim.issueClientCertificate('mallory');
    const text = await rawRequest(
      sim,
      [
        'GET /api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=true HTTP/1.1',
        'Host: 127.0.0.1',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol: v5.channel.k8s.io',
      ],
      cert,
    );
    expect(text).toMatch(/^HTTP\/1\.1 403/);
    expect(text).toContain('cannot get resource \\"pods/exec\\"');
  });

  it('hands an authorized upgrade for an existing pod to the streams module and records it', async () => {
    sim.clearRequests();
    await rawRequest(
      sim,
      [
        'POST /api/v1/namespaces/default/pods/web-0/exec?command=ls&stdout=true HTTP/1.1',
        'Host: 127.0.0.1',
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        'X-Stream-Protocol-Version: v4.channel.k8s.io',
        'Content-Length: 0',
      ],
      admin,
    );
    const recorded = await sim.waitForRequest((r) => r.path.endsWith('/exec'));
    expect(recorded).toMatchObject({
      upgrade: true,
      method: 'POST',
      verb: 'create',
      user: { name: 'kubernetes-admin' },
    });
    expect(recorded.status).not.toBe(404);
  });

  it('close() is idempotent and ends every connection', async () => {
    const other = await KubeApiSimulator.start();
    await Promise.all([other.close(), other.close()]);
    await expect(call(other, '/version', { cert: other.adminCertificate })).rejects.toThrow();
    expect(() =>
      other.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } }),
    ).toThrow(expect.objectContaining({ code: 'RMT_TESTKIT_CLOSED' }));
  });
});

describe('kubectlPath', () => {
  it('finds a versioned kubectl beside the kubectl on PATH', () => {
    expect(kubectlPath('1.30')).toMatch(/\/kubectl\.1\.30$/);
  });

  it('fails with RMT_TESTKIT_KUBECTL_NOT_FOUND for a version that is not installed', () => {
    let error: unknown;
    try {
      kubectlPath('1.99');
    } catch (e) {
      error = e;
    }
    expect(RemotelerError.hasCode(error, 'RMT_TESTKIT_KUBECTL_NOT_FOUND')).toBe(true);
  });
});
