import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import type { CertificateAndKey, KubeApiSimulator } from '@remoteler/testkit';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are free-form JSON
  json: () => any;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  cert?: CertificateAndKey;
}

/** One HTTP/1.1 request to the simulator (a fresh connection, ALPN http/1.1 only). */
export function call(sim: KubeApiSimulator, path: string, options: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: sim.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: sim.caPem,
        ...(options.cert ? { cert: options.cert.certPem, key: options.cert.keyPem } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** One HTTP/2 request on its own session. */
export function callH2(sim: KubeApiSimulator, path: string, options: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(sim.url, {
      ca: sim.caPem,
      ...(options.cert ? { cert: options.cert.certPem, key: options.cert.keyPem } : {}),
    });
    session.on('error', reject);
    const stream = session.request({
      ':path': path,
      ':method': options.method ?? 'GET',
      ...(options.headers ?? {}),
    });
    let headers: Record<string, string | string[] | undefined> = {};
    stream.on('response', (h) => {
      headers = h as typeof headers;
    });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      session.close();
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(headers[':status']), headers, text, json: () => JSON.parse(text) });
    });
    stream.on('error', reject);
    stream.end(options.body);
  });
}

/** Sends raw HTTP/1.1 request lines (kept byte-exact as UTF-8) and returns the answer: all of it, or the headers of a 101. */
export function rawRequest(
  sim: KubeApiSimulator,
  lines: string[],
  cert?: CertificateAndKey,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: sim.port,
      ca: sim.caPem,
      ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
    });
    let data = '';
    socket.on('secureConnect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    socket.on('data', (d) => {
      data += d.toString('latin1');
      // A switched protocol stays open; the status line and headers are all a test needs.
      if (/^HTTP\/1\.1 101/.test(data) && data.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

/** The former name of {@link rawRequest}, kept for tests that import it. */
export const rawUpgrade = rawRequest;
