import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { HeadlessBrowser } from '@remoteler/sso-oidc/testing';
import { createTestCertificateAuthority } from '@remoteler/testkit';
import { afterEach, describe, expect, it } from 'vitest';

/** A page chain /a -> /b -> /c -> /done; `onRequest` may answer instead (return true). */
async function startSite(
  onRequest: (req: IncomingMessage, res: ServerResponse, nth: number) => boolean = () => false,
) {
  const ca = await createTestCertificateAuthority();
  const tls = await ca.issue({ commonName: '127.0.0.1', usage: 'server' });
  const connections: TLSSocket[] = [];
  const perConnection = new WeakMap<object, number>();
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const nth = (perConnection.get(req.socket) ?? 0) + 1;
    perConnection.set(req.socket, nth);
    if (onRequest(req, res, nth)) return;
    const next = { '/a': '/b', '/b': '/c', '/c': '/done' }[req.url ?? ''];
    res.writeHead(next ? 302 : 404, next ? { location: next } : {}).end();
  });
  server.on('secureConnection', (socket: TLSSocket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ca: ca.certPem,
    origin,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('HeadlessBrowser connections', () => {
  it('keeps one connection per host across a chain of requests, as a browser does', async () => {
    const site = await startSite();
    cleanups.push(site.close);
    const browser = new HeadlessBrowser({ ca: site.ca });
    cleanups.push(() => browser.close());
    const landed = await browser.navigate(`${site.origin}/a`, { stopAt: (url) => url.pathname === '/done' });
    expect(landed.href).toBe(`${site.origin}/done`);
    expect(site.connections).toHaveLength(1);
  });

  it('sends a request again on a new connection when the server closed the kept-alive one unanswered', async () => {
    // The server drops every second request on a connection without answering: what a browser meets
    // when the server's keep-alive timeout closes an idle connection as the next request goes out.
    const site = await startSite((req, _res, nth) => {
      if (nth < 2) return false;
      req.socket.destroy();
      return true;
    });
    cleanups.push(site.close);
    const browser = new HeadlessBrowser({ ca: site.ca });
    cleanups.push(() => browser.close());
    const landed = await browser.navigate(`${site.origin}/a`, { stopAt: (url) => url.pathname === '/done' });
    expect(landed.pathname).toBe('/done');
    expect(site.connections).toHaveLength(3);
  });

  it('does not repeat a request whose new connection was reset, and names the request that failed', async () => {
    const site = await startSite((req) => {
      if (req.url !== '/b') return false;
      req.socket.destroy();
      return true;
    });
    cleanups.push(site.close);
    const browser = new HeadlessBrowser({ ca: site.ca });
    cleanups.push(() => browser.close());
    // /a is answered on the first connection; /b goes out on it again, is dropped, and is sent once
    // more on a new connection, which is dropped too: that failure is the browser's answer.
    await expect(
      browser.navigate(`${site.origin}/a`, { stopAt: (url) => url.pathname === '/done' }),
    ).rejects.toThrow(`headless browser: GET ${site.origin}/b: ECONNRESET`);
    expect(site.connections).toHaveLength(2);
  });
});
