import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpdyExecProtocol, SpdyStreamType, TerminalSizeParser } from '@remoteler/core/wire';
import { errorChannelContent, runExecOrAttach, sessionStatus } from './exec-session.js';
import { writeRawResponse } from './http-status.js';
import type { PodStreamTarget } from './pod-stream-target.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';
import { TerminalSizeEvents } from './runtime/process-io.js';
import { SpdyServerConnection, type SpdyServerStream } from './spdy-connection.js';
import type { StreamRequestOptions } from './stream-request.js';

/**
 * What the simulated kubelet negotiates over SPDY, in preference order. Like a real kubelet it does not
 * speak v5 over SPDY, so kubectl 1.29+ (which offers v5 first) ends up on v4 (k8s-protocols.md §6.1).
 */
export const SPDY_EXEC_PROTOCOLS = [
  SpdyExecProtocol.V4,
  SpdyExecProtocol.V3,
  SpdyExecProtocol.V2,
  SpdyExecProtocol.V1,
];

const VERSION_OF: Readonly<Record<string, number>> = {
  [SpdyExecProtocol.V4]: 4,
  [SpdyExecProtocol.V3]: 3,
  [SpdyExecProtocol.V2]: 2,
  [SpdyExecProtocol.V1]: 1,
};

/** The kubelet waits this long for the client's streams (`DefaultStreamCreationTimeout`). */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** `X-Stream-Protocol-Version` values of a request, in the client's order. */
export function requestedStreamProtocols(req: IncomingMessage): string[] {
  const raw = req.headersDistinct['x-stream-protocol-version'] ?? [];
  return raw
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}

/**
 * Picks the first client protocol the server supports (client order wins), or answers the refusal
 * the kubelet sends: 400 when the header is missing, 403 with the accepted list otherwise (§6.1).
 */
export function negotiateSpdyProtocol(
  req: IncomingMessage,
  socket: Duplex,
  supported: readonly string[],
): string | undefined {
  const offered = requestedStreamProtocols(req);
  if (offered.length === 0) {
    writeRawResponse(socket, 400, 'unable to upgrade: X-Stream-Protocol-Version is required', [
      ['Content-Type', 'text/plain; charset=utf-8'],
    ]);
    return undefined;
  }
  const chosen = offered.find((protocol) => supported.includes(protocol));
  if (!chosen) {
    writeRawResponse(
      socket,
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
      [
        ['Content-Type', 'text/plain; charset=utf-8'],
        ...supported.map((value) => ['X-Accepted-Stream-Protocol-Versions', value] as const),
      ],
    );
    return undefined;
  }
  return chosen;
}

/** Writes the 101 that switches the connection to SPDY/3.1 with the negotiated protocol. */
export function acceptSpdyUpgrade(socket: Duplex, protocol: string): void {
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
}

/**
 * Serves exec/attach over SPDY/3.1: waits for the streams the request implies (error, stdin, stdout,
 * stderr or resize), mapped by their `streamtype` header, never by id (§6.3); runs the process; then
 * FINs stdout/stderr, sends the Status (v4) or the error text (v1-v3) on the error stream, and closes.
 * Returns a function that ends the session.
 */
export function serveSpdyExec(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: PodStreamTarget,
  options: StreamRequestOptions,
  runtime: ContainerRuntime,
  onEnd: () => void,
): (() => void) | undefined {
  const protocol = negotiateSpdyProtocol(req, socket, SPDY_EXEC_PROTOCOLS);
  if (!protocol) return undefined;
  const version = VERSION_OF[protocol] ?? 1;
  const expected = new Set<string>([SpdyStreamType.ERROR]);
  if (options.stdin) expected.add(SpdyStreamType.STDIN);
  if (options.stdout) expected.add(SpdyStreamType.STDOUT);
  if (options.stderr && !options.tty) expected.add(SpdyStreamType.STDERR);
  if (options.tty && version >= 3) expected.add(SpdyStreamType.RESIZE);

  const streams = new Map<string, SpdyServerStream>();
  const abort = new AbortController();
  let ready: () => void = () => undefined;
  const allStreams = new Promise<void>((resolve) => {
    ready = resolve;
  });
  acceptSpdyUpgrade(socket, protocol);
  const connection = new SpdyServerConnection(socket, head, {
    onStream(stream) {
      const type = stream.header('streamtype') ?? '';
      if (!expected.has(type) || streams.has(type)) return false;
      streams.set(type, stream);
      if (streams.size === expected.size) ready();
      return true;
    },
    onClose() {
      abort.abort(new Error('the client closed the connection'));
      ready();
      onEnd();
    },
  });
  const timeout = setTimeout(() => connection.destroy(), STREAM_CREATION_TIMEOUT_MS);
  timeout.unref();

  void (async () => {
    await allStreams;
    clearTimeout(timeout);
    if (connection.closed) return;
    const terminal = new TerminalSizeEvents();
    const resize = streams.get(SpdyStreamType.RESIZE);
    if (resize)
      void (async () => {
        const parser = new TerminalSizeParser();
        for await (const chunk of resize.incoming) for (const size of parser.push(chunk)) terminal.emit(size);
      })();
    const stdout = streams.get(SpdyStreamType.STDOUT);
    const stderr = streams.get(SpdyStreamType.STDERR);
    const result = await runExecOrAttach(runtime, target, options, {
      ...(streams.get(SpdyStreamType.STDIN) ? { stdin: streams.get(SpdyStreamType.STDIN)!.incoming } : {}),
      ...(stdout ? { stdout: { write: (data: Buffer) => stdout.write(data) } } : {}),
      ...(stderr ? { stderr: { write: (data: Buffer) => stderr.write(data) } } : {}),
      tty: options.tty,
      terminal,
      signal: abort.signal,
    });
    if (connection.closed) return;
    await stdout?.end();
    await stderr?.end();
    const error = streams.get(SpdyStreamType.ERROR)!;
    const content = errorChannelContent(version, sessionStatus(result, options.command));
    if (content) await error.write(Buffer.from(content));
    await error.end();
    // kubectl resets its streams and sends GOAWAY itself once it has read the status (§6.3); a client
    // that does not is disconnected after a grace period.
    const grace = setTimeout(() => connection.close(), 2_000);
    grace.unref();
  })();
  // Ending a session (the simulator closing) says GOAWAY first, as spdystream's Close does.
  return () => connection.close();
}
