import type { Readable } from 'node:stream';
import { RemotelerError } from '@remoteler/core';
import {
  channelProtocolInfo,
  encodeChannelMessage,
  encodeSpdyFrame,
  encodeWebSocketFrame,
  StreamChannel,
  WebSocketOpcode,
} from '@remoteler/core/wire';
import { type HostStep, isLongRunning, type ProxyExchange, type RelayObserver } from '@remoteler/proxy';
import type { RemotelerLogger } from './logger.js';
import {
  JsonValueBoundary,
  LengthPrefixedBoundary,
  SpdyFrameBoundary,
  type StreamBoundary,
  WebSocketFrameBoundary,
} from './stream-boundaries.js';

/** Options for {@link createSessionDrain}. */
export interface SessionDrainOptions {
  /** Told how many watches and sessions were ended, and about the ones that had to be cut. */
  readonly logger?: RemotelerLogger;
  /** What an exec/attach client is told on its error channel. Default: the Proxy is shutting down. */
  readonly message?: string;
}

/**
 * Ends the Proxy's long exchanges the way their clients expect a server to end them, for a graceful
 * shutdown: a watch gets the end of its chunked response after a complete event (kubectl prints what
 * it got and exits 0, k8s-protocols §3.1); an exec/attach session gets, after a complete frame, a
 * Failure Status on its error channel (WebSocket, §5.4) or error stream (SPDY/3.1, §6.3) and then the
 * end of the connection (kubectl prints the message and exits 1) instead of a cut connection (1006,
 * `unexpected EOF`, or for kubectl 1.27 a silent exit 0). A WebSocket port-forward gets a close frame
 * 1000; a SPDY port-forward and an upgrade still in its handshake are cut.
 */
export interface SessionDrain {
  /** The Proxy host step (after `impersonate`) that follows long exchanges; add it to `steps`. */
  readonly step: HostStep;
  /** Watches, `logs -f` and sessions open now. */
  readonly open: number;
  /**
   * Ends every open long exchange, and refuses new ones from now on (`RMT_PROXY_CLOSED`). Resolves
   * with how many were ended once their connections closed. When `signal` aborts (the shutdown
   * deadline), the ones still open are cut.
   */
  endAll(signal?: AbortSignal): Promise<number>;
}

interface Tracked {
  /** Ends cleanly at the next boundary. */
  end(): void;
  /** Cuts now. */
  cut(): void;
  readonly closed: Promise<void>;
}

function closedPromise(emitter: { once(event: 'close', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.once('close', () => resolve()));
}

function headerValue(head: string, name: string): string {
  const match = new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(head);
  return match?.[1]?.trim() ?? '';
}

/** The frames that end a channel.k8s.io session: the Status on channel 3, then close 1000. */
function channelGoodbye(protocol: string, message: string): Buffer | undefined {
  const info = channelProtocolInfo(protocol);
  if (!info) return undefined;
  // v4/v5 carry a Status object; v1 carries plain text (k8s-protocols §5.4, §5.5).
  const payload =
    info.version >= 4
      ? JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 })
      : message;
  const wire = encodeChannelMessage(info, StreamChannel.ERROR, payload);
  const status = wire.binary
    ? encodeWebSocketFrame({ opcode: WebSocketOpcode.BINARY, payload: wire.data })
    : encodeWebSocketFrame({ opcode: WebSocketOpcode.TEXT, payload: Buffer.from(wire.data, 'latin1') });
  return Buffer.concat([status, closeFrame('server shutting down')]);
}

function closeFrame(reason: string): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(1000, 0); // normal closure (RFC 6455 §7.4.1)
  payload.write(reason, 2);
  return encodeWebSocketFrame({ opcode: WebSocketOpcode.CLOSE, payload });
}

/**
 * The frames that end a SPDY/3.1 exec/attach session: the Status (v4+) or text (v1-v3) as DATA on
 * the error stream, then that stream's FIN (k8s-protocols §6.3). The client reads the error stream
 * until EOF and reports it; closing the connection then ends its other streams.
 */
function spdyGoodbye(protocolVersion: string, errorStreamId: number, message: string): Buffer {
  const info = channelProtocolInfo(protocolVersion);
  const payload =
    info && info.version >= 4
      ? JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 })
      : message;
  return Buffer.concat([
    encodeSpdyFrame({ type: 'data', streamId: errorStreamId, fin: false, data: Buffer.from(payload) }),
    encodeSpdyFrame({ type: 'data', streamId: errorStreamId, fin: true, data: Buffer.alloc(0) }),
  ]);
}

/**
 * Follows the Proxy's watches and sessions so that a shutdown can end them cleanly. See
 * {@link SessionDrain}. Typical use, in the shutdown step of the Proxy:
 * `const closing = proxy.close(); await drain.endAll(signal); await closing;`
 */
export function createSessionDrain(options: SessionDrainOptions = {}): SessionDrain {
  const message =
    options.message ?? 'the Remoteler Proxy is shutting down; run the command again to reconnect';
  const open = new Set<Tracked>();
  let draining = false;
  const closingError = () => new RemotelerError('RMT_PROXY_CLOSED', 'the Proxy is shutting down');

  const trackStream = (exchange: ProxyExchange, res: NonNullable<ProxyExchange['res']>): Tracked => {
    // `logs -f` is text: any chunk end will do. Watches are JSON or length-prefixed protobuf.
    const watch = exchange.attributes?.verb === 'watch';
    let source: Readable | undefined;
    let boundary: StreamBoundary | undefined;
    let ending = false;
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      source?.off('data', onData);
      source?.unpipe(res);
      exchange.error ??= closingError();
      // The terminating chunk: a normal end of the watch for the client.
      res.end();
    };
    const onData = (chunk: Buffer) => {
      // Runs after the pipe wrote this chunk (listeners run in order, the pipe's first).
      boundary ??= !watch
        ? undefined
        : chunk[0] === 0x7b || chunk[0] === 0x20 || chunk[0] === 0x0a
          ? new JsonValueBoundary()
          : new LengthPrefixedBoundary();
      boundary?.push(chunk);
      if (ending && (boundary?.atBoundary ?? true)) finish();
    };
    // stream.pipeline() pipes the API server's body (or the filter) into the response.
    res.once('pipe', (piped: Readable) => {
      source = piped;
      piped.on('data', onData);
      if (ending && (boundary?.atBoundary ?? true)) finish();
    });
    return {
      end() {
        ending = true;
        // Before the answer started there is nothing to end cleanly; wait for it (pipe) or for the cut.
        if (source && (boundary?.atBoundary ?? true)) finish();
      },
      cut: () => res.destroy(),
      closed: closedPromise(res),
    };
  };

  const trackUpgrade = (exchange: ProxyExchange): Tracked => {
    const socket = exchange.socket;
    const session = exchange.attributes?.subresource;
    const execOrAttach = session === 'exec' || session === 'attach';
    let upstream: Readable | undefined;
    let established = false;
    // What the API server's 101 chose: a WebSocket subprotocol, or SPDY with a stream protocol.
    let websocketProtocol: string | undefined;
    let spdyProtocol: string | undefined;
    let boundary: StreamBoundary | undefined;
    let clientFrames: SpdyFrameBoundary | undefined;
    let errorStreamId: number | undefined;
    let ending = false;
    let ended = false;
    const goodbye = (): Buffer | undefined => {
      if (websocketProtocol !== undefined)
        return (
          (execOrAttach && channelGoodbye(websocketProtocol, message)) || closeFrame('server shutting down')
        );
      if (spdyProtocol !== undefined && execOrAttach && errorStreamId !== undefined)
        return spdyGoodbye(spdyProtocol, errorStreamId, message);
      return undefined;
    };
    const finish = () => {
      if (ended || socket.destroyed) return;
      const frames = goodbye();
      if (!frames) {
        // Unanswered upgrades and SPDY port-forwards have no clean end to offer: cut.
        ended = true;
        exchange.error ??= closingError();
        socket.destroy();
        return;
      }
      if (!(boundary?.atBoundary ?? true)) return;
      ended = true;
      upstream?.unpipe(socket);
      exchange.error ??= closingError();
      socket.end(frames);
    };
    socket.once('pipe', (piped: Readable) => {
      upstream = piped;
    });
    const inner = exchange.relayObserver;
    const observer: RelayObserver = {
      established(head) {
        inner?.established(head);
        established = true;
        const text = head.toString('latin1');
        const upgrade = headerValue(text, 'upgrade');
        if (/^websocket$/i.test(upgrade)) {
          websocketProtocol = headerValue(text, 'sec-websocket-protocol');
          boundary = new WebSocketFrameBoundary();
        } else if (/^spdy\/3\.1$/i.test(upgrade)) {
          spdyProtocol = headerValue(text, 'x-stream-protocol-version');
          boundary = new SpdyFrameBoundary();
          // client-go creates the error stream first (remotecommand v2+ createStreams), so the
          // client's first SYN_STREAM names it; no header block needs decompressing.
          if (execOrAttach)
            clientFrames = new SpdyFrameBoundary((frame) => {
              const control = (frame[0]! & 0x80) !== 0;
              if (errorStreamId === undefined && control && frame.length >= 12 && frame.readUInt16BE(2) === 1)
                errorStreamId = frame.readUInt32BE(8) & 0x7fffffff;
            });
        }
      },
      fromClient(chunk) {
        inner?.fromClient(chunk);
        if (clientFrames && errorStreamId === undefined) clientFrames.push(chunk);
      },
      fromServer(chunk) {
        inner?.fromServer(chunk);
        boundary?.push(chunk);
        // The relay writes this chunk right after observers saw it; end after it, not before.
        if (ending) process.nextTick(finish);
      },
      closed: () => inner?.closed(),
    };
    exchange.relayObserver = observer;
    return {
      end() {
        ending = true;
        if (established || socket.destroyed) finish();
        else socket.destroy(); // still in the handshake: nothing established to end cleanly
      },
      cut: () => socket.destroy(),
      closed: socket.destroyed ? Promise.resolve() : closedPromise(socket),
    };
  };

  const step: HostStep = {
    after: 'impersonate',
    step: {
      name: 'ops-session-drain',
      run(exchange) {
        const upgrade = exchange.kind === 'upgrade' || !exchange.res;
        const long = upgrade || (exchange.route !== undefined && isLongRunning(exchange.route));
        if (!long) return;
        if (draining) throw closingError();
        const tracked = upgrade ? trackUpgrade(exchange) : trackStream(exchange, exchange.res!);
        open.add(tracked);
        void tracked.closed.then(() => open.delete(tracked));
      },
    },
  };

  return {
    step,
    get open() {
      return open.size;
    },
    async endAll(signal) {
      draining = true;
      const ending = [...open];
      for (const tracked of ending) tracked.end();
      const onAbort = () => {
        const left = [...open];
        if (left.length > 0)
          options.logger?.warn({ cut: left.length }, 'cutting watches and sessions still open');
        for (const tracked of left) tracked.cut();
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.all(ending.map((tracked) => tracked.closed));
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (ending.length > 0) options.logger?.info({ ended: ending.length }, 'watches and sessions ended');
      return ending.length;
    },
  };
}
