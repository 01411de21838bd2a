import { RemotelerError } from '../errors/index.js';

// SPDY/3.1 framing as kubectl's spdystream speaks it (SPDY draft 3.1 §2.2; all integers big-endian).
// Control frames: 1 bit set, 15-bit version (3), 16-bit type, 8-bit flags, 24-bit length. Data frames:
// 1 bit clear, 31-bit stream id, flags, length. Header blocks stay compressed at this layer; see
// spdy-header-block.ts for the zlib stream they belong to.

/** The only SPDY version kubectl speaks. */
export const SPDY_VERSION = 3;

/** Control frame type numbers (SPDY/3.1 §2.6). Type 5 (NOOP in SPDY/2) is not defined. */
export const SpdyFrameType = Object.freeze({
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
});

/** RST_STREAM status codes (SPDY/3.1 §2.4.2). kubectl aborts streams with CANCEL. */
export const SpdyRstStatus = Object.freeze({
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  INVALID_CREDENTIALS: 10,
  FRAME_TOO_LARGE: 11,
});

/** GOAWAY status codes (SPDY/3.1 §2.6.6). */
export const SpdyGoAwayStatus = Object.freeze({ OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 });

/** Flag bits. FIN half-closes the sender's side; UNIDIRECTIONAL only appears on SYN_STREAM. */
export const SpdyFlag = Object.freeze({ FIN: 0x01, UNIDIRECTIONAL: 0x02, CLEAR_SETTINGS: 0x01 });

/** Largest payload a frame can announce (24-bit length). */
export const SPDY_MAX_FRAME_LENGTH = 0xffffff;

/** A DATA frame. `fin` with an empty `data` is spdystream's half-close. */
export interface SpdyDataFrame {
  readonly type: 'data';
  readonly streamId: number;
  readonly fin: boolean;
  readonly data: Buffer;
}

/** SYN_STREAM: the client opens a stream; kubectl's only header is `streamtype` (plus `port`/`requestid`). */
export interface SpdySynStreamFrame<B = Buffer> {
  readonly type: 'syn_stream';
  readonly streamId: number;
  readonly associatedStreamId: number;
  /** 0 (highest) to 7, from the top 3 bits of its byte. */
  readonly priority: number;
  readonly slot: number;
  readonly fin: boolean;
  readonly unidirectional: boolean;
  readonly headerBlock: B;
}

/** SYN_REPLY: the receiver accepts a stream. spdystream drops DATA that arrives before it. */
export interface SpdySynReplyFrame<B = Buffer> {
  readonly type: 'syn_reply';
  readonly streamId: number;
  readonly fin: boolean;
  readonly headerBlock: B;
}

/** HEADERS: more headers for an open stream. */
export interface SpdyHeadersFrame<B = Buffer> {
  readonly type: 'headers';
  readonly streamId: number;
  readonly fin: boolean;
  readonly headerBlock: B;
}

/** RST_STREAM: abort one stream. */
export interface SpdyRstStreamFrame {
  readonly type: 'rst_stream';
  readonly streamId: number;
  readonly status: number;
}

/** One SETTINGS entry. */
export interface SpdySetting {
  readonly flags: number;
  readonly id: number;
  readonly value: number;
}

/** SETTINGS. spdystream ignores them (no flow control is enforced, §6.4). */
export interface SpdySettingsFrame {
  readonly type: 'settings';
  readonly clear: boolean;
  readonly entries: readonly SpdySetting[];
}

/** PING: a peer echoes pings whose id parity differs from the ids it sends itself. */
export interface SpdyPingFrame {
  readonly type: 'ping';
  readonly id: number;
}

/** GOAWAY: no new streams after `lastGoodStreamId`. */
export interface SpdyGoAwayFrame {
  readonly type: 'goaway';
  readonly lastGoodStreamId: number;
  readonly status: number;
}

/** WINDOW_UPDATE. Parsed for completeness; kubectl neither sends nor honours them. */
export interface SpdyWindowUpdateFrame {
  readonly type: 'window_update';
  readonly streamId: number;
  readonly delta: number;
}

/** A control frame of a type SPDY/3.1 does not define; a receiver should ignore it. */
export interface SpdyUnknownControlFrame {
  readonly type: 'unknown';
  readonly frameType: number;
  readonly flags: number;
  readonly payload: Buffer;
}

/**
 * Any SPDY/3.1 frame. `B` is what a header block holds: the compressed bytes (`Buffer`, as on the wire)
 * or decoded headers (see `SpdyHeaders`) once a `SpdyStreamDecoder` has inflated them.
 */
export type SpdyFrame<B = Buffer> =
  | SpdyDataFrame
  | SpdySynStreamFrame<B>
  | SpdySynReplyFrame<B>
  | SpdyHeadersFrame<B>
  | SpdyRstStreamFrame
  | SpdySettingsFrame
  | SpdyPingFrame
  | SpdyGoAwayFrame
  | SpdyWindowUpdateFrame
  | SpdyUnknownControlFrame;

const ID31 = 0x7fffffff;

function invalid(message: string): RemotelerError {
  return new RemotelerError('RMT_WIRE_SPDY_FRAME_INVALID', message);
}

function controlHeader(type: number, flags: number, length: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return header;
}

function checkId(name: string, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > ID31) throw invalid(`${name} ${id} is not a 31-bit integer`);
}

function checkLength(length: number): void {
  if (length > SPDY_MAX_FRAME_LENGTH)
    throw new RemotelerError('RMT_WIRE_FRAME_TOO_LARGE', `a SPDY frame cannot carry ${length} bytes`);
}

/**
 * Serialises one frame with an already-compressed header block. Throws `RMT_WIRE_SPDY_FRAME_INVALID`
 * for ids outside 31 bits and `RMT_WIRE_FRAME_TOO_LARGE` above 2^24-1 payload bytes.
 */
export function encodeSpdyFrame(frame: SpdyFrame): Buffer {
  switch (frame.type) {
    case 'data': {
      checkId('stream id', frame.streamId);
      checkLength(frame.data.length);
      const header = Buffer.alloc(8);
      header.writeUInt32BE(frame.streamId, 0);
      header.writeUInt32BE(((frame.fin ? SpdyFlag.FIN : 0) << 24) | frame.data.length, 4);
      return Buffer.concat([header, frame.data]);
    }
    case 'syn_stream': {
      checkId('stream id', frame.streamId);
      checkId('associated stream id', frame.associatedStreamId);
      const body = Buffer.alloc(10);
      body.writeUInt32BE(frame.streamId, 0);
      body.writeUInt32BE(frame.associatedStreamId, 4);
      body.writeUInt8((frame.priority & 0x07) << 5, 8);
      body.writeUInt8(frame.slot & 0xff, 9);
      const flags = (frame.fin ? SpdyFlag.FIN : 0) | (frame.unidirectional ? SpdyFlag.UNIDIRECTIONAL : 0);
      const length = body.length + frame.headerBlock.length;
      checkLength(length);
      return Buffer.concat([controlHeader(SpdyFrameType.SYN_STREAM, flags, length), body, frame.headerBlock]);
    }
    case 'syn_reply':
    case 'headers': {
      checkId('stream id', frame.streamId);
      const body = Buffer.alloc(4);
      body.writeUInt32BE(frame.streamId, 0);
      const length = body.length + frame.headerBlock.length;
      checkLength(length);
      const type = frame.type === 'syn_reply' ? SpdyFrameType.SYN_REPLY : SpdyFrameType.HEADERS;
      return Buffer.concat([
        controlHeader(type, frame.fin ? SpdyFlag.FIN : 0, length),
        body,
        frame.headerBlock,
      ]);
    }
    case 'rst_stream': {
      checkId('stream id', frame.streamId);
      const body = Buffer.alloc(8);
      body.writeUInt32BE(frame.streamId, 0);
      body.writeUInt32BE(frame.status >>> 0, 4);
      return Buffer.concat([controlHeader(SpdyFrameType.RST_STREAM, 0, 8), body]);
    }
    case 'settings': {
      const body = Buffer.alloc(4 + 8 * frame.entries.length);
      body.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((entry, index) => {
        body.writeUInt32BE((((entry.flags & 0xff) << 24) | (entry.id & 0xffffff)) >>> 0, 4 + index * 8);
        body.writeUInt32BE(entry.value >>> 0, 8 + index * 8);
      });
      const flags = frame.clear ? SpdyFlag.CLEAR_SETTINGS : 0;
      return Buffer.concat([controlHeader(SpdyFrameType.SETTINGS, flags, body.length), body]);
    }
    case 'ping': {
      const body = Buffer.alloc(4);
      body.writeUInt32BE(frame.id >>> 0, 0);
      return Buffer.concat([controlHeader(SpdyFrameType.PING, 0, 4), body]);
    }
    case 'goaway': {
      checkId('last good stream id', frame.lastGoodStreamId);
      const body = Buffer.alloc(8);
      body.writeUInt32BE(frame.lastGoodStreamId, 0);
      body.writeUInt32BE(frame.status >>> 0, 4);
      return Buffer.concat([controlHeader(SpdyFrameType.GOAWAY, 0, 8), body]);
    }
    case 'window_update': {
      checkId('stream id', frame.streamId);
      checkId('delta window size', frame.delta);
      const body = Buffer.alloc(8);
      body.writeUInt32BE(frame.streamId, 0);
      body.writeUInt32BE(frame.delta, 4);
      return Buffer.concat([controlHeader(SpdyFrameType.WINDOW_UPDATE, 0, 8), body]);
    }
    case 'unknown': {
      checkLength(frame.payload.length);
      return Buffer.concat([
        controlHeader(frame.frameType, frame.flags, frame.payload.length),
        frame.payload,
      ]);
    }
  }
}

/** Options for {@link SpdyFrameParser}. */
export interface SpdyFrameParserOptions {
  /**
   * Largest payload accepted, in bytes; a larger announced length throws `RMT_WIRE_FRAME_TOO_LARGE`
   * before any of it is buffered. Default 16 MiB - 1 (the protocol maximum); kubectl sends at most
   * 32 KiB of DATA per frame.
   */
  readonly maxFrameLength?: number;
}

/**
 * Incremental SPDY/3.1 frame parser: feed it bytes in chunks of any size (a TCP read, a WebSocket
 * message of the port-forward tunnel, which does not follow frame boundaries, §7.3) and it returns
 * every frame completed so far. Header blocks stay compressed. A malformed frame throws, and the
 * parser is unusable afterwards (the byte stream cannot be resynchronised).
 */
export class SpdyFrameParser {
  readonly #maxFrameLength: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #failed: RemotelerError | undefined;

  constructor(options: SpdyFrameParserOptions = {}) {
    this.#maxFrameLength = options.maxFrameLength ?? SPDY_MAX_FRAME_LENGTH;
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Adds bytes and returns the frames they complete, in order. */
  push(chunk: Uint8Array): SpdyFrame[] {
    if (this.#failed) throw this.#failed;
    if (chunk.length > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#buffered += chunk.length;
    }
    const frames: SpdyFrame[] = [];
    try {
      for (;;) {
        if (this.#buffered < 8) break;
        // Only the 8-byte header is made contiguous until the whole frame is there, so a frame that
        // trickles in byte by byte is copied once, not once per chunk.
        if (this.#chunks[0]!.length < 8) this.#flatten();
        const length = this.#chunks[0]!.readUInt32BE(4) & 0xffffff;
        if (length > this.#maxFrameLength)
          throw new RemotelerError(
            'RMT_WIRE_FRAME_TOO_LARGE',
            `a SPDY frame announced ${length} bytes, above the limit of ${this.#maxFrameLength}`,
          );
        if (this.#buffered < 8 + length) break;
        const buffer = this.#flatten();
        frames.push(parseFrame(buffer.subarray(0, 8 + length)));
        const rest = buffer.subarray(8 + length);
        this.#chunks = rest.length > 0 ? [rest] : [];
        this.#buffered = rest.length;
      }
    } catch (error) {
      this.#failed = RemotelerError.is(error) ? error : invalid(String(error));
      throw this.#failed;
    }
    return frames;
  }

  #flatten(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }
}

function requireLength(name: string, length: number, minimum: number, exact = false): void {
  if (exact ? length !== minimum : length < minimum)
    throw invalid(
      `a ${name} frame needs ${exact ? 'exactly' : 'at least'} ${minimum} payload bytes, got ${length}`,
    );
}

function parseFrame(frame: Buffer): SpdyFrame {
  const first = frame.readUInt32BE(0);
  const flags = frame.readUInt8(4);
  const payload = frame.subarray(8);
  if ((first & 0x80000000) === 0) {
    return {
      type: 'data',
      streamId: first & ID31,
      fin: (flags & SpdyFlag.FIN) !== 0,
      data: Buffer.from(payload),
    };
  }
  const version = (first >>> 16) & 0x7fff;
  if (version !== SPDY_VERSION)
    throw invalid(`SPDY version ${version} is not supported; kubectl speaks version 3`);
  const type = first & 0xffff;
  const fin = (flags & SpdyFlag.FIN) !== 0;
  switch (type) {
    case SpdyFrameType.SYN_STREAM:
      requireLength('SYN_STREAM', payload.length, 10);
      return {
        type: 'syn_stream',
        streamId: payload.readUInt32BE(0) & ID31,
        associatedStreamId: payload.readUInt32BE(4) & ID31,
        priority: payload.readUInt8(8) >>> 5,
        slot: payload.readUInt8(9),
        fin,
        unidirectional: (flags & SpdyFlag.UNIDIRECTIONAL) !== 0,
        headerBlock: Buffer.from(payload.subarray(10)),
      };
    case SpdyFrameType.SYN_REPLY:
    case SpdyFrameType.HEADERS:
      requireLength(type === SpdyFrameType.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS', payload.length, 4);
      return {
        type: type === SpdyFrameType.SYN_REPLY ? 'syn_reply' : 'headers',
        streamId: payload.readUInt32BE(0) & ID31,
        fin,
        headerBlock: Buffer.from(payload.subarray(4)),
      };
    case SpdyFrameType.RST_STREAM:
      requireLength('RST_STREAM', payload.length, 8, true);
      return {
        type: 'rst_stream',
        streamId: payload.readUInt32BE(0) & ID31,
        status: payload.readUInt32BE(4),
      };
    case SpdyFrameType.SETTINGS: {
      requireLength('SETTINGS', payload.length, 4);
      const count = payload.readUInt32BE(0);
      if (payload.length !== 4 + count * 8)
        throw invalid(`a SETTINGS frame announced ${count} entries in ${payload.length} bytes`);
      const entries: SpdySetting[] = [];
      for (let index = 0; index < count; index++) {
        const word = payload.readUInt32BE(4 + index * 8);
        entries.push({ flags: word >>> 24, id: word & 0xffffff, value: payload.readUInt32BE(8 + index * 8) });
      }
      return { type: 'settings', clear: (flags & SpdyFlag.CLEAR_SETTINGS) !== 0, entries };
    }
    case SpdyFrameType.PING:
      requireLength('PING', payload.length, 4, true);
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case SpdyFrameType.GOAWAY:
      requireLength('GOAWAY', payload.length, 8, true);
      return {
        type: 'goaway',
        lastGoodStreamId: payload.readUInt32BE(0) & ID31,
        status: payload.readUInt32BE(4),
      };
    case SpdyFrameType.WINDOW_UPDATE:
      requireLength('WINDOW_UPDATE', payload.length, 8, true);
      return {
        type: 'window_update',
        streamId: payload.readUInt32BE(0) & ID31,
        delta: payload.readUInt32BE(4) & ID31,
      };
    default:
      return { type: 'unknown', frameType: type, flags, payload: Buffer.from(payload) };
  }
}
