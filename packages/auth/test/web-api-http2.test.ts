import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { type ClientHttp2Session, connect, createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { AuthWebApi, CLIENT_CERTIFICATE_HEADER, CLIENT_IP_HEADER } from '@remoteler/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinHost, keyPair, PASSWORD, type Stack, startStack } from './helpers.js';

// A host may serve the web API on a port that speaks HTTP/2 (the Proxy's web port offers `h2` by
// ALPN, and browsers take it). The same AuthWebApi must then read bodies without Content-Length,
// read relayed headers line by line, and answer refusals without HTTP/1.1-only headers.

let stack: Stack;
let server: Http2SecureServer;
let url: string;
let proxyHost: { cert: string; key: string };
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  stack = await startStack();
  const api = new AuthWebApi({ service: stack.service, maxBodyBytes: 4096 });
  const made = await stack.service.createServerCredentials({
    hostId: 'auth',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  server = createSecureServer({
    key: made.keyPem,
    cert: made.certificatePem,
    ca: [stack.service.options.userCa.trustBundlePem(), stack.service.options.hostCa.trustBundlePem()],
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.on('request', (req, res) => api.handle(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxyHost = await joinHost(stack.service, 'proxy', 'proxy-1');
});

afterAll(async () => {
  for (const session of sessions) session.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stack?.close();
});

function session(identity?: { cert: string; key: string }): ClientHttp2Session {
  const opened = connect(url, { ca: stack.hostCa.trustBundlePem(), ...identity });
  opened.on('error', () => {});
  sessions.push(opened);
  return opened;
}

/** One request; `body` is written without Content-Length unless `headers` names one. */
function call(
  h2: ClientHttp2Session,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string | string[]> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const stream = h2.request({
      ':method': method,
      ':path': path,
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    });
    let status = 0;
    let headers: Record<string, unknown> = {};
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = h;
    });
    stream.on('data', (chunk: string) => {
      text += chunk;
    });
    stream.on('end', () => resolve({ status, headers, json: text ? JSON.parse(text) : {} }));
    stream.on('error', reject);
    stream.end(options.body);
  });
}

describe('the web API served over HTTP/2', () => {
  it('logs in with a JSON body sent without Content-Length', async () => {
    const key = keyPair();
    const res = await call(session(), 'POST', '/v1/login/password', {
      body: JSON.stringify({ username: 'alice', password: PASSWORD, publicKey: key.publicKeyPem }),
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(new X509Certificate(res.json.certificatePem as string).subject).toContain('alice');
  });

  it('refuses an oversized body with its code, and the connection serves the next request', async () => {
    const h2 = session();
    const refused = await call(h2, 'POST', '/v1/login/password', { body: 'x'.repeat(10_000) });
    expect(refused.status).toBe(413);
    expect(refused.json.code).toMatch(/^RMT_AUTH_/);
    // `Connection: close` marks an unread body on HTTP/1.1; HTTP/2 forbids the header.
    expect(refused.headers.connection).toBeUndefined();
    const next = await call(h2, 'GET', '/v1/ping');
    expect(next.status).toBe(200);
  });

  it('takes relayed client headers from a joined Proxy only as single lines', async () => {
    const key = keyPair();
    const login = await call(session(), 'POST', '/v1/login/password', {
      body: JSON.stringify({ username: 'alice', password: PASSWORD, publicKey: key.publicKeyPem }),
    });
    const alice = new X509Certificate(login.json.certificatePem as string).raw.toString('base64');
    const relayed = await call(session(proxyHost), 'GET', '/v1/kube/clusters', {
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: alice },
    });
    expect(relayed.status, JSON.stringify(relayed.json)).toBe(200);
    // Two certificate lines are not one caller: nobody is relayed, and the Proxy itself is no user.
    const doubled = await call(session(proxyHost), 'GET', '/v1/kube/clusters', {
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: [alice, alice] },
    });
    expect(doubled.status).toBe(401);
    expect(doubled.json.code).toBe('RMT_AUTH_CLIENT_CERT_REQUIRED');
  });
});
