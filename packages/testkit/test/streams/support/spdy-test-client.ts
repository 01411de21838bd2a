import type { Duplex } from 'node:stream';
import {
  type SpdyDecodedFrame,
  type SpdyHeaders,
  SpdyStreamDecoder,
  SpdyStreamEncoder,
} from '@remoteler/core/wire';

/** One client stream of {@link SpdyTestClient}: what the server sent on it. */
export interface ClientStream {
  readonly id: number;
  readonly replied: Promise<void>;
  /** Resolves with every byte the server sent, at the server's FIN or RST. */
  readonly received: Promise<Buffer>;
  send(data: string | Buffer, fin?: boolean): Promise<void>;
}

/**
 * A minimal SPDY/3.1 client speaking like kubectl's spdystream: odd stream ids, one stream at a time,
 * each waiting for its SYN_REPLY. Built on the core codecs, so it doubles as their interop test.
 */
export class SpdyTestClient {
  readonly #socket: Duplex;
  readonly #encoder = new SpdyStreamEncoder();
  readonly #decoder = new SpdyStreamDecoder();
  readonly #streams = new Map<
    number,
    { chunks: Buffer[]; reply: () => void; done: (data: Buffer) => void }
  >();
  #nextId = 1;
  #tail: Promise<void> = Promise.resolve();
  readonly frames: SpdyDecodedFrame[] = [];
  readonly closed: Promise<void>;

  constructor(socket: Duplex, head: Buffer = Buffer.alloc(0)) {
    this.#socket = socket;
    const receive = (chunk: Buffer) => {
      const decoded = this.#decoder.push(chunk);
      decoded.catch(() => undefined);
      this.#tail = this.#tail.then(async () => {
        for (const frame of await decoded) this.#handle(frame);
      });
    };
    if (head.length > 0) receive(head);
    socket.on('data', receive);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.closed.then(() => {
      for (const stream of this.#streams.values()) stream.done(Buffer.concat(stream.chunks));
      this.#encoder.close();
      this.#decoder.close();
    });
  }

  #handle(frame: SpdyDecodedFrame): void {
    this.frames.push(frame);
    if (frame.type === 'syn_reply') this.#streams.get(frame.streamId)?.reply();
    if (frame.type === 'data') {
      const stream = this.#streams.get(frame.streamId);
      if (!stream) return;
      stream.chunks.push(frame.data);
      if (frame.fin) stream.done(Buffer.concat(stream.chunks));
    }
    if (frame.type === 'rst_stream') {
      const stream = this.#streams.get(frame.streamId);
      stream?.reply();
      stream?.done(Buffer.concat(stream.chunks));
    }
  }

  async #write(frame: SpdyDecodedFrame): Promise<void> {
    const bytes = await this.#encoder.encode(frame);
    this.#socket.write(bytes);
  }

  /** Opens a stream with these headers and waits for the server's SYN_REPLY (or RST). */
  async open(headers: SpdyHeaders): Promise<ClientStream> {
    const id = this.#nextId;
    this.#nextId += 2;
    let reply!: () => void;
    let done!: (data: Buffer) => void;
    const replied = new Promise<void>((resolve) => {
      reply = resolve;
    });
    const received = new Promise<Buffer>((resolve) => {
      done = resolve;
    });
    this.#streams.set(id, { chunks: [], reply, done });
    await this.#write({
      type: 'syn_stream',
      streamId: id,
      associatedStreamId: 0,
      priority: 0,
      slot: 0,
      fin: false,
      unidirectional: false,
      headerBlock: headers,
    });
    await replied;
    return {
      id,
      replied,
      received,
      send: (data, fin = false) =>
        this.#write({
          type: 'data',
          streamId: id,
          fin,
          data: typeof data === 'string' ? Buffer.from(data) : data,
        }),
    };
  }

  /** Sends a PING and resolves when the server echoes it. */
  async ping(id: number): Promise<void> {
    const seen = this.frames.length;
    await this.#write({ type: 'ping', id });
    while (!this.frames.slice(seen).some((frame) => frame.type === 'ping' && frame.id === id))
      await new Promise<void>((resolve) => this.#socket.once('data', () => setImmediate(resolve)));
  }

  /** Sends GOAWAY like kubectl at the end of a session. */
  goAway(): Promise<void> {
    return this.#write({ type: 'goaway', lastGoodStreamId: 0, status: 0 });
  }
}
