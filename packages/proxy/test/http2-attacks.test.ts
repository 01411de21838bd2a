import type { ServerResponse } from 'node:http';
import { type ClientHttp2Session, constants } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from './support/audit-log.js';
import { connectH2, h2Open } from './support/h2-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import type { RecordingUpstream } from './support/recording-upstream.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

// Attacks that only HTTP/2 makes possible (streams a client resets, malformed pseudo-headers,
// trailers, frame-level framing). Each one is refused or contained, and the recording API servers
// prove what did, or did not, reach them.

const BODY_CAP = 1024;

let pki: TestPki;
/** Pinned to `dev`: its requests go to `/…` without a cluster prefix. */
let alice: Pem;
let fixture: ProxyFixture;
let upstream: RecordingUpstream;
const auditLog = createAuditLog();

/** The recording upstream's default answer. */
const echo: Parameters<RecordingUpstream['handle']>[0] = (_req, res, recorded) => {
  const body = JSON.stringify({ kind: 'Echo', path: recorded.url });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice', { pin: 'dev' });
  fixture = await startProxyFixture(pki, {
    clusters: ['dev'],
    proxy: { limits: { maxRequestBodyBytes: BODY_CAP }, onAudit: auditLog.record },
  });
  upstream = fixture.upstreams.dev!;
});

afterAll(async () => {
  await fixture?.close();
  await pki?.dispose();
});

const sessions: ClientHttp2Session[] = [];
async function session(): Promise<ClientHttp2Session> {
  const opened = await connectH2(fixture.url, pki.proxyTrust, { identity: alice });
  sessions.push(opened);
  return opened;
}

afterEach(() => {
  for (const opened of sessions.splice(0)) opened.destroy();
  upstream.handle(echo);
});

/** Whether `emitter` emits `event` within `ms` (absence needs a bound). */
function within(ms: number, emitter: NodeJS.EventEmitter, event: string): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      emitter.off(event, done);
      resolve(false);
    }, ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    emitter.once(event, done);
  });
}

describe('a client that resets its stream (RST_STREAM)', () => {
  // node:http2 ends the writable side of a stream the client resets, so such a response looks
  // finished; the Proxy must still see it as abandoned and stop the upstream request.
  it.each([
    ['before the API server answered', (_res: ServerResponse) => {}],
    [
      'while a large answer streams',
      (res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`[${'"x",'.repeat(200_000)}`);
      },
    ],
  ])('abandons the upstream request %s', async (_when, answer) => {
    const held: ServerResponse[] = [];
    upstream.handle((_req, res) => {
      held.push(res);
      answer(res);
    });
    const arrived = upstream.nextRequest();
    const h2 = await session();
    const slow = h2Open(h2, '/api/v1/namespaces/default/configmaps/slow');
    await arrived;
    slow.stream.close(constants.NGHTTP2_CANCEL);
    await slow.closed;
    expect(await within(2_000, held[0]!, 'close')).toBe(true);
    const event = await auditLog.where((e) => e.path === '/api/v1/namespaces/default/configmaps/slow');
    expect(event.status).not.toBe(200);
    // The session goes on.
    upstream.handle(echo);
    const next = h2Open(h2, '/api/v1/namespaces/default/pods');
    expect((await next.response)[':status']).toBe(200);
  });

  it('closes the upstream watch it resets, and only that one', async () => {
    const watches: ServerResponse[] = [];
    upstream.handle((req, res, recorded) => {
      if (!req.url?.includes('watch=true')) return echo(req, res, recorded);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"kind":"Pod"}}\n');
      watches.push(res);
    });
    const h2 = await session();
    const kept = h2Open(h2, '/api/v1/namespaces/default/pods?watch=true');
    const reset = h2Open(h2, '/api/v1/namespaces/default/configmaps?watch=true');
    await Promise.all([kept.received('"ADDED"'), reset.received('"ADDED"')]);
    const resetUpstream = watches.find((w) => w.req.url?.includes('configmaps'))!;
    const keptUpstream = watches.find((w) => w.req.url?.includes('pods'))!;
    reset.stream.close(constants.NGHTTP2_CANCEL);
    expect(await within(2_000, resetUpstream, 'close')).toBe(true);
    const event = await auditLog.where((e) => e.path === '/api/v1/namespaces/default/configmaps');
    expect(event.verb).toBe('watch');
    keptUpstream.write('{"type":"MODIFIED","object":{"kind":"Pod"}}\n');
    await kept.received('"MODIFIED"');
    expect(keptUpstream.destroyed).toBe(false);
  });
});
