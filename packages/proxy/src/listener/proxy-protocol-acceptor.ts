import { BlockList, createServer, isIP, type Server, type Socket } from 'node:net';
import { RemotelerError } from '@remoteler/core';
import { readProxyHeader } from './proxy-protocol.js';

/** PROXY protocol (v1 and v2) in front of the TLS listener, for a trusted load balancer. */
export interface ProxyProtocolOptions {
  /**
   * Addresses and CIDR ranges of the load balancers (`10.0.0.0/8`, `192.0.2.7`, `fd00::/8`).
   * Connections from them MUST start with a PROXY header (the specification forbids guessing);
   * connections from anywhere else are plain TLS, so a header sent by anyone else is never believed
   * (it fails the TLS handshake).
   */
  readonly trustedSources: readonly string[];
  /** Time a trusted source has to send the whole header, in ms. Default 5 000. */
  readonly headerTimeoutMs?: number;
}

/** The server that accepts TCP connections, reads PROXY headers, and hands the rest to TLS. */
export interface ProxyProtocolAcceptor {
  readonly server: Server;
  /** The original client address of a connection (or of the TLS socket wrapping it), if a header named one. */
  sourceOf(socket: unknown): string | undefined;
}

function trustList(sources: readonly string[]): BlockList {
  const list = new BlockList();
  const problems: string[] = [];
  for (const source of sources) {
    const [address = '', prefix] = source.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    if (
      family === 0 ||
      (bits !== undefined && (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)))
    ) {
      problems.push(`"${source}" is not an IP address or CIDR range`);
      continue;
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  if (problems.length > 0 || sources.length === 0)
    throw new RemotelerError(
      'RMT_CONFIG_INVALID',
      `invalid PROXY protocol trusted sources: ${problems.join('; ') || 'the list is empty'}`,
      { details: { problems } },
    );
  return list;
}

function isTrusted(list: BlockList, address: string | undefined): boolean {
  if (!address) return false;
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return list.check(mapped, 'ipv4');
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * A `net.Server` that reads the PROXY header of connections from trusted balancers, records the
 * client address it names, puts back whatever followed the header, and emits the connection on
 * `target` (the node:https server), which then runs TLS as if it had accepted it itself. A missing,
 * slow or malformed header from a trusted source closes the connection and is reported.
 */
export function createProxyProtocolAcceptor(
  target: Server,
  options: ProxyProtocolOptions,
  onError: (error: unknown) => void,
): ProxyProtocolAcceptor {
  const trusted = trustList(options.trustedSources);
  const timeoutMs = options.headerTimeoutMs ?? 5_000;
  const sources = new WeakMap<object, string>();
  const server = createServer({ pauseOnConnect: false }, (socket: Socket) => {
    if (!isTrusted(trusted, socket.remoteAddress)) {
      target.emit('connection', socket);
      return;
    }
    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(
      () =>
        fail(
          new RemotelerError(
            'RMT_PROXY_PROXY_PROTOCOL_INVALID',
            'no complete PROXY header within the time limit',
          ),
        ),
      timeoutMs,
    );
    timer.unref();
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onSocketError);
    };
    const fail = (error: unknown) => {
      cleanup();
      socket.destroy();
      onError(error);
    };
    const onSocketError = () => {
      cleanup();
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let header: ReturnType<typeof readProxyHeader>;
      try {
        header = readProxyHeader(buffered);
      } catch (error) {
        fail(error);
        return;
      }
      if (!header.complete) return;
      cleanup();
      // Paused, with the bytes after the header put back: node:tls feeds a wrapped socket's
      // buffered bytes to the handshake before reading from the handle (resuming here would
      // instead flow them out to no listener).
      socket.pause();
      if (header.source) sources.set(socket, header.source.address);
      const rest = buffered.subarray(header.length);
      if (rest.length > 0) socket.unshift(rest);
      target.emit('connection', socket);
    };
    socket.on('data', onData);
    socket.on('error', onSocketError);
  });
  return {
    server,
    sourceOf(socket) {
      if (!socket || typeof socket !== 'object') return undefined;
      // node:tls keeps the wrapped TCP socket as `_parent` (observed on Node 20 and 24; a test
      // pins it down, so a change in Node fails loudly instead of logging the balancer's address).
      const parent = (socket as { _parent?: unknown })._parent;
      return sources.get(socket) ?? (parent && typeof parent === 'object' ? sources.get(parent) : undefined);
    },
  };
}
