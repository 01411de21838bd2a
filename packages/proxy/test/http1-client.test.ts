import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createSecureContext, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Http1Client,
  Http1ClientError,
  type Http1ClientOptions,
  type Http1Request,
  type Http1ResponseHandler,
} from '../src/upstream/http1/http1-client.js';
import { Http1ProtocolError, type ResponseHeaders } from '../src/upstream/http1/response-parser.js';
import { createTestCa, type Pem, type TestCa } from './support/test-pki.js';

// Everything runs over real TLS on 127.0.0.1: `node:https` servers for well-behaved API servers, and
// a raw `node:tls` server writing canned bytes for the misbehaving ones.

let pkiDir: string;
let ca: TestCa;
/** The API server's certificate (127.0.0.1 and localhost), from `ca`. */
let apiServerPem: Pem;
/** A certificate for the same names from a CA the client does not trust. */
let strangerPem: Pem;

beforeAll(async () => {
  pkiDir = await mkdtemp(join(tmpdir(), 'remoteler-http1-client-'));
  ca = await createTestCa(pkiDir, 'api-ca');
  apiServerPem = await ca.issue({ subject: '/CN=kube-apiserver', usage: 'server' });
  const stranger = await createTestCa(pkiDir, 'stranger-ca');
  strangerPem = await stranger.issue({ subject: '/CN=kube-apiserver', usage: 'server' });
});

afterAll(async () => {
  await rm(pkiDir, { recursive: true, force: true });
});

/** Undone in reverse order after each test: clients first, then servers. */
const cleanups: (() => unknown)[] = [];
/** Handler contract breaches seen by {@link send} (a second end, data after the end…). */
const breaches: string[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  expect(breaches.splice(0)).toEqual([]);
});

/** What a test server saw: raw TCP connections (TLS ones once secured) and their sockets. */
interface ServerView {
  readonly port: number;
  /** Every TCP connection accepted, handshake or not. */
  readonly connections: Socket[];
  /** Every connection that completed its TLS handshake, in order. */
  readonly sockets: TLSSocket[];
}

async function listen(server: Server, view: { connections: Socket[] }): Promise<number> {
  server.on('connection', (socket: Socket) => view.connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of view.connections) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

/** A well-behaved HTTPS server (Node's own HTTP/1.1 implementation) answering with `handler`. */
async function httpsServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  pem: Pem = apiServerPem,
): Promise<ServerView> {
  const server = createHttpsServer({ cert: pem.cert, key: pem.key, keepAliveTimeout: 60_000 }, handler);
  const view = { connections: [] as Socket[], sockets: [] as TLSSocket[] };
  server.on('secureConnection', (socket: TLSSocket) => view.sockets.push(socket));
  server.on('tlsClientError', () => {});
  const port = await listen(server, view);
  return { port, ...view };
}

/** One request as the raw server read it. */
interface RawRequest {
  /** 1 for the server's first connection, and so on. */
  readonly connection: number;
  /** 1 for the first request on its connection, and so on. */
  readonly index: number;
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/**
 * A TLS server that reads requests (heads and Content-Length bodies) and lets `answer` write
 * whatever bytes it likes: the misbehaving API server.
 */
async function rawServer(
  answer: (request: RawRequest, socket: TLSSocket) => void,
): Promise<ServerView & { requests: RawRequest[] }> {
  const requests: RawRequest[] = [];
  const view = { connections: [] as Socket[], sockets: [] as TLSSocket[] };
  const server = createTlsServer({ cert: apiServerPem.cert, key: apiServerPem.key }, (socket) => {
    const connection = view.sockets.push(socket);
    let buffered = Buffer.alloc(0);
    let index = 0;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const [method = '', path = ''] = head.split(' ');
        const body = buffered.toString('latin1', end + 4, end + 4 + length);
        buffered = buffered.subarray(end + 4 + length);
        index += 1;
        const request = { connection, index, method, path, body };
        requests.push(request);
        answer(request, socket);
      }
    });
  });
  server.on('tlsClientError', () => {});
  const port = await listen(server, view);
  return { port, ...view, requests };
}

/** A complete answer with a Content-Length body. */
function answerWith(body: string, status = '200 OK'): string {
  return `HTTP/1.1 ${status}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function clientFor(port: number, options: Partial<Http1ClientOptions> = {}): Http1Client {
  const client = new Http1Client({
    origin: `https://127.0.0.1:${port}`,
    secureContext: createSecureContext({ ca: ca.cert }),
    servername: 'localhost',
    ...options,
  });
  cleanups.push(() => client.destroy());
  return client;
}

interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ResponseHeaders;
  readonly body: Buffer;
  readonly trailers: ResponseHeaders;
}

type RequestInit = Partial<Http1Request> & Pick<Http1Request, 'path'>;

function withDefaults(request: RequestInit): Http1Request {
  return { method: 'GET', headers: {}, body: null, ...request };
}

/**
 * Sends `request` and settles with its whole answer, or rejects with what `onResponseError` got.
 * `observe` sees every callback too (to pause, resume or abort). Checks the handler contract: one
 * start at most, data only after it, then exactly one end or error.
 */
function send(client: Http1Client, request: RequestInit, observe: Partial<Http1ResponseHandler> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    let start: Pick<Answer, 'status' | 'statusText' | 'headers'> | undefined;
    let settled = false;
    const chunks: Buffer[] = [];
    const breach = (what: string) => breaches.push(`${request.path}: ${what}`);
    client.request(withDefaults(request), {
      onResponseStart(control, status, headers, statusText) {
        if (settled || start) breach('a second start or a start after the end');
        start = { status, statusText, headers };
        observe.onResponseStart?.(control, status, headers, statusText);
      },
      onResponseData(control, chunk) {
        if (settled || !start) breach('data outside the answer');
        chunks.push(Buffer.from(chunk));
        observe.onResponseData?.(control, chunk);
      },
      onResponseEnd(control, trailers) {
        if (settled || !start) breach('an end without a start or after the end');
        settled = true;
        observe.onResponseEnd?.(control, trailers);
        if (start) resolve({ ...start, body: Buffer.concat(chunks), trailers });
      },
      onResponseError(control, error) {
        if (settled) breach(`an error after the end (${error.message})`);
        settled = true;
        observe.onResponseError?.(control, error);
        reject(error);
      },
    });
  });
}

/** Settles when `socket` is closed (at once if it is already). */
function closed(socket: Socket): Promise<unknown> {
  return socket.closed ? Promise.resolve() : once(socket, 'close');
}

/** A body of `total` bytes made on demand in 64 KiB pieces, byte `i` being `i % 251`. */
function patternBody(total: number): Readable & { produced: () => number } {
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(64 * 1024, total - produced);
      this.push(pattern(produced, size));
      produced += size;
    },
  });
  return Object.assign(stream, { produced: () => produced });
}

function pattern(offset: number, size: number): Buffer {
  const piece = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) piece[i] = (offset + i) % 251;
  return piece;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A promise with its resolve function outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('Http1Client connections', () => {
  it('carries sequential requests over one kept-alive connection', async () => {
    let served = 0;
    const server = await httpsServer((_req, res) => res.end(`answer ${++served}`));
    const client = clientFor(server.port);
    for (const expected of ['answer 1', 'answer 2', 'answer 3']) {
      const answer = await send(client, { path: '/api/v1/namespaces' });
      expect(answer.body.toString()).toBe(expected);
      expect(client.connectionCount).toBe(1);
    }
    expect(server.connections).toHaveLength(1);
  });

  it('reuses the most recently released idle connection first', async () => {
    const held = new Map<string, ServerResponse>();
    const bothIn = deferred();
    const sockets = new Map<string, unknown>();
    const server = await httpsServer((req, res) => {
      sockets.set(req.url as string, req.socket);
      if (req.url === '/next') return res.end('next');
      held.set(req.url as string, res);
      if (held.size === 2) bothIn.resolve();
    });
    const client = clientFor(server.port);
    const a = send(client, { path: '/a' });
    const b = send(client, { path: '/b' });
    await bothIn.promise;
    held.get('/a')?.end('a');
    await a;
    held.get('/b')?.end('b');
    await b;
    await send(client, { path: '/next' });
    expect(sockets.get('/next')).toBe(sockets.get('/b'));
    expect(sockets.get('/next')).not.toBe(sockets.get('/a'));
  });

  it('opens one connection per concurrent request, and reuses them afterwards', async () => {
    const waiting: ServerResponse[] = [];
    const server = await httpsServer((req, res) => {
      if (req.url === '/later') return res.end('later');
      // Answers only once all three are in: each must have a connection of its own.
      waiting.push(res);
      if (waiting.length === 3) for (const [i, held] of waiting.entries()) held.end(`held ${i}`);
    });
    const client = clientFor(server.port);
    const answers = await Promise.all([1, 2, 3].map(() => send(client, { path: '/held' })));
    expect(answers.map((answer) => answer.body.toString()).sort()).toEqual(['held 0', 'held 1', 'held 2']);
    expect(client.connectionCount).toBe(3);
    expect(server.sockets).toHaveLength(3);

    expect((await send(client, { path: '/later' })).body.toString()).toBe('later');
    expect(server.connections).toHaveLength(3);
  });
});

describe('Http1Client request heads', () => {
  it('carries exactly the given fields, one field line per array value, after host', async () => {
    let seen: IncomingMessage | undefined;
    const server = await httpsServer((req, res) => {
      seen = req;
      res.end();
    });
    const client = clientFor(server.port);
    // A principal as Node's HTTP server passes it on: its UTF-8 bytes, one latin1 character each.
    const team = Buffer.from('équipe', 'utf8').toString('latin1');
    await send(client, {
      path: '/api/v1/namespaces/default/pods?limit=500',
      headers: {
        accept: 'application/json',
        'impersonate-user': 'alice',
        'impersonate-group': ['system:authenticated', 'developers'],
        'impersonate-extra-team': team,
        'user-agent': 'kubectl/v1.31.0',
      },
    });
    expect(seen?.method).toBe('GET');
    expect(seen?.url).toBe('/api/v1/namespaces/default/pods?limit=500');
    expect(seen?.httpVersion).toBe('1.1');
    expect(seen?.rawHeaders).toEqual([
      'host',
      `127.0.0.1:${server.port}`,
      'accept',
      'application/json',
      'impersonate-user',
      'alice',
      'impersonate-group',
      'system:authenticated',
      'impersonate-group',
      'developers',
      'impersonate-extra-team',
      team,
      'user-agent',
      'kubectl/v1.31.0',
    ]);
  });
});

/** An HTTPS server that answers each request with what it received, as JSON. */
async function echoServer(): Promise<ServerView> {
  return httpsServer(async (req, res) => {
    const body = Buffer.concat(await req.toArray());
    res.end(
      JSON.stringify({
        method: req.method,
        rawHeaders: req.rawHeaders,
        length: body.length,
        sha256: sha256(body),
        text: body.length < 1024 ? body.toString() : '',
      }),
    );
  });
}

describe('Http1Client request bodies', () => {
  it('sends a body with its Content-Length intact', async () => {
    const server = await echoServer();
    const client = clientFor(server.port);
    const body = '{"kind":"ConfigMap","data":{"a":"ü"}}';
    const answer = await send(client, {
      method: 'POST',
      path: '/api/v1/namespaces/default/configmaps',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body: Readable.from([Buffer.from(body.slice(0, 10)), Buffer.from(body.slice(10))]),
    });
    const echoed = JSON.parse(answer.body.toString());
    expect(echoed.text).toBe(body);
    expect(echoed.rawHeaders).toEqual([
      'host',
      `127.0.0.1:${server.port}`,
      'content-type',
      'application/json',
      'content-length',
      String(Buffer.byteLength(body)),
    ]);
  });

  it('sends a body without Content-Length chunked and intact (an empty piece does not end it)', async () => {
    const server = await echoServer();
    const client = clientFor(server.port);
    const answer = await send(client, {
      method: 'PATCH',
      path: '/api/v1/namespaces/default/pods/web',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: Readable.from(['{"metadata":', '', '{"labels":{"a":"b"}}}']),
    });
    const echoed = JSON.parse(answer.body.toString());
    expect(echoed.text).toBe('{"metadata":{"labels":{"a":"b"}}}');
    expect(echoed.rawHeaders).toEqual([
      'host',
      `127.0.0.1:${server.port}`,
      'content-type',
      'application/merge-patch+json',
      'transfer-encoding',
      'chunked',
    ]);
  });

  it.each([
    { framing: 'with its Content-Length', withLength: true },
    { framing: 'chunked', withLength: false },
  ])(
    'sends a 16 MiB body $framing intact, pausing the body while the socket is full',
    async ({ withLength }) => {
      const total = 16 * 1024 * 1024;
      const reading = deferred();
      const server = await httpsServer(async (req, res) => {
        await reading.promise;
        const body = Buffer.concat(await req.toArray());
        res.end(
          JSON.stringify({ length: body.length, sha256: sha256(body), te: req.headers['transfer-encoding'] }),
        );
      });
      const client = clientFor(server.port);
      const body = patternBody(total);
      const answer = send(client, {
        method: 'PUT',
        path: '/upload',
        headers: withLength ? { 'content-length': String(total) } : {},
        body,
      });
      // The server reads nothing yet, so the socket fills: the client must pause the body rather than
      // buffer all of it (a client that ignored write()'s answer would reach the body's end first).
      await Promise.race([
        once(body, 'pause'),
        once(body, 'end').then(() => {
          throw new Error('the whole body was taken without a pause');
        }),
      ]);
      reading.resolve();
      const echoed = JSON.parse((await answer).body.toString());
      expect(echoed).toEqual({
        length: total,
        sha256: sha256(pattern(0, total)),
        te: withLength ? undefined : 'chunked',
      });
    },
  );

  it('fails a body shorter than its Content-Length, and the server never sees a complete request', async () => {
    let completed = 0;
    const server = await httpsServer((req, res) => {
      req.on('end', () => {
        completed += 1;
        res.end();
      });
      req.resume();
    });
    const client = clientFor(server.port);
    const failure = send(client, {
      method: 'POST',
      path: '/short',
      headers: { 'content-length': '100' },
      body: Readable.from([Buffer.from('only twenty-two bytes')]),
    });
    await expect(failure).rejects.toMatchObject({
      code: 'UPSTREAM_REQUEST_INVALID',
      message: expect.stringContaining('shorter'),
    });
    await closed(server.connections[0] as Socket);
    expect(completed).toBe(0);
    expect(client.connectionCount).toBe(0);
  });

  it('fails a body longer than its Content-Length without sending the excess', async () => {
    const arrived = deferred();
    const server = await rawServer(() => {
      // Reads the request and never answers: the client must stop on its own.
      arrived.resolve();
    });
    const client = clientFor(server.port);
    const body = new PassThrough();
    body.write('abc');
    const failure = send(client, { method: 'POST', path: '/long', headers: { 'content-length': '3' }, body });
    await arrived.promise;
    body.write('GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n');
    await expect(failure).rejects.toMatchObject({
      code: 'UPSTREAM_REQUEST_INVALID',
      message: expect.stringContaining('longer'),
    });
    await closed(server.connections[0] as Socket);
    expect(server.requests).toEqual([
      { connection: 1, index: 1, method: 'POST', path: '/long', body: 'abc' },
    ]);
  });

  it('fails the request when its body stream fails', async () => {
    const arrived = deferred();
    const server = await httpsServer((req) => {
      req.resume();
      arrived.resolve();
    });
    const client = clientFor(server.port);
    const body = new PassThrough();
    body.write('{"kind":');
    const failure = send(client, { method: 'POST', path: '/failing-body', body });
    await arrived.promise;
    body.destroy(new Error('the client went away'));
    const error = await failure.catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).cause).toMatchObject({ message: 'the client went away' });
    expect(client.connectionCount).toBe(0);
  });
});

interface InvalidCase {
  readonly name: string;
  readonly request: RequestInit;
}

const headSplitting: InvalidCase[] = [
  {
    name: 'CR LF in a header value',
    request: { path: '/', headers: { 'x-note': 'a\r\nimpersonate-user: admin' } },
  },
  {
    name: 'a bare LF in a header value',
    request: { path: '/', headers: { 'x-note': 'a\nimpersonate-user: admin' } },
  },
  { name: 'a bare CR in a header value', request: { path: '/', headers: { 'x-note': 'a\rb' } } },
  { name: 'a NUL in a header value', request: { path: '/', headers: { 'x-note': 'a\0b' } } },
  {
    name: 'CR LF in one value of a repeated field',
    request: { path: '/', headers: { 'impersonate-group': ['developers', 'x\r\nimpersonate-user: admin'] } },
  },
  {
    name: 'characters above 0xFF that latin1 would write as CR LF',
    request: { path: '/', headers: { 'x-note': 'a\u010d\u010aimpersonate-user: admin' } },
  },
  { name: 'a character above 0xFF in a value', request: { path: '/', headers: { 'x-note': 'caf\u0113' } } },
  { name: 'CR LF in the path', request: { path: '/api HTTP/1.1\r\nimpersonate-user: admin\r\nx: y' } },
  { name: 'a space in the path', request: { path: '/api /v1' } },
  { name: 'a character above 0xFF in the path', request: { path: '/api/\u010d\u010a' } },
  { name: 'a path not in origin form', request: { path: 'http://elsewhere.example/api' } },
  { name: 'a method with a space', request: { method: 'GET /admin HTTP/1.1\r\nx:', path: '/' } },
  { name: 'a header name with a space', request: { path: '/', headers: { 'x note': 'a' } } },
  {
    name: 'a header name with a colon',
    request: { path: '/', headers: { 'x-a:impersonate-user': 'admin' } },
  },
  { name: 'a header name with CR LF', request: { path: '/', headers: { 'x\r\nimpersonate-user': 'admin' } } },
  { name: 'an empty header name', request: { path: '/', headers: { '': 'a' } } },
  { name: 'a host field of its own', request: { path: '/', headers: { host: 'elsewhere.example' } } },
  {
    name: 'a transfer-encoding field of its own',
    request: {
      method: 'POST',
      path: '/',
      headers: { 'transfer-encoding': 'chunked' },
      body: Readable.from([]),
    },
  },
  { name: 'a connection field of its own', request: { path: '/', headers: { connection: 'close' } } },
  { name: 'a keep-alive field of its own', request: { path: '/', headers: { 'keep-alive': 'timeout=5' } } },
  { name: 'an upgrade field of its own', request: { path: '/', headers: { upgrade: 'websocket' } } },
  // Framing the server could read differently from the client, which counts the body by it.
  ...[
    { length: '0x10', body: 16 },
    { length: '1e1', body: 10 },
    { length: '+5', body: 5 },
    { length: '', body: 0 },
    { length: '5, 5', body: 5 },
    { length: ['5', '5'], body: 5 },
  ].map(({ length, body }) => ({
    name: `a content-length of ${JSON.stringify(length)}`,
    request: {
      method: 'POST',
      path: '/',
      headers: { 'content-length': length },
      body: Readable.from([Buffer.alloc(body, 'x')]),
    },
  })),
  {
    name: "a content-length over 0 and no body (the next request would be read as this one's body)",
    request: { method: 'POST', path: '/', headers: { 'content-length': '40' }, body: null },
  },
];

describe('Http1Client refuses, before sending a byte, a request with', () => {
  it.each(headSplitting)('$name', async ({ request }) => {
    const seen: string[] = [];
    const server = await httpsServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end();
    });
    const client = clientFor(server.port);
    let thrown: unknown;
    try {
      client.request(withDefaults(request), {
        onResponseStart: () => breaches.push('an answer to a refused request'),
        onResponseData: () => breaches.push('an answer to a refused request'),
        onResponseEnd: () => breaches.push('an answer to a refused request'),
        onResponseError: () => breaches.push('a refused request reported asynchronously'),
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Http1ClientError);
    expect((thrown as Http1ClientError).code).toBe('UPSTREAM_REQUEST_INVALID');
    expect(client.connectionCount).toBe(0);
    // The next request is the first thing the server ever sees.
    await send(client, { path: '/next' });
    expect(seen).toEqual(['GET /next']);
    expect(server.connections).toHaveLength(1);
  });
});

describe('Http1Client answers', () => {
  it.each([
    { framing: 'chunked', withLength: false },
    { framing: 'with a Content-Length', withLength: true },
  ])('passes on a 16 MiB answer ($framing) in order', async ({ withLength }) => {
    const total = 16 * 1024 * 1024;
    const server = await httpsServer(async (_req, res) => {
      if (withLength) res.setHeader('content-length', total);
      for (let offset = 0; offset < total; offset += 64 * 1024)
        if (!res.write(pattern(offset, 64 * 1024))) await once(res, 'drain');
      res.end();
    });
    const client = clientFor(server.port);
    const answer = await send(client, { path: '/big' });
    expect(answer.status).toBe(200);
    expect(answer.headers['transfer-encoding']).toBe(withLength ? undefined : 'chunked');
    expect(answer.body.length).toBe(total);
    expect(answer.body.equals(pattern(0, total))).toBe(true);
    expect(client.connectionCount).toBe(1);
  });

  it('stops reading while paused, so that the server stalls, and reads on after resume()', async () => {
    const total = 32 * 1024 * 1024;
    const piece = 64 * 1024;
    // The server writes as long as the socket takes its bytes; with the client not reading, its own
    // buffer grows past 1 MiB once the kernel buffers are full: that is the stall.
    const stalled = deferred<number>();
    const finished = deferred();
    const server = await httpsServer(async (_req, res) => {
      res.setHeader('content-length', total);
      for (let offset = 0; offset < total; offset += piece) {
        res.write(pattern(offset, piece));
        if (res.writableLength > 1024 * 1024) {
          stalled.resolve(offset + piece);
          await once(res, 'drain');
        } else await new Promise(setImmediate);
      }
      res.end();
      finished.resolve();
    });
    const client = clientFor(server.port);
    let paused = false;
    let dataWhilePaused = 0;
    let control: Parameters<Http1ResponseHandler['onResponseData']>[0] | undefined;
    const answer = send(
      client,
      { path: '/big' },
      {
        onResponseData(active) {
          if (paused) dataWhilePaused += 1;
          if (control === undefined) {
            control = active;
            active.pause();
            paused = true;
          }
        },
      },
    );
    const writtenAtStall = await Promise.race([
      stalled.promise,
      finished.promise.then(() => {
        throw new Error('the server wrote the whole answer to a paused client');
      }),
    ]);
    expect(writtenAtStall).toBeLessThan(total);
    expect(dataWhilePaused).toBe(0);
    paused = false;
    control?.resume();
    const body = (await answer).body;
    expect(body.length).toBe(total);
    expect(body.equals(pattern(0, total))).toBe(true);
  });

  it('reads the next answer on a connection whose last answer ended while paused', async () => {
    // What the ordinary relay does when the client's socket is full at the answer's last piece:
    // pause, and resume on 'drain' — by which time the answer is over and the connection is idle.
    let served = 0;
    const server = await httpsServer((_req, res) => res.end(`answer ${++served}`));
    const client = clientFor(server.port);
    const first = await send(
      client,
      { path: '/first' },
      {
        onResponseData: (control) => control.pause(),
        onResponseEnd: (control) => setImmediate(() => control.resume()),
      },
    );
    expect(first.body.toString()).toBe('answer 1');
    expect((await send(client, { path: '/second' })).body.toString()).toBe('answer 2');
    expect(server.connections).toHaveLength(1);
  });

  it('passes on the answer to HEAD without a body and reuses the connection', async () => {
    const server = await httpsServer((req, res) => {
      res.setHeader('content-length', 1234);
      res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(1234));
    });
    const client = clientFor(server.port);
    const head = await send(client, { method: 'HEAD', path: '/thing' });
    expect(head.headers['content-length']).toBe('1234');
    expect(head.body.length).toBe(0);
    expect((await send(client, { path: '/thing' })).body.length).toBe(1234);
    expect(server.connections).toHaveLength(1);
  });

  it('abandons an answer on abort(): the handler gets the reason, the connection is closed, the next request uses a new one', async () => {
    const server = await httpsServer((req, res) => {
      if (req.url === '/next') return res.end('next');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":"PodList","items":[');
    });
    const client = clientFor(server.port);
    const reason = new Error('the client went away');
    const failure = send(client, { path: '/slow' }, { onResponseData: (control) => control.abort(reason) });
    await expect(failure).rejects.toBe(reason);
    expect(client.connectionCount).toBe(0);
    await closed(server.connections[0] as Socket);

    expect((await send(client, { path: '/next' })).body.toString()).toBe('next');
    expect(server.connections).toHaveLength(2);
  });

  it('refuses a malformed answer and does not reuse its connection', async () => {
    const server = await rawServer((request, socket) => {
      if (request.connection === 1)
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      else socket.write(answerWith('fine'));
    });
    const client = clientFor(server.port);
    await expect(send(client, { path: '/bad' })).rejects.toBeInstanceOf(Http1ProtocolError);
    await closed(server.connections[0] as Socket);
    expect((await send(client, { path: '/good' })).body.toString()).toBe('fine');
  });

  it('refuses an answer whose head exceeds maxHeadBytes', async () => {
    const server = await rawServer((_request, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(4096)}\r\nContent-Length: 0\r\n\r\n`);
    });
    const client = clientFor(server.port, { maxHeadBytes: 1024 });
    await expect(send(client, { path: '/big-head' })).rejects.toBeInstanceOf(Http1ProtocolError);
  });
});

describe('Http1Client against response desync', () => {
  const smuggled = answerWith('smuggled');
  it.each([
    { name: 'a Content-Length answer', method: 'GET', first: answerWith('first'), body: 'first' },
    {
      name: 'a chunked answer',
      method: 'GET',
      first: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n0\r\n\r\n',
      body: 'first',
    },
    { name: 'the answer to HEAD (followed by a body)', method: 'HEAD', first: answerWith('first'), body: '' },
    {
      name: 'a 204 (followed by a body)',
      method: 'GET',
      first: 'HTTP/1.1 204 No Content\r\n\r\nfirst',
      body: '',
    },
  ])(
    'does not reuse a connection on which $name came with a second answer in the same write',
    async ({ method, first, body }) => {
      const server = await rawServer((request, socket) => {
        if (request.connection === 1) socket.write(first + smuggled);
        else socket.write(answerWith(`real answer on connection ${request.connection}`));
      });
      const client = clientFor(server.port);
      const answer = await send(client, { method, path: '/first' });
      expect(answer.body.toString()).toBe(body);
      expect(client.connectionCount).toBe(0);

      const next = await send(client, { path: '/next' });
      expect(next.body.toString()).toBe('real answer on connection 2');
      expect(server.requests.map((r) => [r.connection, r.path])).toEqual([
        [1, '/first'],
        [2, '/next'],
      ]);
    },
  );

  it('drops an idle connection on which the server sends bytes nobody asked for', async () => {
    const server = await rawServer((request, socket) => {
      socket.write(answerWith(`answer on connection ${request.connection}`));
    });
    const client = clientFor(server.port);
    expect((await send(client, { path: '/first' })).body.toString()).toBe('answer on connection 1');
    const first = server.sockets[0] as TLSSocket;
    first.write(smuggled);
    await closed(first);
    expect(client.connectionCount).toBe(0);
    expect((await send(client, { path: '/next' })).body.toString()).toBe('answer on connection 2');
  });

  it('does not reuse a connection whose answer came before the request body was sent', async () => {
    const server = await httpsServer((req, res) => {
      if (req.url === '/next') return res.end('next');
      res.writeHead(413);
      res.end('too large');
    });
    const client = clientFor(server.port);
    const body = new PassThrough();
    cleanups.push(() => body.destroy());
    body.write('x'.repeat(1024));
    const early = await send(client, {
      method: 'POST',
      path: '/upload',
      headers: { 'content-length': '1000000' },
      body,
    });
    expect(early.status).toBe(413);
    expect(client.connectionCount).toBe(0);
    expect((await send(client, { path: '/next' })).body.toString()).toBe('next');
    expect(server.connections).toHaveLength(2);
  });
});

describe('Http1Client when the server closes a kept-alive connection as a request goes out', () => {
  /** Answers the first request on each connection; closes the connection upon the second. */
  const closingOnSecond = (request: RawRequest, socket: TLSSocket) => {
    if (request.index >= 2) {
      socket.end();
      return;
    }
    const answer = answerWith(`${request.method} on connection ${request.connection}`);
    // The answer to HEAD is its head alone.
    socket.write(request.method === 'HEAD' ? answer.slice(0, answer.indexOf('\r\n\r\n') + 4) : answer);
  };

  it.each([
    { method: 'GET', body: null },
    { method: 'HEAD', body: null },
    { method: 'OPTIONS', body: null },
  ])('sends a $method again, once, on a new connection', async ({ method }) => {
    const server = await rawServer(closingOnSecond);
    const client = clientFor(server.port);
    await send(client, { path: '/warm' });
    const answer = await send(client, { method, path: '/again' });
    expect(answer.status).toBe(200);
    if (method !== 'HEAD') expect(answer.body.toString()).toBe(`${method} on connection 2`);
    expect(server.requests.map((r) => [r.connection, r.method, r.path])).toEqual([
      [1, 'GET', '/warm'],
      [1, method, '/again'],
      [2, method, '/again'],
    ]);
  });

  it.each([
    { name: 'a POST', method: 'POST', body: '{}' },
    { name: 'a DELETE', method: 'DELETE', body: null },
    { name: 'a GET with a body', method: 'GET', body: 'x' },
  ])('fails $name (not sent again)', async ({ method, body }) => {
    const server = await rawServer(closingOnSecond);
    const client = clientFor(server.port);
    await send(client, { path: '/warm' });
    const failure = send(client, {
      method,
      path: '/once',
      ...(body !== null && {
        headers: { 'content-length': String(body.length) },
        body: Readable.from([body]),
      }),
    });
    await expect(failure).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
    expect((await send(client, { path: '/after' })).body.toString()).toBe('GET on connection 2');
    expect(server.requests.map((r) => [r.connection, r.method, r.path])).toEqual([
      [1, 'GET', '/warm'],
      [1, method, '/once'],
      [2, 'GET', '/after'],
    ]);
  });

  it('close() during the retry waits for the retried GET instead of finishing early', async () => {
    let closing: Promise<void> | undefined;
    let closed = false;
    let closedBeforeRetryArrived: boolean | undefined;
    let client: Http1Client | undefined;
    const server = await rawServer((request, socket) => {
      if (request.index >= 2) {
        // The close() begins while the old connection is the only one, just before it is dropped.
        closing = client?.close().then(() => {
          closed = true;
        });
        socket.end();
        return;
      }
      if (request.connection === 2) closedBeforeRetryArrived = closed;
      socket.write(answerWith(`answer on connection ${request.connection}`));
    });
    client = clientFor(server.port);
    await send(client, { path: '/warm' });
    const answer = await send(client, { path: '/again' });
    expect(answer.body.toString()).toBe('answer on connection 2');
    expect(closedBeforeRetryArrived).toBe(false);
    await closing;
    expect(client.connectionCount).toBe(0);
  });

  it('gets a GET answered when the server closed the connection right after the previous answer', async () => {
    const server = await rawServer((request, socket) => {
      socket.end(answerWith(`answer on connection ${request.connection}`));
    });
    const client = clientFor(server.port);
    expect((await send(client, { path: '/first' })).body.toString()).toBe('answer on connection 1');
    // Whether the client saw the close before sending or not, the GET gets its answer.
    expect((await send(client, { path: '/second' })).body.toString()).toBe('answer on connection 2');
  });
});

describe('Http1Client timeouts', () => {
  it('fails a request whose answer does not come within responseTimeoutMs', async () => {
    const server = await httpsServer(() => {
      // Never answers.
    });
    const client = clientFor(server.port, { responseTimeoutMs: 200 });
    let started = false;
    const failure = send(client, { path: '/silent' }, { onResponseStart: () => (started = true) });
    await expect(failure).rejects.toMatchObject({ code: 'UPSTREAM_RESPONSE_TIMEOUT' });
    expect(started).toBe(false);
    await closed(server.connections[0] as Socket);
    expect(client.connectionCount).toBe(0);
  });

  it('fails a request whose connection does not open within connectTimeoutMs', async () => {
    // Accepts TCP connections and never says a word of TLS.
    const server = createTcpServer(() => {});
    const connections: Socket[] = [];
    const port = await listen(server, { connections });
    const client = clientFor(port, { connectTimeoutMs: 200 });
    await expect(send(client, { path: '/' })).rejects.toMatchObject({ code: 'UPSTREAM_CONNECT_TIMEOUT' });
    expect(client.connectionCount).toBe(0);
  });

  it('closes a connection left idle for keepAliveTimeoutMs', async () => {
    const server = await httpsServer((_req, res) => res.end('ok'));
    const client = clientFor(server.port, { keepAliveTimeoutMs: 100 });
    await send(client, { path: '/' });
    expect(client.connectionCount).toBe(1);
    await closed(server.connections[0] as Socket);
    expect(client.connectionCount).toBe(0);
  });
});

describe('Http1Client close and destroy', () => {
  it('close() lets a request in flight finish, then resolves with no connection left', async () => {
    const arrived = deferred<ServerResponse>();
    const server = await httpsServer((_req, res) => arrived.resolve(res));
    const client = clientFor(server.port);
    const order: string[] = [];
    const answer = send(client, { path: '/in-flight' }).then((a) => {
      order.push('answer');
      return a;
    });
    const res = await arrived.promise;
    const closing = client.close().then(() => order.push('closed'));
    await expect(send(client, { path: '/too-late' })).rejects.toMatchObject({
      code: 'UPSTREAM_CLIENT_CLOSED',
    });
    expect(order).toEqual([]);
    res.end('finished');
    expect((await answer).body.toString()).toBe('finished');
    await closing;
    expect(order).toEqual(['answer', 'closed']);
    expect(client.connectionCount).toBe(0);
    await closed(server.connections[0] as Socket);
    expect(client.close()).toBe(client.close());
  });

  it('close() closes idle connections at once', async () => {
    const server = await httpsServer((_req, res) => res.end('ok'));
    const client = clientFor(server.port);
    await send(client, { path: '/' });
    await client.close();
    expect(client.connectionCount).toBe(0);
    await closed(server.connections[0] as Socket);
  });

  it('destroy() fails the requests in flight', async () => {
    const arrived = deferred();
    const server = await httpsServer(() => arrived.resolve());
    const client = clientFor(server.port);
    const failure = send(client, { path: '/in-flight' });
    await arrived.promise;
    await client.destroy();
    await expect(failure).rejects.toMatchObject({ code: 'UPSTREAM_CLIENT_CLOSED' });
    expect(client.connectionCount).toBe(0);
    await closed(server.connections[0] as Socket);
  });

  it('fails a request made after close() without connecting', async () => {
    const server = await httpsServer((_req, res) => res.end('ok'));
    const client = clientFor(server.port);
    await client.close();
    await expect(send(client, { path: '/' })).rejects.toMatchObject({ code: 'UPSTREAM_CLIENT_CLOSED' });
    expect(client.connectionCount).toBe(0);
  });
});

describe('Http1Client TLS', () => {
  it.each([
    {
      name: 'signed by a CA other than the given one',
      pem: () => strangerPem,
      servername: 'localhost',
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    },
    {
      name: 'for another name',
      pem: () => apiServerPem,
      servername: 'api.elsewhere.example',
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    },
  ])('refuses a server certificate $name', async ({ pem, servername, code }) => {
    let asked = false;
    const server = await httpsServer((_req, res) => {
      asked = true;
      res.end();
    }, pem());
    const client = clientFor(server.port, { servername });
    let started = false;
    const failure = send(client, { path: '/' }, { onResponseStart: () => (started = true) });
    await expect(failure).rejects.toMatchObject({ code });
    expect(started).toBe(false);
    expect(asked).toBe(false);
    expect(client.connectionCount).toBe(0);
  });
});
