import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isLongRunning } from '../src/index.js';
import { proxyRequest } from './support/proxy-client.js';
import { PROXY_UPSTREAM_TOKEN, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;
const audits: Record<string, unknown>[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  fixture = await startProxyFixture(pki, {
    clusters: ['dev', 'down'],
    proxy: { onAudit: (event) => audits.push({ ...event }) },
  });
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const upstream = () => fixture.upstreams.dev!;

/** Opens a streaming GET through the Proxy and hands back the live response. */
function openStream(path: string): Promise<{ res: IncomingMessage; close: () => void }> {
  const url = new URL(fixture.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        ca: pki.proxyTrust,
        cert: alice.cert,
        key: alice.key,
        agent: false,
      },
      (res) => resolve({ res, close: () => req.destroy() }),
    );
    req.on('error', reject);
    req.end();
  });
}

function nextChunk(res: IncomingMessage): Promise<string> {
  return once(res, 'data').then(([chunk]) => String(chunk));
}

describe('forwarding', () => {
  it('relays a request body upstream and the status, headers and body back, without hop-by-hop headers', async () => {
    upstream().handle((_req, res, recorded) => {
      const body = JSON.stringify({ kind: 'Pod', received: JSON.parse(recorded.body) });
      res.writeHead(201, {
        'content-type': 'application/json',
        'audit-id': 'a1',
        'keep-alive': 'timeout=5',
        connection: 'keep-alive, x-upstream-private',
        'x-upstream-private': 'secret',
        warning: '299 - "deprecated"',
      });
      res.end(body);
    });
    const manifest = JSON.stringify({ kind: 'Pod', metadata: { name: 'web-0' } });
    const res = await proxyRequest(
      fixture.url,
      '/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply',
      pki.proxyTrust,
      {
        identity: alice,
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: manifest,
      },
    );
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ kind: 'Pod', received: { kind: 'Pod', metadata: { name: 'web-0' } } });
    expect(res.headers['audit-id']).toBe('a1');
    expect(res.headers.warning).toBe('299 - "deprecated"');
    expect(res.headers['x-upstream-private']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    const seen = upstream().requests.at(-1)!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply');
    expect(seen.header('content-type')).toEqual(['application/json']);
    expect(seen.header('content-length')).toEqual([String(Buffer.byteLength(manifest))]);
  });

  it('relays gzip-encoded answers untouched (kubectl sends Accept-Encoding: gzip)', async () => {
    const { gzipSync } = await import('node:zlib');
    const compressed = gzipSync(JSON.stringify({ kind: 'PodList', items: [] }));
    upstream().handle((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': compressed.length,
      });
      res.end(compressed);
    });
    const url = new URL(fixture.url);
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/api/v1/pods',
          headers: { 'accept-encoding': 'gzip' },
          ca: pki.proxyTrust,
          cert: alice.cert,
          key: alice.key,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body.equals(compressed)).toBe(true);
    expect(upstream().requests.at(-1)!.header('accept-encoding')).toEqual(['gzip']);
  });

  it('streams a watch event by event while the upstream keeps the response open', async () => {
    let upstreamRes: ServerResponse | undefined;
    const started = new Promise<void>((resolve) => {
      upstream().handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        upstreamRes = res;
        resolve();
      });
    });
    const { res, close } = await openStream(
      '/api/v1/namespaces/default/pods?resourceVersion=1000&watch=true',
    );
    await started;
    expect(res.statusCode).toBe(200);
    const first = nextChunk(res);
    upstreamRes!.write('{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"web-0"}}}\n');
    expect(await first).toContain('"ADDED"');
    const second = nextChunk(res);
    upstreamRes!.write('{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"web-0"}}}\n');
    expect(await second).toContain('"MODIFIED"');
    const ended = once(res, 'end');
    upstreamRes!.end();
    await ended;
    close();
  });

  it.each([
    ['a watch', '/api/v1/pods?watch=1', '{"type":"ADDED","object":{}}\n'],
    ['an ordinary request in the middle of its answer', '/api/v1/pods', '{"kind":"PodList","items":['],
  ])('aborts the upstream request when the client goes away during %s', async (_kind, path, firstPart) => {
    let upstreamReq: IncomingMessage | undefined;
    const started = new Promise<void>((resolve) => {
      upstream().handle((req, res) => {
        upstreamReq = req;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(firstPart);
        resolve();
      });
    });
    const { res, close } = await openStream(path);
    await started;
    await nextChunk(res);
    const upstreamClosed = once(upstreamReq!.socket, 'close');
    close();
    await upstreamClosed;
    expect(upstreamReq!.socket.destroyed).toBe(true);
  });

  it('answers 503 with a Status when the API server cannot be reached', async () => {
    await fixture.upstreams.down!.close();
    const res = await proxyRequest(fixture.url, '/k8s/down/api', pki.proxyTrust, {
      identity: await pki.user('alice'),
    });
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    expect(res.json().message).toContain('RMT_PROXY_UPSTREAM_UNAVAILABLE');
  });

  it('reports each exchange to the audit hook, refusals included, without secrets', async () => {
    audits.length = 0;
    upstream().handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await proxyRequest(fixture.url, '/api/v1/pods?limit=500', pki.proxyTrust, { identity: alice });
    await proxyRequest(fixture.url, '/k8s/dev/../prod/api', pki.proxyTrust, { identity: alice });
    await proxyRequest(fixture.url, '/api', pki.proxyTrust, {});
    await proxyRequest(fixture.url, '/api/v1/namespaces/team-a/pods?watch=true', pki.proxyTrust, {
      identity: alice,
    });
    expect(audits).toHaveLength(4);
    expect(audits[0]).toMatchObject({
      kind: 'request',
      httpVersion: '1.1',
      method: 'GET',
      path: '/api/v1/pods',
      username: 'alice',
      cluster: 'dev',
      kubernetesUser: 'alice',
      kubernetesGroups: ['developers', 'system:authenticated'],
      status: 200,
      verb: 'list',
      resource: 'pods',
    });
    // The verb is the Kubernetes one: a watch is not a list, whatever the HTTP method.
    expect(audits[3]).toMatchObject({ verb: 'watch', resource: 'pods', namespace: 'team-a' });
    expect(audits[0]).not.toHaveProperty('namespace');
    expect(audits[1]).toMatchObject({ username: 'alice', status: 400, errorCode: 'RMT_PROXY_PATH_INVALID' });
    expect(audits[2]).toMatchObject({ status: 401, errorCode: 'RMT_PROXY_UNAUTHENTICATED' });
    expect(JSON.stringify(audits)).not.toContain(PROXY_UPSTREAM_TOKEN);
  });
});

describe('ordinary requests (not watches)', () => {
  /** Reads a response to its end and says whether it ended cleanly or was cut. */
  function readAll(res: IncomingMessage): Promise<{ body: Buffer; complete: boolean }> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ body: Buffer.concat(chunks), complete: res.complete }));
      res.on('error', () => resolve({ body: Buffer.concat(chunks), complete: false }));
    });
  }

  it('passes an answer of unknown length on as it arrives: a large list is never held whole', async () => {
    let upstreamRes: ServerResponse | undefined;
    const started = new Promise<void>((resolve) => {
      upstream().handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"kind":"PodList","items":[${'{"kind":"Pod"},'.repeat(10_000)}`);
        upstreamRes = res;
        resolve();
      });
    });
    const { res, close } = await openStream('/api/v1/pods?limit=500');
    await started;
    // The first part reaches the client while the API server is still answering.
    expect(await nextChunk(res)).toContain('"PodList"');
    const rest = readAll(res);
    upstreamRes!.end('{"kind":"Pod"}]}');
    const { body, complete } = await rest;
    expect(complete).toBe(true);
    expect(body.toString().endsWith('{"kind":"Pod"}]}')).toBe(true);
    close();
  });

  it('relays answers of known length, small and large, byte for byte with their length', async () => {
    for (const size of [900, 3 * 1024 * 1024 + 7]) {
      const payload = Buffer.alloc(size, 'k');
      upstream().handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
        res.end(payload);
      });
      const { res, close } = await openStream('/api/v1/namespaces/default/configmaps/big');
      expect(res.headers['content-length']).toBe(String(size));
      const { body, complete } = await readAll(res);
      expect(complete).toBe(true);
      expect(body.equals(payload)).toBe(true);
      close();
    }
  });

  it('cuts the client connection when the API server breaks off an answer it had started', async () => {
    upstream().handle((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":"PodList","items":[', () => req.socket.destroy());
    });
    const { res, close } = await openStream('/api/v1/pods');
    const { body, complete } = await readAll(res);
    // Never a clean end: kubectl must not take half a list for a whole one.
    expect(complete).toBe(false);
    expect(body.toString()).toBe('{"kind":"PodList","items":[');
    close();
  });

  it('answers 503 with a Status when the API server drops the connection before answering', async () => {
    upstream().handle((req) => req.socket.destroy());
    const res = await proxyRequest(fixture.url, '/api/v1/namespaces/default/pods', pki.proxyTrust, {
      identity: alice,
    });
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ kind: 'Status', code: 503 });
    expect(res.json().message).toContain('RMT_PROXY_UPSTREAM_UNAVAILABLE');
  });

  describe('an API server answer with ambiguous framing (response desync)', () => {
    // Raw bytes straight onto the upstream's TLS socket, as a broken or hostile server would send them.
    const rawAnswer = (bytes: string) =>
      upstream().handle((_req, res) => {
        res.socket?.write(bytes, 'latin1');
      });

    it.each([
      [
        'both Transfer-Encoding and Content-Length',
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
      [
        'two different Content-Length values',
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\nok',
      ],
      [
        'a transfer coding other than chunked',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      ],
      ['a folded header line', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n  continued\r\n\r\nok'],
      ['a bare line feed', 'HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok'],
    ])('answers 502 and passes nothing on when the answer has %s', async (_case, bytes) => {
      rawAnswer(bytes);
      const res = await proxyRequest(fixture.url, '/api/v1/namespaces/default/pods', pki.proxyTrust, {
        identity: alice,
      });
      expect(res.status).toBe(502);
      expect(res.json()).toMatchObject({ kind: 'Status', code: 502 });
      expect(res.json().message).toContain('RMT_PROXY_UPSTREAM_RESPONSE_INVALID');
      expect(res.text).not.toContain('ok');
    });

    it('never hands a response smuggled after a complete answer to the next request', async () => {
      const legit = '{"kind":"Legit"}';
      const smuggled = '{"kind":"Smuggled"}';
      let first = true;
      upstream().handle((_req, res, recorded) => {
        if (first) {
          first = false;
          // One write: the answer, then a second answer nobody asked for.
          res.socket?.write(
            `HTTP/1.1 200 OK\r\nContent-Length: ${legit.length}\r\n\r\n${legit}` +
              `HTTP/1.1 200 OK\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
            'latin1',
          );
          return;
        }
        const body = JSON.stringify({ kind: 'Echo', path: recorded.url });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      const one = await proxyRequest(fixture.url, '/api/v1/namespaces/default/pods/one', pki.proxyTrust, {
        identity: alice,
      });
      expect(one.text).toBe(legit);
      const two = await proxyRequest(fixture.url, '/api/v1/namespaces/default/pods/two', pki.proxyTrust, {
        identity: alice,
      });
      expect(two.status).toBe(200);
      expect(two.json()).toEqual({ kind: 'Echo', path: '/api/v1/namespaces/default/pods/two' });
    });
  });

  it('stops reading from the API server while the client reads nothing (backpressure)', async () => {
    const total = 256 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 'x');
    let written = 0;
    let waitingForDrain = false;
    let upstreamFinished = false;
    upstream().handle(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      while (written < total) {
        written += chunk.length;
        if (!res.write(chunk)) {
          waitingForDrain = true;
          await once(res, 'drain');
          waitingForDrain = false;
        }
      }
      res.end();
      upstreamFinished = true;
    });
    const { res, close } = await openStream('/api/v1/namespaces/default/configmaps/huge');
    res.pause();
    // The API server stalls: blocked on a full connection, and nothing more written for a while.
    // (Only the absence of progress shows backpressure; without it the Proxy would keep draining
    // the API server into its own memory and this never settles.)
    let last = -1;
    await vi.waitFor(
      () => {
        const stalled = waitingForDrain && written === last;
        last = written;
        expect(stalled).toBe(true);
      },
      { timeout: 20_000, interval: 300 },
    );
    expect(upstreamFinished).toBe(false);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    close();
  });
});

describe('long-running requests', () => {
  it.each([
    ['/api/v1/pods', 'watch=true', true],
    ['/api/v1/pods', 'watch=1', true],
    ['/api/v1/pods', 'watch=false', false],
    ['/api/v1/namespaces/default/pods/web-0/log', 'follow=true&container=app', true],
    ['/api/v1/watch/namespaces/default/pods', '', true],
    ['/apis/apps/v1/watch/deployments', '', true],
    ['/api/v1/pods', 'limit=500', false],
  ])('classifies %s?%s as long-running: %s', (path, query, expected) => {
    expect(isLongRunning({ clusterName: 'dev', source: 'pin', path, query })).toBe(expected);
  });
});
