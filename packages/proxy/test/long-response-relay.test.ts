import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { PrematureCloseError, relayLongResponse } from '../src/upstream/long-response-relay.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/**
 * A real HTTP response relayed from `body` (standing in for the upstream answer), and the client's
 * view of it. `relayed` settles like the forward step's await.
 */
async function relayThroughHttp(
  body: PassThrough,
  beforeRelay?: (res: ServerResponse) => void,
): Promise<{
  relayed: Promise<void>;
  client: IncomingMessage;
  clientRequest: ReturnType<typeof request>;
  res: ServerResponse;
}> {
  let relayed!: Promise<void>;
  let response!: ServerResponse;
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    response = res;
    beforeRelay?.(res);
    relayed = relayLongResponse(body, res);
    relayed.catch(() => {});
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clientRequest = request({ host: '127.0.0.1', port, path: '/watch', agent: false });
  clientRequest.on('error', () => {});
  clientRequest.end();
  const [client] = (await once(clientRequest, 'response')) as [IncomingMessage];
  return { relayed, client, clientRequest, res: response };
}

describe('relaying a long-running answer', () => {
  it('passes every chunk on and finishes when the upstream body ends', async () => {
    const body = new PassThrough();
    const { relayed, client } = await relayThroughHttp(body);
    const received = client.setEncoding('utf8').toArray();
    body.write('{"type":"ADDED"}\n');
    body.end('{"type":"MODIFIED"}\n');
    await relayed;
    expect((await received).join('')).toBe('{"type":"ADDED"}\n{"type":"MODIFIED"}\n');
  });

  it('holds the upstream body back while the client reads nothing', async () => {
    const body = new PassThrough();
    const { client } = await relayThroughHttp(body);
    client.pause();
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    // Without backpressure the relay would keep draining the body into the response's memory and
    // write() would never say stop; with it, the socket buffers fill and the body stops flowing.
    while (body.write(chunk) && written < 256 * 1024 * 1024) {
      written += chunk.length;
      await new Promise(setImmediate);
    }
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(body.isPaused()).toBe(true);
    // Reading again lets it flow.
    client.resume();
    await once(body, 'drain');
  });

  it('announces its source to the response, so a host can end a watch cleanly between events', async () => {
    // What the reference server's session drain does on shutdown: it finds the upstream body by the
    // response's 'pipe' event, stops relaying at an event boundary and ends the response, so that
    // kubectl sees a normal end of the watch instead of a cut connection.
    const body = new PassThrough();
    let source: NodeJS.ReadableStream | undefined;
    const { relayed, client, res } = await relayThroughHttp(body, (response) => {
      response.once('pipe', (piped: NodeJS.ReadableStream) => {
        source = piped;
      });
    });
    const received = client.setEncoding('utf8').toArray();
    body.write('{"type":"ADDED"}\n');
    await once(client, 'data');
    expect(source).toBe(body);
    source!.unpipe();
    res.end();
    await relayed;
    expect((await received).join('')).toBe('{"type":"ADDED"}\n');
    expect(client.complete).toBe(true);
    // The upstream stream is let go, not left open until the connection closes.
    expect(body.destroyed).toBe(true);
  });

  it('destroys the upstream body and rejects when the client goes away', async () => {
    const body = new PassThrough();
    const { relayed, clientRequest } = await relayThroughHttp(body);
    body.write('{"type":"ADDED"}\n');
    clientRequest.destroy();
    await expect(relayed).rejects.toBeInstanceOf(PrematureCloseError);
    expect(body.destroyed).toBe(true);
  });

  it('cuts the client connection and rejects when the upstream body fails or stops early', async () => {
    const failing = new PassThrough();
    const first = await relayThroughHttp(failing);
    const cut = once(first.client, 'aborted');
    failing.destroy(new Error('upstream reset'));
    await expect(first.relayed).rejects.toThrow('upstream reset');
    await cut;
    expect(first.res.destroyed).toBe(true);
  });

  it('treats an upstream body that closes without its end as a failure, not a complete answer', async () => {
    const body = new PassThrough();
    const { relayed, res } = await relayThroughHttp(body);
    body.destroy();
    await expect(relayed).rejects.toBeInstanceOf(PrematureCloseError);
    expect(res.writableFinished).toBe(false);
  });
});
