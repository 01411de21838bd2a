import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RemotelerError } from '@remoteler/core';
import {
  ChannelProtocol,
  channelProtocolInfo,
  PORT_FORWARD_PROTOCOL,
  PORT_FORWARD_TUNNEL_PROTOCOL,
} from '@remoteler/core/wire';
import { type WebSocket, WebSocketServer } from 'ws';
import { failureStatus, writeRawResponse, writeStatusResponse } from './http-status.js';
import type { PodStreamTarget } from './pod-stream-target.js';
import { servePortForward } from './port-forward.js';
import { ContainerRuntime, type ContainerRuntimeOptions } from './runtime/container-runtime.js';
import { acceptSpdyUpgrade, negotiateSpdyProtocol, serveSpdyExec } from './spdy-exec.js';
import { parseStreamRequest } from './stream-request.js';
import { serveWebSocketExec } from './websocket-exec.js';
import {
  parsePortsQuery,
  serveWebSocketPortForward,
  WEBSOCKET_PORT_FORWARD_PROTOCOLS,
} from './websocket-port-forward.js';
import { webSocketByteStream } from './websocket-tunnel.js';

/**
 * WebSocket subprotocols accepted for exec/attach, in the server's preference order. v5 is what the
 * API server (1.30+) serves itself; the others are what a kubelet accepts (k8s-protocols.md §5.5).
 * v2/v3 exist only as SPDY versions, so they are refused here as the kubelet refuses them.
 */
export const WEBSOCKET_EXEC_PROTOCOLS: readonly string[] = [
  ChannelProtocol.V5,
  ChannelProtocol.V4,
  ChannelProtocol.V4_BASE64,
  ChannelProtocol.V1,
  ChannelProtocol.V1_BASE64,
];

/** Default of {@link PodStreamServerOptions.webSocketExecStartDelayMs}. */
export const DEFAULT_WEBSOCKET_EXEC_START_DELAY_MS = 50;

/** Options for {@link PodStreamServer}: those of its {@link ContainerRuntime}, or a runtime to share. */
export interface PodStreamServerOptions extends ContainerRuntimeOptions {
  /** Use this runtime instead of creating one (the server then does not close it). */
  readonly runtime?: ContainerRuntime;
  /**
   * Milliseconds a WebSocket exec or attach waits after the upgrade (the 101, then the empty first
   * message) before its process starts, unless the client sends a message first. Default
   * {@link DEFAULT_WEBSOCKET_EXEC_START_DELAY_MS} (50); 0 starts at once.
   *
   * It stands for the API server's hop to the kubelet (an SPDY dial, then the container runtime),
   * without which no real output can exist yet. kubectl 1.30-1.33 need it: they start reading the
   * socket before registering their channel readers and drop what arrives meanwhile, the exit Status
   * and the close included (client-go, fixed by kubernetes/kubernetes#131203 in 1.34). A client that
   * has sent anything (stdin, its CLOSE, a resize) has registered them, so the process then starts at
   * once. SPDY needs no delay: there the client opens the streams and the server waits for them.
   */
  readonly webSocketExecStartDelayMs?: number;
}

function offeredSubprotocols(req: IncomingMessage): string[] | undefined {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return undefined;
  return header
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
}

/**
 * The streaming half of the simulator: takes the upgrade requests of pods/exec, pods/attach and
 * pods/portforward (after the HTTP layer's authentication, authorization and pod lookup) and speaks
 * WebSocket channel.k8s.io, SPDY/3.1 and the WebSocket SPDY tunnel with kubectl, backed by a fake
 * {@link ContainerRuntime}. One per simulator.
 */
export class PodStreamServer {
  /** The fake containers: programs, filesystems, port handlers, session records. */
  readonly runtime: ContainerRuntime;
  readonly #ownsRuntime: boolean;
  readonly #wss: WebSocketServer;
  readonly #chosen = new WeakMap<IncomingMessage, string>();
  readonly #sessions = new Set<() => void>();
  readonly #webSocketExecStartDelayMs: number;
  #closed = false;

  /**
   * @throws RemotelerError `RMT_TESTKIT_OPTIONS_INVALID` when `webSocketExecStartDelayMs` is not a
   * finite number >= 0.
   */
  constructor(options: PodStreamServerOptions = {}) {
    const startDelayMs = options.webSocketExecStartDelayMs ?? DEFAULT_WEBSOCKET_EXEC_START_DELAY_MS;
    if (typeof startDelayMs !== 'number' || !Number.isFinite(startDelayMs) || startDelayMs < 0) {
      throw new RemotelerError(
        'RMT_TESTKIT_OPTIONS_INVALID',
        `streams.webSocketExecStartDelayMs must be a number of milliseconds >= 0, got ${String(startDelayMs)}`,
      );
    }
    this.#webSocketExecStartDelayMs = startDelayMs;
    this.runtime = options.runtime ?? new ContainerRuntime(options);
    this.#ownsRuntime = options.runtime === undefined;
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // kubectl sends at most 32 KiB + 1 per message; the tunnel's SPDY frames are bounded too.
      maxPayload: 16 * 1024 * 1024,
    });
    // The subprotocol is chosen before the handshake and the request header removed, because `ws`
    // validates offers as RFC 7230 tokens and `SPDY/3.1+portforward.k8s.io` (which kubectl sends) is
    // not one; the answer header is added here instead.
    this.#wss.on('headers', (headers: string[], request: IncomingMessage) => {
      const chosen = this.#chosen.get(request);
      if (chosen) headers.push(`Sec-WebSocket-Protocol: ${chosen}`);
    });
  }

  #handshake(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    protocol: string,
    ready: (ws: WebSocket) => void,
  ): void {
    if (protocol) this.#chosen.set(req, protocol);
    delete req.headers['sec-websocket-protocol'];
    this.#wss.handleUpgrade(req, socket, head, ready);
  }

  /** Number of sessions still open. */
  get openSessions(): number {
    return this.#sessions.size;
  }

  /**
   * Registers a session so that close() can end it. `start` receives the callback the session calls
   * when it is over, and returns the function that ends it (undefined when it never started).
   */
  #open(start: (ended: () => void) => (() => void) | undefined): void {
    let end: (() => void) | undefined;
    let over = false;
    const ended = () => {
      over = true;
      if (end) this.#sessions.delete(end);
    };
    end = start(ended);
    if (end && !over) this.#sessions.add(end);
  }

  /**
   * Handles one upgrade request for a pod's exec, attach or portforward subresource. The socket is
   * answered in every case: 101 and a session, or the status a real API server/kubelet sends.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: PodStreamTarget): void {
    socket.on('error', () => socket.destroy());
    if (this.#closed) {
      writeStatusResponse(
        socket,
        failureStatus(
          503,
          new RemotelerError('RMT_TESTKIT_STREAM_CLOSED', 'the simulator is closing').message,
        ),
      );
      return;
    }
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    const isWebSocket = upgrade.split(',').some((value) => value.trim() === 'websocket');
    const isSpdy = upgrade.includes('spdy/3.1');
    if (!isWebSocket && !isSpdy) {
      writeStatusResponse(
        socket,
        failureStatus(400, `unable to upgrade: unsupported upgrade protocol "${req.headers.upgrade ?? ''}"`),
      );
      return;
    }
    if (target.subresource === 'portforward') {
      this.#portForward(req, socket, head, target, isWebSocket);
      return;
    }
    const options = parseStreamRequest(req, target);
    if ('kind' in options) {
      writeStatusResponse(socket, options);
      return;
    }
    if (isSpdy && !isWebSocket) {
      this.#open((ended) => serveSpdyExec(req, socket, head, target, options, this.runtime, ended));
      return;
    }
    const offered = offeredSubprotocols(req);
    // The kubelet accepts a client that offers no subprotocol (plain channel.k8s.io) and refuses one
    // whose offers it does not know with a bare 403; that 403 is what sends kubectl back to SPDY (§5.1).
    const chosen =
      offered === undefined ? '' : offered.find((protocol) => WEBSOCKET_EXEC_PROTOCOLS.includes(protocol));
    if (chosen === undefined) {
      writeRawResponse(socket, 403);
      return;
    }
    this.#handshake(req, socket, head, chosen, (ws) => {
      this.#open((ended) => {
        ws.on('close', ended);
        return () => ws.terminate();
      });
      serveWebSocketExec(
        ws,
        channelProtocolInfo(chosen)!,
        target,
        options,
        this.runtime,
        this.#webSocketExecStartDelayMs,
      );
    });
  }

  #portForward(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: PodStreamTarget,
    isWebSocket: boolean,
  ): void {
    if (!isWebSocket) {
      const protocol = negotiateSpdyProtocol(req, socket, [PORT_FORWARD_PROTOCOL]);
      if (!protocol) return;
      acceptSpdyUpgrade(socket, protocol);
      this.#open((ended) => servePortForward(socket, head, target, this.runtime, ended));
      return;
    }
    const offered = offeredSubprotocols(req);
    if (!offered?.includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
      // The older channel-based WebSocket port-forward (§7.4), as the kubelet serves it.
      const chosen =
        offered === undefined
          ? ''
          : offered.find((protocol) => WEBSOCKET_PORT_FORWARD_PROTOCOLS.includes(protocol));
      if (chosen === undefined) {
        writeRawResponse(socket, 403);
        return;
      }
      const ports = parsePortsQuery(req.url);
      if (!ports) {
        writeStatusResponse(
          socket,
          failureStatus(400, 'query parameter "port" is required and must be 1-65535'),
        );
        return;
      }
      this.#handshake(req, socket, head, chosen, (ws) => {
        this.#open((ended) => {
          ws.on('close', ended);
          return () => ws.terminate();
        });
        serveWebSocketPortForward(
          ws,
          channelProtocolInfo(chosen || ChannelProtocol.V4)!,
          ports,
          target,
          this.runtime,
        );
      });
      return;
    }
    this.#handshake(req, socket, head, PORT_FORWARD_TUNNEL_PROTOCOL, (ws) => {
      const pipe = webSocketByteStream(ws);
      this.#open((ended) => {
        ws.on('close', ended);
        return servePortForward(pipe, Buffer.alloc(0), target, this.runtime, ended);
      });
    });
  }

  /** Ends every session and process; later upgrades get 503. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsRuntime) this.runtime.close();
    for (const end of [...this.#sessions]) end();
    this.#sessions.clear();
    this.#wss.close();
  }
}
