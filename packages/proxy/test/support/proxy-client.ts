import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import type { Pem } from './test-pki.js';

export interface ClientResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  // Status and echo bodies, read loosely by the tests.
  // biome-ignore lint/suspicious/noExplicitAny: test helper; each test asserts the shape it reads
  json(): Record<string, any>;
}

export interface ClientRequestOptions {
  readonly method?: string;
  /** Header values as arrays send one line per value; names keep their case. */
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string;
  /** Client certificate; none when absent. */
  readonly identity?: Pem;
}

/** One HTTPS request to the Proxy on a fresh connection, trusting the host CA. */
export function proxyRequest(
  base: string,
  path: string,
  trust: string,
  options: ClientRequestOptions = {},
): Promise<ClientResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: trust,
        agent: false,
        ...(options.identity && { cert: options.identity.cert, key: options.identity.key }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Writes raw bytes on a TLS connection to the Proxy and collects everything until it closes. */
export function rawExchange(
  base: string,
  trust: string,
  identity: Pem | undefined,
  bytes: string,
): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: url.hostname,
        port: Number(url.port),
        ca: trust,
        ...(identity && { cert: identity.cert, key: identity.key }),
      },
      () => socket.write(bytes),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}
