import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemotelerError } from '@remoteler/core';

/** The PKCE pair (RFC 7636 §4.1-4.2): a verifier only this process knows and its S256 challenge. */
export interface Pkce {
  readonly verifier: string;
  readonly challenge: string;
}

/** A new PKCE verifier (256 random bits) and its S256 challenge. */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Options of {@link startLoopbackListener}. */
export interface LoopbackOptions {
  /** How long to wait for the browser, in ms (default 180 000). */
  readonly timeoutMs?: number;
}

/** A running RFC 8252 loopback redirect listener. */
export interface LoopbackListener {
  /** `http://127.0.0.1:PORT/callback`: the only redirect Auth accepts besides `[::1]`. */
  readonly redirectUri: string;
  /** The `state` sent to SSO start; a callback with any other state is refused. */
  readonly state: string;
  /** Resolves with the one-time code once the browser arrives with the right state. */
  waitForCode(): Promise<string>;
  /** Stops listening; idempotent. */
  close(): Promise<void>;
}

const DONE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Remoteler</title><p>Signed in. You can close this window and return to the terminal.</p>';

function sameState(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Listens on 127.0.0.1 (RFC 8252 §7.3: loopback IP literal, any port) for the browser's redirect
 * from Auth. A callback whose `state` is not ours gets a 400 and the wait goes on (a forged request
 * cannot end the login); the right one is redirected to `/done`, a page without the code in its
 * URL, so the code stays out of history and Referer headers.
 */
export async function startLoopbackListener(options: LoopbackOptions = {}): Promise<LoopbackListener> {
  const state = randomBytes(24).toString('base64url');
  let settle: { resolve: (code: string) => void; reject: (error: unknown) => void } | undefined;
  const result = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A rejection nobody awaits yet must not crash the process.
  result.catch(() => {});
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    response.setHeader('cache-control', 'no-store');
    response.setHeader('referrer-policy', 'no-referrer');
    if (url.pathname === '/done') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(DONE_PAGE);
      return;
    }
    if (url.pathname !== '/callback' || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    if (!sameState(url.searchParams.get('state') ?? '', state)) {
      response
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('This sign-in link is not for this login.\n');
      return;
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    response.writeHead(302, { location: '/done' }).end();
    if (error !== null || code === null) {
      settle?.reject(
        new RemotelerError('RMT_CLIENT_SSO_FAILED', `the SSO login ended with ${error ?? 'no code'}`),
      );
    } else settle?.resolve(code);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const timeoutMs = options.timeoutMs ?? 180_000;
  const timer = setTimeout(
    () =>
      settle?.reject(
        new RemotelerError(
          'RMT_CLIENT_SSO_TIMEOUT',
          `no browser came back within ${Math.round(timeoutMs / 1000)} s`,
        ),
      ),
    timeoutMs,
  );
  let closing: Promise<void> | undefined;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    state,
    waitForCode: () => result,
    close() {
      clearTimeout(timer);
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle only: a browser still loading /done may finish.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
