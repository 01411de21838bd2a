import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyAuditEvent, readProxyHeader } from '../src/index.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

// PROXY protocol (HAProxy's specification, v1 text and v2 binary) lets a TCP load balancer in front
// of the Proxy say who the client is. Only trusted balancers are believed, and from them a header is
// mandatory; everyone else speaks plain TLS.

const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(command: number, family: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = family;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, head, body]);
}

function tcp4Body(source: string, sourcePort: number, tlv = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(12);
  source.split('.').forEach((octet, i) => {
    body[i] = Number(octet);
  });
  Buffer.from([10, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(sourcePort, 8);
  body.writeUInt16BE(443, 10);
  return Buffer.concat([body, tlv]);
}

describe('reading a PROXY header', () => {
  it.each([
    ['v1 TCP4', 'PROXY TCP4 192.0.2.7 10.0.0.1 51000 443\r\n', '192.0.2.7'],
    ['v1 TCP6', 'PROXY TCP6 2001:db8::7 2001:db8::1 51000 443\r\n', '2001:db8::7'],
  ])('%s names the client', (_name, line, address) => {
    const bytes = Buffer.concat([Buffer.from(line, 'latin1'), Buffer.from([0x16, 0x03, 0x01])]);
    const header = readProxyHeader(bytes);
    expect(header).toEqual({ complete: true, length: line.length, source: { address, port: 51000 } });
  });

  it('v1 UNKNOWN and v2 LOCAL or UNSPEC name no client (the connection speaks for itself)', () => {
    expect(readProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ complete: true, length: 15 });
    expect(readProxyHeader(v2(0, 0x11, tcp4Body('192.0.2.9', 1)))).toEqual({ complete: true, length: 28 });
    expect(readProxyHeader(v2(1, 0x00, Buffer.alloc(0)))).toEqual({ complete: true, length: 16 });
  });

  it('v2 PROXY over TCP4 and TCP6 names the client and skips TLVs', () => {
    const tlv = Buffer.from([0x01, 0x00, 0x02, 0x68, 0x32]); // PP2_TYPE_ALPN "h2"
    expect(readProxyHeader(v2(1, 0x11, tcp4Body('198.51.100.4', 40000, tlv)))).toEqual({
      complete: true,
      length: 16 + 12 + tlv.length,
      source: { address: '198.51.100.4', port: 40000 },
    });
    const six = Buffer.alloc(36);
    Buffer.from('20010db8000000000000000000000042', 'hex').copy(six, 0);
    six.writeUInt16BE(40001, 32);
    expect(readProxyHeader(v2(1, 0x21, six))).toMatchObject({
      source: { address: '2001:db8::42', port: 40001 },
    });
  });

  it('asks for more bytes while the header is still partial', () => {
    const full = v2(1, 0x11, tcp4Body('198.51.100.4', 40000));
    for (const cut of [1, 5, 12, 15, 20])
      expect(readProxyHeader(full.subarray(0, cut))).toEqual({ complete: false });
    expect(readProxyHeader(Buffer.from('PROX'))).toEqual({ complete: false });
    expect(readProxyHeader(Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.1'))).toEqual({ complete: false });
  });

  it.each([
    ['TLS instead of a header', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])],
    ['a v1 line without CRLF within 107 bytes', Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)],
    ['a v1 family other than TCP4/TCP6', Buffer.from('PROXY UDP4 192.0.2.7 10.0.0.1 1 2\r\n')],
    ['a v1 address of the wrong family', Buffer.from('PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n')],
    ['a v1 port out of range', Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.1 70000 2\r\n')],
    ['a v1 port with a sign', Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.1 +1 2\r\n')],
    ['a v2 header of another version', Buffer.concat([V2_SIGNATURE, Buffer.from([0x31, 0x11, 0, 0])])],
    ['a v2 header over UDP', v2(1, 0x12, tcp4Body('192.0.2.7', 1))],
    ['a v2 TCP4 block that is too short', v2(1, 0x11, Buffer.alloc(4))],
  ])('refuses %s', (_name, bytes) => {
    expect(() => readProxyHeader(bytes)).toThrow(
      expect.objectContaining({ code: 'RMT_PROXY_PROXY_PROTOCOL_INVALID' }),
    );
  });
});

/** A request over TLS on a TCP connection that first sends `preamble` (a PROXY header, or nothing). */
function requestThrough(
  url: string,
  trust: string,
  identity: Pem,
  preamble: Buffer,
  path: string,
): Promise<{ status: number; raw: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const tcp = tcpConnect({ host: '127.0.0.1', port: Number(port) }, () => {
      if (preamble.length > 0) tcp.write(preamble);
      const tls = tlsConnect(
        { socket: tcp, ca: trust, cert: identity.cert, key: identity.key, servername: 'localhost' },
        () => {
          tls.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        },
      );
      const chunks: Buffer[] = [];
      tls.on('data', (c: Buffer) => chunks.push(c));
      tls.on('close', () => {
        const raw = Buffer.concat(chunks).toString('latin1');
        resolve({ status: Number(raw.split(' ')[1] ?? 0), raw });
      });
      tls.on('error', reject);
    });
    tcp.on('error', reject);
  });
}

describe('a Proxy behind a trusted PROXY-protocol load balancer', () => {
  let pki: TestPki;
  let alice: Pem;
  let fixture: ProxyFixture;
  const audits: ProxyAuditEvent[] = [];
  const errors: unknown[] = [];
  const webClients: (string | undefined)[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    alice = await pki.user('alice', { pin: 'dev' });
    fixture = await startProxyFixture(pki, {
      proxy: {
        proxyProtocol: { trustedSources: ['127.0.0.0/8'], headerTimeoutMs: 500 },
        onAudit: (event) => audits.push(event),
        onError: (error) => errors.push(error),
        webApi: (_req, res, context) => {
          webClients.push(context.clientAddress);
          res.writeHead(200).end('{}');
        },
      },
    });
  });

  afterAll(async () => {
    await fixture?.close();
    await pki?.dispose();
  });

  it('takes the client address from a v1 header for X-Forwarded-For and the audit event', async () => {
    const header = Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.1 51000 443\r\n');
    const res = await requestThrough(
      fixture.url,
      pki.proxyTrust,
      alice,
      header,
      '/k8s/dev/api/v1/namespaces/default/pods',
    );
    expect(res.status).toBe(200);
    expect(fixture.upstreams.dev?.requests.at(-1)?.header('x-forwarded-for')).toEqual(['192.0.2.7']);
    expect(audits.at(-1)?.clientAddress).toBe('192.0.2.7');
  });

  it('takes the client address from a v2 header, also for the web API', async () => {
    const header = v2(1, 0x11, tcp4Body('198.51.100.4', 40000));
    const res = await requestThrough(fixture.url, pki.proxyTrust, alice, header, '/v1/ping');
    expect(res.status).toBe(200);
    expect(webClients.at(-1)).toBe('198.51.100.4');
  });

  it("keeps the connection's own address for a v2 LOCAL header (the balancer's health check)", async () => {
    const res = await requestThrough(
      fixture.url,
      pki.proxyTrust,
      alice,
      v2(0, 0, Buffer.alloc(0)),
      '/k8s/dev/api',
    );
    expect(res.status).toBe(200);
    expect(audits.at(-1)?.clientAddress).toBe('127.0.0.1');
  });

  it('closes a connection from a trusted source that sends no header, and reports it', async () => {
    const before = errors.length;
    await expect(
      requestThrough(fixture.url, pki.proxyTrust, alice, Buffer.alloc(0), '/k8s/dev/api'),
    ).rejects.toThrow();
    expect(errors.slice(before)).toContainEqual(
      expect.objectContaining({ code: 'RMT_PROXY_PROXY_PROTOCOL_INVALID' }),
    );
  });
});

describe('a Proxy whose PROXY-protocol trust does not cover the client', () => {
  let pki: TestPki;
  let alice: Pem;
  let fixture: ProxyFixture;
  const audits: ProxyAuditEvent[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    alice = await pki.user('alice', { pin: 'dev' });
    fixture = await startProxyFixture(pki, {
      proxy: { proxyProtocol: { trustedSources: ['10.0.0.0/8'] }, onAudit: (event) => audits.push(event) },
    });
  });

  afterAll(async () => {
    await fixture?.close();
    await pki?.dispose();
  });

  it('serves plain TLS with the TCP peer as the client', async () => {
    const res = await requestThrough(fixture.url, pki.proxyTrust, alice, Buffer.alloc(0), '/k8s/dev/api');
    expect(res.status).toBe(200);
    expect(audits.at(-1)?.clientAddress).toBe('127.0.0.1');
  });

  it('never believes a header from an untrusted client: the connection fails before any request', async () => {
    const forged = Buffer.from('PROXY TCP4 10.1.2.3 10.0.0.1 51000 443\r\n');
    const before = fixture.allUpstreamRequests();
    await expect(
      requestThrough(fixture.url, pki.proxyTrust, alice, forged, '/k8s/dev/api'),
    ).rejects.toThrow();
    expect(fixture.allUpstreamRequests()).toBe(before);
    expect(audits.some((event) => event.clientAddress === '10.1.2.3')).toBe(false);
  });
});

describe('PROXY protocol configuration', () => {
  it('refuses trusted sources that are not addresses or CIDR ranges, naming each', async () => {
    const pki = await createTestPki();
    try {
      await expect(
        startProxyFixture(pki, {
          proxy: { proxyProtocol: { trustedSources: ['lb.example.com', '10.0.0.0/33'] } },
        }),
      ).rejects.toMatchObject({
        code: 'RMT_CONFIG_INVALID',
        message: expect.stringContaining('lb.example.com'),
      });
    } finally {
      await pki.dispose();
    }
  });
});
