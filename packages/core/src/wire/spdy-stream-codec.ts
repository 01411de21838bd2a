import {
  encodeSpdyFrame,
  type SpdyFrame,
  SpdyFrameParser,
  type SpdyFrameParserOptions,
} from './spdy-frames.js';
import {
  type SpdyHeaderCodecOptions,
  SpdyHeaderCompressor,
  SpdyHeaderDecompressor,
  type SpdyHeaders,
} from './spdy-header-block.js';

/** A SPDY frame whose header block (if any) is decoded into {@link SpdyHeaders}. */
export type SpdyDecodedFrame = SpdyFrame<SpdyHeaders>;

/** Options for {@link SpdyStreamDecoder}. */
export interface SpdyStreamDecoderOptions extends SpdyFrameParserOptions, SpdyHeaderCodecOptions {}

/**
 * Decodes one direction of a SPDY/3.1 connection: bytes in (any chunking), frames out with their
 * header blocks inflated through the one zlib stream of that direction. `push` calls are serialised
 * internally; their results resolve in call order, so a relay can await each one in turn.
 */
export class SpdyStreamDecoder {
  readonly #parser: SpdyFrameParser;
  readonly #headers: SpdyHeaderDecompressor;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: SpdyStreamDecoderOptions = {}) {
    this.#parser = new SpdyFrameParser(options);
    this.#headers = new SpdyHeaderDecompressor(options);
  }

  /** Adds bytes; resolves with the frames they complete. Rejects with a `RMT_WIRE_*` error. */
  push(chunk: Uint8Array): Promise<SpdyDecodedFrame[]> {
    let frames: SpdyFrame[];
    try {
      frames = this.#parser.push(chunk);
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.#tail.then(() => Promise.all(frames.map((frame) => this.#decode(frame))));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #decode(frame: SpdyFrame): Promise<SpdyDecodedFrame> {
    switch (frame.type) {
      case 'syn_stream':
      case 'syn_reply':
      case 'headers': {
        // Blocks are handed to the zlib stream synchronously here, in frame order; an empty block
        // (no bytes at all) never touched the peer's deflater either.
        const headers: Promise<SpdyHeaders> =
          frame.headerBlock.length === 0 ? Promise.resolve({}) : this.#headers.decompress(frame.headerBlock);
        return headers.then((decoded) => ({ ...frame, headerBlock: decoded }));
      }
      default:
        return Promise.resolve(frame);
    }
  }

  /** Frees the inflater. Idempotent. */
  close(): void {
    this.#headers.close();
  }
}

/**
 * Encodes one direction of a SPDY/3.1 connection: frames in, bytes out, header blocks deflated through
 * one zlib stream. Calls are serialised and resolve in call order; write each result before the next
 * so that the peer's inflater sees the blocks in compression order.
 */
export class SpdyStreamEncoder {
  readonly #headers = new SpdyHeaderCompressor();
  #tail: Promise<unknown> = Promise.resolve();

  /** Serialises `frame`, compressing its headers when it has any. */
  encode(frame: SpdyDecodedFrame): Promise<Buffer> {
    const result = this.#tail.then(async () => {
      switch (frame.type) {
        case 'syn_stream':
        case 'syn_reply':
        case 'headers':
          return encodeSpdyFrame({ ...frame, headerBlock: await this.#headers.compress(frame.headerBlock) });
        default:
          return encodeSpdyFrame(frame);
      }
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Frees the deflater. Idempotent. */
  close(): void {
    this.#headers.close();
  }
}
