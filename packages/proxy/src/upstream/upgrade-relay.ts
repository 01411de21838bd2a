import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect, type SecureContext, type TLSSocket } from 'node:tls';
import { RemotelerError } from '@remoteler/core';
import type { RelayObserver } from '../sessions/relay-observer.js';
import { type ResolvedUpstream, upstreamSecureContext } from './resolve-upstream.js';

/** Input of {@link relayUpgrade}. */
export interface UpgradeRelayInput {
  readonly upstream: ResolvedUpstream;
  /** The upstream's TLS context, made once per cluster; made from `upstream.tls` when absent. */
  readonly secureContext?: SecureContext;
  readonly method: string;
  /** Path and query to request upstream (base path already applied). */
  readonly path: string;
  /** The complete upstream header set (allowlisted client headers, impersonation, Authorization). */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** The client connection the upgrade request arrived on. */
  readonly client: Duplex;
  /** Bytes the client sent after its request head. */
  readonly head: Buffer | undefined;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** Largest upstream response head accepted, in bytes. Default 65 536. */
  readonly maxResponseHeadBytes?: number;
  /** Sees the bytes of an established (101) session both ways, for session audit and recording. */
  readonly observer?: RelayObserver;
}

/** How the relayed upgrade ended. */
export interface UpgradeRelayResult {
  /** The status the API server answered (101 when the session was established). */
  readonly status: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

function unavailable(message: string, cause?: unknown): RemotelerError {
  return new RemotelerError('RMT_PROXY_UPSTREAM_UNAVAILABLE', message, cause === undefined ? {} : { cause });
}

function dial(
  upstream: ResolvedUpstream,
  secureContext: SecureContext | undefined,
  signal: AbortSignal,
): Promise<TLSSocket> {
  const url = new URL(upstream.origin);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      // The context carries the CA, the client certificate and the TLS 1.2 minimum.
      secureContext: secureContext ?? upstreamSecureContext(upstream.tls),
      ...(upstream.tls.servername !== undefined
        ? { servername: upstream.tls.servername }
        : isIP(host) === 0 && { servername: host }),
      // Upgrades are HTTP/1.1 only (k8s-protocols §0.2: kubectl's own upgrade connections send no ALPN).
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: true,
    });
    const onAbort = () => socket.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(unavailable('the API server could not be reached for the upgrade', error));
    });
  });
}

function requestHead(input: UpgradeRelayInput): Buffer {
  const url = new URL(input.upstream.origin);
  const lines = [`${input.method} ${input.path} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(input.headers)) {
    if (name === 'host') continue;
    for (const one of typeof value === 'string' ? [value] : value) lines.push(`${name}: ${one}`);
  }
  // Header values are latin1 views of their bytes (principals are UTF-8 encoded that way).
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Reads from `socket` until the end of an HTTP response head; returns the head and what followed it. */
function readResponseHead(socket: TLSSocket, limit: number): Promise<{ head: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(HEAD_END);
      if (end !== -1) {
        cleanup();
        socket.pause();
        resolve({ head: buffered.subarray(0, end + 4), rest: buffered.subarray(end + 4) });
      } else if (buffered.length > limit) {
        cleanup();
        reject(unavailable('the API server sent an oversized response head'));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(unavailable('the API server closed the connection before answering the upgrade'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(unavailable('the API server connection failed during the upgrade', error));
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onError);
  });
}

function contentLength(head: Buffer): number | undefined {
  const match = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(head.toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

/**
 * Relays an HTTP upgrade (exec, attach, port-forward; WebSocket or SPDY) over a raw TLS connection
 * to the API server. The API server's answer reaches the client byte for byte: a 101 and its
 * `Upgrade`/`Sec-WebSocket-Protocol`/`X-Stream-Protocol-Version` headers, or a refusal whose status
 * and Status body kubectl needs to fall back from WebSocket to SPDY and to print the error
 * (k8s-protocols §5.1, §6.1, §13.2). undici's upgrade API is not used because it drops non-101
 * answers. After a 101 the bytes are piped both ways with backpressure, pings and closes untouched.
 * Resolves when both connections have closed.
 */
export async function relayUpgrade(input: UpgradeRelayInput): Promise<UpgradeRelayResult> {
  const upstream = await dial(input.upstream, input.secureContext, input.signal);
  const client = input.client;
  const closed = new Promise<void>((resolve) => {
    let open = 2;
    const done = () => {
      open -= 1;
      if (open === 0) resolve();
    };
    upstream.once('close', done);
    client.once('close', done);
  });
  // Either side failing or leaving ends the session on the other side too.
  client.once('close', () => upstream.destroy());
  upstream.once('close', () => {
    if (!client.writableEnded) client.destroy();
  });
  upstream.on('error', () => upstream.destroy());
  if (client.destroyed) {
    upstream.destroy();
    await closed;
    return { status: 0 };
  }

  let response: { head: Buffer; rest: Buffer };
  try {
    upstream.write(requestHead(input));
    if (input.head && input.head.length > 0) upstream.write(input.head);
    response = await readResponseHead(upstream, input.maxResponseHeadBytes ?? 65_536);
  } catch (error) {
    upstream.destroy();
    throw error;
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(response.head.toString('latin1'))?.[1] ?? 0);
  if (status === 0) {
    upstream.destroy();
    throw unavailable('the API server answered the upgrade with something that is not HTTP/1.1');
  }
  client.write(response.head);

  if (status === 101) {
    const observer = input.observer;
    if (observer) {
      // Extra 'data' listeners only read: the pipes below keep moving the same chunks with backpressure.
      observer.established(response.head);
      if (input.head && input.head.length > 0) observer.fromClient(input.head);
      if (response.rest.length > 0) observer.fromServer(response.rest);
      client.on('data', (chunk: Buffer) => observer.fromClient(chunk));
      upstream.on('data', (chunk: Buffer) => observer.fromServer(chunk));
      void closed.then(() => observer.closed());
    }
    if (response.rest.length > 0) client.write(response.rest);
    upstream.pipe(client);
    client.pipe(upstream);
    upstream.resume();
  } else {
    // A refusal: relay its body, then end the connection (the client falls back on a new one).
    const length = contentLength(response.head);
    if (length !== undefined) {
      let remaining = length - response.rest.length;
      client.write(response.rest.subarray(0, length));
      if (remaining <= 0) {
        client.end();
        upstream.destroy();
      } else {
        upstream.on('data', (chunk: Buffer) => {
          const part = chunk.subarray(0, remaining);
          remaining -= part.length;
          client.write(part);
          if (remaining <= 0) {
            client.end();
            upstream.destroy();
          }
        });
        upstream.once('end', () => client.end());
        upstream.resume();
      }
    } else {
      if (response.rest.length > 0) client.write(response.rest);
      upstream.pipe(client);
      upstream.resume();
    }
  }
  await closed;
  return { status };
}
