import {
  type ChannelProtocolInfo,
  decodeChannelMessage,
  encodeChannelMessage,
  StreamChannel,
  TerminalSizeParser,
} from '@remoteler/core/wire';
import type { RawData, WebSocket } from 'ws';
import { errorChannelContent, runExecOrAttach, sessionStatus } from './exec-session.js';
import type { PodStreamTarget } from './pod-stream-target.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';
import { type OutputSink, ProcessInput, TerminalSizeEvents } from './runtime/process-io.js';
import type { StreamRequestOptions } from './stream-request.js';

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Serves exec/attach over a channel.k8s.io WebSocket (k8s-protocols.md §5): stdin on channel 0 (EOF
 * by the v5 CLOSE signal `ff 00`), stdout 1, stderr 2, resize JSON on 4; at the end the Status on
 * channel 3 and a close frame 1000, in that order, because kubectl reads channel 3 until the close.
 * Pings are answered by `ws` itself (kubectl's read deadline needs the pongs).
 *
 * The process starts once the client has sent a message, or `startDelayMs` after the upgrade,
 * whichever comes first (`PodStreamServerOptions.webSocketExecStartDelayMs` says why).
 */
export function serveWebSocketExec(
  ws: WebSocket,
  protocol: ChannelProtocolInfo,
  target: PodStreamTarget,
  options: StreamRequestOptions,
  runtime: ContainerRuntime,
  startDelayMs: number,
): void {
  const abort = new AbortController();
  const stdin = options.stdin ? new ProcessInput() : undefined;
  const terminal = new TerminalSizeEvents();
  const resize = new TerminalSizeParser();

  // kubectl 1.30-1.33 (client-go before kubernetes/kubernetes#131203) reads the socket before it has
  // registered its channel readers and drops what arrives meanwhile ("Unknown stream id N, discarding
  // message"): the output, even the Status and the close (then "error: closed all streams"). Whatever
  // client-go sends comes after its readers exist; a client that sends nothing gets the delay a real
  // API server takes to reach the kubelet before any output exists.
  let clientReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    clientReady = resolve;
  });
  const startTimer = startDelayMs > 0 ? setTimeout(() => clientReady(), startDelayMs) : undefined;
  startTimer?.unref();
  if (startTimer === undefined) clientReady();

  const send = (channel: number, data: Buffer): Promise<void> =>
    new Promise((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      const message = encodeChannelMessage(protocol, channel, data);
      // The callback fires once the frame is handed to the socket: the process feels back-pressure.
      ws.send(message.data, { binary: message.binary }, () => resolve());
    });
  const sink = (channel: number): OutputSink => ({ write: (data) => send(channel, data) });

  ws.on('message', (data, isBinary) => {
    clientReady();
    let message: ReturnType<typeof decodeChannelMessage>;
    try {
      message = decodeChannelMessage(
        protocol,
        isBinary ? toBuffer(data) : toBuffer(data).toString('utf8'),
        isBinary,
      );
    } catch {
      // kubectl's own reader treats a malformed message as fatal; the simulator ends the session.
      ws.close(1002, 'malformed channel message');
      return;
    }
    if (message.kind === 'close') {
      if (message.channel === StreamChannel.STDIN) stdin?.end();
      return;
    }
    if (message.channel === StreamChannel.STDIN) stdin?.push(message.data);
    else if (message.channel === StreamChannel.RESIZE)
      for (const size of resize.push(message.data)) terminal.emit(size);
  });
  ws.on('close', () => {
    clearTimeout(startTimer);
    clientReady();
    stdin?.end();
    abort.abort(new Error('the client closed the WebSocket'));
  });
  ws.on('error', () => ws.terminate());

  void (async () => {
    // The API server first sends an empty message on the lowest writable channel (§5.3).
    if (protocol.version >= 4) {
      const first = options.stdout
        ? StreamChannel.STDOUT
        : options.stderr
          ? StreamChannel.STDERR
          : StreamChannel.ERROR;
      await send(first, Buffer.alloc(0));
    }
    await ready;
    // A client gone before the start never had a process.
    if (ws.readyState !== ws.OPEN) return;
    const result = await runExecOrAttach(runtime, target, options, {
      ...(stdin ? { stdin } : {}),
      ...(options.stdout ? { stdout: sink(StreamChannel.STDOUT) } : {}),
      ...(options.stderr && !options.tty ? { stderr: sink(StreamChannel.STDERR) } : {}),
      tty: options.tty,
      terminal,
      signal: abort.signal,
    });
    if (ws.readyState !== ws.OPEN) return;
    const content = errorChannelContent(protocol.version, sessionStatus(result, options.command));
    if (content) await send(StreamChannel.ERROR, Buffer.from(content));
    ws.close(1000);
  })();
}
