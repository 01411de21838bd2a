import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Pem } from './test-pki.js';

/** One request as the upstream saw it: raw header lines, in order and with their case. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly [string, string][];
  readonly body: string;
  /** Values of one header (case-insensitive), each line separately. */
  header(name: string): string[];
}

export interface RecordingUpstream {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the answer; the default answers 200 with a small JSON body naming the path. */
  handle(handler: (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void): void;
  /** Request body bytes received so far, over all requests, including those that never ended. */
  bodyBytesReceived(): number;
  /** Resolves with the next request the upstream receives (for a request with a body: once the body is in). */
  nextRequest(): Promise<RecordedRequest>;
  /** Resolves with the next request as soon as its head arrived, before any body. */
  nextRequestHead(): Promise<IncomingMessage>;
  close(): Promise<void>;
}

/**
 * A real HTTPS server standing in for a Kubernetes API server in the Proxy's own tests (the testkit
 * simulator takes over in end-to-end tests). It records exactly what arrived.
 */
export async function startRecordingUpstream(tls: Pem & { ca?: string }): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const waiters: ((r: RecordedRequest) => void)[] = [];
  const headWaiters: ((req: IncomingMessage) => void)[] = [];
  let bodyBytes = 0;
  let handler = (_req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => {
    const body = JSON.stringify({ kind: 'Echo', path: recorded.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server: Server = createServer({
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: true }),
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    headWaiters.shift()?.(req);
    const chunks: Buffer[] = [];
    const rawHeaders: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const finish = () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        header: (name) =>
          rawHeaders.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v),
      };
      requests.push(recorded);
      waiters.shift()?.(recorded);
      handler(req, res, recorded);
    };
    // Streaming handlers (watches) must not wait for a body that a GET never sends.
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      finish();
    } else {
      req.on('data', (c: Buffer) => {
        bodyBytes += c.length;
        chunks.push(c);
      });
      req.on('end', finish);
    }
  });
  // Upgrades (exec and friends) are accepted with a 101 and then echo whatever the client sends.
  server.on('upgrade', (req: IncomingMessage, socket: import('node:stream').Duplex) => {
    const rawHeaders: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders,
      body: '',
      header: (name) => rawHeaders.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v),
    };
    requests.push(recorded);
    waiters.shift()?.(recorded);
    socket.on('error', () => socket.destroy());
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n',
    );
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    handle(next) {
      handler = next;
    },
    bodyBytesReceived: () => bodyBytes,
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    nextRequestHead: () => new Promise((resolve) => headWaiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
