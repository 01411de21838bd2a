import { RemotelerError } from '../errors/index.js';

// RFC 6455 §5.2 framing, for relays that must read the WebSocket sessions they pass through
// (exec/attach channels, the port-forward tunnel) without terminating them.

/** Frame opcodes (RFC 6455 §5.2). */
export const WebSocketOpcode = Object.freeze({
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
});

/** One frame, payload already unmasked. */
export interface WebSocketFrame {
  readonly fin: boolean;
  readonly opcode: number;
  /** Whether the sender masked it (clients must, servers must not: RFC 6455 §5.1). */
  readonly masked: boolean;
  readonly payload: Buffer;
}

/** A reassembled event: a whole data message, or a control frame. */
export type WebSocketEvent =
  | { readonly kind: 'message'; readonly binary: boolean; readonly data: Buffer }
  | { readonly kind: 'ping' | 'pong'; readonly data: Buffer }
  | { readonly kind: 'close'; readonly code: number | undefined; readonly reason: string };

/** Options for {@link WebSocketMessageParser}. */
export interface WebSocketMessageParserOptions {
  /**
   * Largest frame payload and largest reassembled message, in bytes. Default 16 MiB; kubectl sends at
   * most 32 KiB + 1 per message.
   */
  readonly maxPayload?: number;
}

function invalid(message: string): RemotelerError {
  return new RemotelerError('RMT_WIRE_WEBSOCKET_FRAME_INVALID', message);
}

/**
 * Incremental RFC 6455 parser: bytes in (any chunking), events out, with fragmented messages
 * reassembled and control frames (which may sit between fragments, §5.4) reported where they occur.
 * Extensions are not supported, so a frame with RSV bits set is an error (kubectl negotiates none).
 */
export class WebSocketMessageParser {
  readonly #maxPayload: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;
  #fragmentBinary: boolean | undefined;
  #failed: RemotelerError | undefined;

  constructor(options: WebSocketMessageParserOptions = {}) {
    this.#maxPayload = options.maxPayload ?? 16 * 1024 * 1024;
  }

  /** Adds bytes; returns every event they complete, in order. */
  push(chunk: Uint8Array): WebSocketEvent[] {
    if (this.#failed) throw this.#failed;
    if (chunk.length > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#buffered += chunk.length;
    }
    const events: WebSocketEvent[] = [];
    try {
      for (;;) {
        const frame = this.#nextFrame();
        if (!frame) break;
        const event = this.#assemble(frame);
        if (event) events.push(event);
      }
    } catch (error) {
      this.#failed = RemotelerError.is(error) ? error : invalid(String(error));
      throw this.#failed;
    }
    return events;
  }

  #nextFrame(): WebSocketFrame | undefined {
    if (this.#buffered < 2) return undefined;
    if (this.#chunks[0]!.length < 14 && this.#chunks.length > 1) this.#flatten();
    const head = this.#chunks[0]!;
    const first = head[0]!;
    const second = head[1]!;
    if ((first & 0x70) !== 0)
      throw invalid('a WebSocket frame has RSV bits set without a negotiated extension');
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (head.length < 4) return undefined;
      length = head.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (head.length < 10) return undefined;
      const high = head.readUInt32BE(2);
      if (high > 0x1fffff) throw invalid('a WebSocket frame length does not fit 53 bits');
      length = high * 2 ** 32 + head.readUInt32BE(6);
      offset = 10;
    }
    if (length > this.#maxPayload)
      throw new RemotelerError(
        'RMT_WIRE_FRAME_TOO_LARGE',
        `a WebSocket frame announced ${length} bytes, above the limit of ${this.#maxPayload}`,
      );
    const maskOffset = offset;
    if (masked) offset += 4;
    if (this.#buffered < offset + length) return undefined;
    const buffer = this.#flatten();
    const payload = Buffer.from(buffer.subarray(offset, offset + length));
    if (masked) {
      const mask = buffer.subarray(maskOffset, maskOffset + 4);
      for (let index = 0; index < payload.length; index++) payload[index]! ^= mask[index & 3]!;
    }
    const rest = buffer.subarray(offset + length);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return { fin, opcode, masked, payload };
  }

  #assemble(frame: WebSocketFrame): WebSocketEvent | undefined {
    const { opcode } = frame;
    if (opcode >= 0x8) {
      if (!frame.fin) throw invalid('a WebSocket control frame is fragmented');
      if (frame.payload.length > 125) throw invalid('a WebSocket control frame carries more than 125 bytes');
      if (opcode === WebSocketOpcode.PING) return { kind: 'ping', data: frame.payload };
      if (opcode === WebSocketOpcode.PONG) return { kind: 'pong', data: frame.payload };
      if (opcode === WebSocketOpcode.CLOSE) {
        if (frame.payload.length === 1) throw invalid('a WebSocket close frame carries a one-byte payload');
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined;
        return { kind: 'close', code, reason: frame.payload.subarray(2).toString('utf8') };
      }
      throw invalid(`WebSocket opcode ${opcode} is reserved`);
    }
    if (opcode === WebSocketOpcode.CONTINUATION) {
      if (this.#fragmentBinary === undefined)
        throw invalid('a WebSocket continuation frame starts no message');
    } else if (opcode === WebSocketOpcode.TEXT || opcode === WebSocketOpcode.BINARY) {
      if (this.#fragmentBinary !== undefined) throw invalid('a WebSocket message starts inside another');
      this.#fragmentBinary = opcode === WebSocketOpcode.BINARY;
    } else {
      throw invalid(`WebSocket opcode ${opcode} is reserved`);
    }
    this.#fragments.push(frame.payload);
    this.#fragmentBytes += frame.payload.length;
    if (this.#fragmentBytes > this.#maxPayload)
      throw new RemotelerError(
        'RMT_WIRE_FRAME_TOO_LARGE',
        `a WebSocket message grew above the limit of ${this.#maxPayload} bytes`,
      );
    if (!frame.fin) return undefined;
    const event: WebSocketEvent = {
      kind: 'message',
      binary: this.#fragmentBinary!,
      data: Buffer.concat(this.#fragments, this.#fragmentBytes),
    };
    this.#fragments = [];
    this.#fragmentBytes = 0;
    this.#fragmentBinary = undefined;
    return event;
  }

  #flatten(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }
}

/** Options for {@link encodeWebSocketFrame}. */
export interface WebSocketFrameInit {
  readonly opcode: number;
  readonly payload?: Uint8Array;
  /** Default true. */
  readonly fin?: boolean;
  /** A 4-byte masking key; clients must mask (RFC 6455 §5.3). Default: unmasked. */
  readonly mask?: Uint8Array;
}

/** Serialises one frame (RFC 6455 §5.2). */
export function encodeWebSocketFrame(init: WebSocketFrameInit): Buffer {
  const payload = Buffer.from(init.payload ?? new Uint8Array(0));
  const fin = init.fin ?? true;
  const length = payload.length;
  const extra = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  const header = Buffer.alloc(2 + extra + (init.mask ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | (init.opcode & 0x0f);
  header[1] = (init.mask ? 0x80 : 0) | (length < 126 ? length : extra === 2 ? 126 : 127);
  if (extra === 2) header.writeUInt16BE(length, 2);
  if (extra === 8) {
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (init.mask) {
    if (init.mask.length !== 4) throw invalid('a WebSocket masking key is 4 bytes');
    Buffer.from(init.mask).copy(header, 2 + extra);
    for (let index = 0; index < payload.length; index++) payload[index]! ^= init.mask[index & 3]!;
  }
  return Buffer.concat([header, payload]);
}
