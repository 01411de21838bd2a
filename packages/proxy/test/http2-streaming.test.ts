import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeApiSimulator } from '@remoteler/testkit';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxy, MemoryClusterRegistry, type RemotelerProxy } from '../src/index.js';
import {
  Http2StreamingClient,
  poolRequester,
  type StreamingRequester,
} from '../src/upstream/h2-streaming-client.js';
import { proxyRequest } from './support/proxy-client.js';
import { role, roleAccess } from './support/roles.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

// Watches and `logs -f` stay open for minutes; over HTTP/1.1 each holds its own TLS connection to
// the API server. Over HTTP/2 they share one, which is what the API server offers (ALPN h2). The
// groups must still arrive as separate Impersonate-Group fields (k8s-protocols §10.1).

const TOKEN = 'proxy-own-token';
let sim: KubeApiSimulator;

beforeAll(async () => {
  sim = await KubeApiSimulator.start({ seed: true, tokens: { [TOKEN]: { name: 'remoteler-proxy' } } });
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('devs-view', 'view', { kind: 'Group', name: 'developers' });
});

afterAll(async () => {
  await sim?.close();
});

function unusedFallback(): StreamingRequester & { calls: number } {
  const fallback = {
    calls: 0,
    async request(): Promise<never> {
      fallback.calls += 1;
      throw new Error('the HTTP/1.1 fallback was not expected');
    },
    async close() {},
    async destroy() {},
  };
  return fallback;
}

const watchHeaders = {
  authorization: `Bearer ${TOKEN}`,
  'impersonate-user': 'alice',
  'impersonate-group': ['developers', 'system:authenticated'],
  accept: 'application/json',
  connection: 'keep-alive',
};

describe('the HTTP/2 streaming client', () => {
  it('carries twenty concurrent watches over one connection, each group in its own field', async () => {
    const fallback = unusedFallback();
    const client = new Http2StreamingClient({ origin: sim.url, tls: { ca: sim.caPem }, fallback });
    try {
      const before = sim.requests.length;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          client.request({
            method: 'GET',
            path: '/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1',
            headers: watchHeaders,
          }),
        ),
      );
      expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
      // Each watch ends by itself after timeoutSeconds.
      await Promise.all(answers.map((a) => a.body.resume().toArray()));
      expect(client.sessionsOpened).toBe(1);
      expect(fallback.calls).toBe(0);
      const watches = sim.requests.slice(before).filter((r) => r.query.watch?.[0] === 'true');
      expect(watches).toHaveLength(20);
      for (const request of watches) {
        expect(request.protocol).toBe('h2');
        expect(request.impersonation?.groups).toEqual(['developers', 'system:authenticated']);
        expect(request.user).toMatchObject({ name: 'alice' });
      }
    } finally {
      await client.destroy();
    }
  });

  it('cancels one stream when its signal aborts, leaving the others open', async () => {
    const client = new Http2StreamingClient({
      origin: sim.url,
      tls: { ca: sim.caPem },
      fallback: unusedFallback(),
    });
    try {
      const controller = new AbortController();
      const path = '/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=30';
      const kept = await client.request({ method: 'GET', path, headers: watchHeaders });
      const cancelled = await client.request({
        method: 'GET',
        path,
        headers: watchHeaders,
        signal: controller.signal,
      });
      const closed = new Promise((resolve) => cancelled.body.once('close', resolve));
      cancelled.body.on('error', () => {});
      controller.abort();
      await closed;
      expect(kept.body.destroyed).toBe(false);
      // A pod created now still reaches the watch that was kept.
      let received = '';
      const event = new Promise<void>((resolve) =>
        kept.body.on('data', (chunk: Buffer) => {
          received += chunk.toString();
          if (received.includes('h2-probe')) resolve();
        }),
      );
      sim.createObject({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'h2-probe', namespace: 'default' },
        spec: { containers: [{ name: 'main', image: 'busybox' }] },
      });
      await event;
      expect(received).toContain('"type":"ADDED"');
    } finally {
      await client.destroy();
    }
  });

  it('uses the HTTP/1.1 fallback when the server does not offer h2', async () => {
    const pki: TestPki = await createTestPki();
    const server: Server = createServer({ cert: pki.apiServer.cert, key: pki.apiServer.key }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"Status"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pool = new Pool(origin, { connect: { ca: pki.clusterCa.cert } });
    const fallback = poolRequester(pool);
    const client = new Http2StreamingClient({ origin, tls: { ca: pki.clusterCa.cert }, fallback });
    try {
      const answer = await client.request({ method: 'GET', path: '/api?watch=true', headers: {} });
      expect(answer.statusCode).toBe(200);
      expect(Buffer.concat(await answer.body.toArray()).toString()).toBe('{"kind":"Status"}');
      expect(client.sessionsOpened).toBe(0);
    } finally {
      await client.destroy();
      await new Promise((resolve) => server.close(resolve));
      await pki.dispose();
    }
  });
});

describe('watches through the Proxy', () => {
  let pki: TestPki;
  let alice: Pem;
  let proxy: RemotelerProxy;
  let url: string;

  beforeAll(async () => {
    pki = await createTestPki();
    alice = await pki.user('alice', { pin: 'dev' });
    proxy = createProxy({
      tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
      identityDecoder: pki.decoder,
      access: roleAccess(() => [
        role('developer', {
          kubernetes_labels: { '*': '*' },
          kubernetes_groups: ['developers'],
          kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }],
        }),
      ]),
      clusters: new MemoryClusterRegistry([
        {
          name: 'dev',
          labels: {},
          upstream: { kind: 'token', server: sim.url, token: TOKEN, ca: sim.caPem },
        },
      ]),
      checkImpersonation: false,
      closeTimeoutMs: 2_000,
    });
    url = `https://127.0.0.1:${(await proxy.listen()).port}`;
  });

  afterAll(async () => {
    await proxy?.close();
    await pki?.dispose();
  });

  it('reach the API server over HTTP/2 with the impersonated user and groups, while plain requests stay on HTTP/1.1', async () => {
    const before = sim.requests.length;
    const watch = await proxyRequest(
      url,
      '/k8s/dev/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1',
      pki.proxyTrust,
      {
        identity: alice,
      },
    );
    expect(watch.status).toBe(200);
    const list = await proxyRequest(url, '/k8s/dev/api/v1/namespaces/default/pods', pki.proxyTrust, {
      identity: alice,
    });
    expect(list.status).toBe(200);
    const seen = sim.requests.slice(before).filter((r) => r.path === '/api/v1/namespaces/default/pods');
    const [watched, listed] = [seen.find((r) => r.query.watch), seen.find((r) => !r.query.watch)];
    expect(watched?.protocol).toBe('h2');
    expect(watched?.impersonation).toMatchObject({
      user: 'alice',
      groups: ['developers', 'system:authenticated'],
    });
    expect(listed?.protocol).toBe('http/1.1');
  });
});
