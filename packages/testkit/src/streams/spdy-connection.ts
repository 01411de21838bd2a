import type { Duplex } from 'node:stream';
import {
  type SpdyDecodedFrame,
  SpdyGoAwayStatus,
  type SpdyHeaders,
  SpdyRstStatus,
  SpdyStreamDecoder,
  SpdyStreamEncoder,
} from '@remoteler/core/wire';
import { ProcessInput } from './runtime/process-io.js';

// The server side of a SPDY/3.1 connection as the kubelet runs it for kubectl (k8s-protocols.md §6):
// the client opens every stream, the server answers each SYN_STREAM with a SYN_REPLY before any DATA
// (spdystream drops DATA for unreplied streams), echoes the client's PINGs, enforces no flow control
// and sends no WINDOW_UPDATE (§6.4), and ends with GOAWAY.

/** kubectl writes at most 32 KiB per DATA frame; the simulator does the same. */
const MAX_DATA_FRAME = 32 * 1024;

/** One client-initiated stream. */
export class SpdyServerStream {
  readonly id: number;
  /** Headers of the SYN_STREAM, lowercase names. */
  readonly headers: SpdyHeaders;
  /** Bytes the client sends on this stream; ends at the client's FIN, a RST or the connection's end. */
  readonly incoming = new ProcessInput();
  readonly #connection: SpdyServerConnection;
  #finished = false;
  #reset = false;

  constructor(connection: SpdyServerConnection, id: number, headers: SpdyHeaders) {
    this.#connection = connection;
    this.id = id;
    this.headers = headers;
  }

  /** The first value of a header. */
  header(name: string): string | undefined {
    return this.headers[name]?.[0];
  }

  /** Whether the server side is closed (FIN sent, or the stream was reset). */
  get finished(): boolean {
    return this.#finished || this.#reset;
  }

  /** Sends bytes in DATA frames of at most 32 KiB; resolves when the socket took them. */
  async write(data: Uint8Array): Promise<void> {
    if (this.finished) return;
    for (let offset = 0; offset < data.length; offset += MAX_DATA_FRAME) {
      const chunk = Buffer.from(data.subarray(offset, offset + MAX_DATA_FRAME));
      await this.#connection.send({ type: 'data', streamId: this.id, fin: false, data: chunk });
    }
  }

  /** Half-closes the server side with an empty DATA frame carrying FIN (spdystream's `Close`). Idempotent. */
  async end(): Promise<void> {
    if (this.finished) return;
    this.#finished = true;
    await this.#connection.send({ type: 'data', streamId: this.id, fin: true, data: Buffer.alloc(0) });
  }

  /** Aborts the stream with RST_STREAM (default CANCEL). */
  async resetStream(status: number = SpdyRstStatus.CANCEL): Promise<void> {
    if (this.#reset) return;
    this.markReset();
    await this.#connection.send({ type: 'rst_stream', streamId: this.id, status });
  }

  /** @internal Called when the client reset the stream or the connection ended. */
  markReset(): void {
    this.#reset = true;
    this.incoming.end();
  }
}

/** Callbacks of a {@link SpdyServerConnection}. */
export interface SpdyServerHandlers {
  /**
   * A client opened a stream. Return true to accept it (a SYN_REPLY is sent first), false to refuse it
   * (RST_STREAM REFUSED_STREAM, as the kubelet does for streams it cannot use).
   */
  onStream(stream: SpdyServerStream): boolean;
  /** The connection is gone (socket closed, GOAWAY handled, or a protocol error). */
  onClose?(error?: Error): void;
}

/** A server-side SPDY/3.1 session over an upgraded socket (or the byte pipe of a WebSocket tunnel). */
export class SpdyServerConnection {
  readonly #socket: Duplex;
  readonly #handlers: SpdyServerHandlers;
  readonly #decoder = new SpdyStreamDecoder({ maxFrameLength: 1024 * 1024 });
  readonly #encoder = new SpdyStreamEncoder();
  readonly #streams = new Map<number, SpdyServerStream>();
  #writeTail: Promise<void> = Promise.resolve();
  #readTail: Promise<void> = Promise.resolve();
  #lastStreamId = 0;
  #closed = false;
  #goAwayReceived = false;
  #closing = false;

  constructor(socket: Duplex, head: Buffer, handlers: SpdyServerHandlers) {
    this.#socket = socket;
    this.#handlers = handlers;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => this.destroy());
    socket.on('close', () => this.destroy());
    socket.on('error', (error: Error) => this.destroy(error));
    if (head.length > 0) this.#receive(head);
  }

  /** True once the connection has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once the client sent GOAWAY (kubectl does at the end of a session). */
  get goAwayReceived(): boolean {
    return this.#goAwayReceived;
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    const decoded = this.#decoder.push(chunk);
    // Handled below, in order; this only stops an early rejection from counting as unhandled.
    decoded.catch(() => undefined);
    this.#readTail = this.#readTail
      .then(async () => {
        for (const frame of await decoded) await this.#handle(frame);
      })
      .catch((error: Error) => this.destroy(error));
  }

  async #handle(frame: SpdyDecodedFrame): Promise<void> {
    if (this.#closed) return;
    switch (frame.type) {
      case 'syn_stream': {
        if (
          frame.streamId % 2 === 0 ||
          frame.streamId <= this.#lastStreamId ||
          this.#streams.has(frame.streamId)
        ) {
          await this.send({
            type: 'rst_stream',
            streamId: frame.streamId,
            status: SpdyRstStatus.PROTOCOL_ERROR,
          });
          return;
        }
        this.#lastStreamId = frame.streamId;
        const stream = new SpdyServerStream(this, frame.streamId, frame.headerBlock);
        this.#streams.set(frame.streamId, stream);
        if (frame.fin) stream.incoming.end();
        if (!this.#handlers.onStream(stream)) {
          this.#streams.delete(frame.streamId);
          await stream.resetStream(SpdyRstStatus.REFUSED_STREAM);
          return;
        }
        // The reply is queued before any DATA the handler may write, since sends are serialised.
        await this.send({ type: 'syn_reply', streamId: frame.streamId, fin: false, headerBlock: {} });
        return;
      }
      case 'data': {
        const stream = this.#streams.get(frame.streamId);
        if (!stream) return;
        stream.incoming.push(frame.data);
        if (frame.fin) stream.incoming.end();
        return;
      }
      case 'rst_stream':
        this.#streams.get(frame.streamId)?.markReset();
        this.#streams.delete(frame.streamId);
        return;
      case 'ping':
        // Echo only the peer's pings: client ids are odd (SPDY/3.1 §2.6.5).
        if (frame.id % 2 === 1) await this.send({ type: 'ping', id: frame.id });
        return;
      case 'goaway':
        this.#goAwayReceived = true;
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, HEADERS and unknown frames are ignored, as spdystream does.
        return;
    }
  }

  /** Queues a frame; frames go out in call order (header blocks share one zlib stream). */
  send(frame: SpdyDecodedFrame): Promise<void> {
    const result = this.#writeTail.then(async () => {
      if (this.#closed || this.#socket.destroyed) return;
      const bytes = await this.#encoder.encode(frame);
      if (this.#socket.destroyed || this.#socket.writableEnded) return;
      if (!this.#socket.write(bytes))
        await new Promise<void>((resolve) => {
          const done = () => {
            this.#socket.off('drain', done);
            this.#socket.off('close', done);
            resolve();
          };
          this.#socket.on('drain', done);
          this.#socket.on('close', done);
        });
    });
    this.#writeTail = result.catch(() => undefined);
    return result;
  }

  /** Sends GOAWAY (OK) after everything queued, then ends the socket. Idempotent. */
  close(): void {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    // A peer that stopped reading would keep the GOAWAY queued forever; give it a moment, then cut.
    const cut = setTimeout(() => this.destroy(new Error('the peer did not take the GOAWAY')), 1_000);
    cut.unref();
    void this.send({
      type: 'goaway',
      lastGoodStreamId: this.#lastStreamId,
      status: SpdyGoAwayStatus.OK,
    }).finally(() => {
      clearTimeout(cut);
      this.#socket.end();
      this.destroy();
    });
  }

  /** Ends the connection at once: every stream's input ends. Idempotent. */
  destroy(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#streams.values()) stream.markReset();
    this.#streams.clear();
    this.#decoder.close();
    this.#encoder.close();
    if (error) this.#socket.destroy();
    else if (!this.#socket.writableEnded) this.#socket.end();
    this.#handlers.onClose?.(error);
  }
}
