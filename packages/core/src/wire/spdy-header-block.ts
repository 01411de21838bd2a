import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { RemotelerError } from '../errors/index.js';
import { spdyHeaderDictionary } from './spdy-dictionary.js';

/**
 * Decoded SPDY headers: lowercase names to their values. SPDY joins several values of one name with a
 * NUL byte (SPDY/3.1 §2.6.10); they are split here.
 */
export type SpdyHeaders = Readonly<Record<string, readonly string[]>>;

function invalidBlock(message: string, cause?: unknown): RemotelerError {
  return new RemotelerError('RMT_WIRE_SPDY_HEADER_BLOCK_INVALID', message, cause ? { cause } : {});
}

/**
 * Serialises headers into an uncompressed name/value block: a uint32 pair count, then per pair a
 * uint32-length name and a uint32-length value (values of one name joined by NUL). Names are
 * lowercased, as SPDY/3 requires and spdystream does.
 */
export function encodeSpdyHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, values] of entries) {
    const nameBytes = Buffer.from(name.toLowerCase(), 'utf8');
    const valueBytes = Buffer.from(values.join('\0'), 'utf8');
    const nameLength = Buffer.alloc(4);
    nameLength.writeUInt32BE(nameBytes.length);
    const valueLength = Buffer.alloc(4);
    valueLength.writeUInt32BE(valueBytes.length);
    parts.push(nameLength, nameBytes, valueLength, valueBytes);
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed name/value block. Throws `RMT_WIRE_SPDY_HEADER_BLOCK_INVALID` when truncated. */
export function decodeSpdyHeaderBlock(block: Uint8Array): SpdyHeaders {
  const buffer = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  if (buffer.length < 4) throw invalidBlock('a SPDY header block is shorter than its pair count');
  const count = buffer.readUInt32BE(0);
  let offset = 4;
  const read = (what: string): string => {
    if (offset + 4 > buffer.length) throw invalidBlock(`a SPDY header block ends inside a ${what} length`);
    const length = buffer.readUInt32BE(offset);
    offset += 4;
    if (offset + length > buffer.length) throw invalidBlock(`a SPDY header block ends inside a ${what}`);
    const text = buffer.toString('utf8', offset, offset + length);
    offset += length;
    return text;
  };
  const headers: Record<string, string[]> = Object.create(null);
  for (let index = 0; index < count; index++) {
    const name = read('name');
    const value = read('value');
    if (name.length === 0) throw invalidBlock('a SPDY header block holds an empty header name');
    const existing = headers[name];
    if (existing) existing.push(...value.split('\0'));
    else headers[name] = value.split('\0');
  }
  if (offset !== buffer.length) throw invalidBlock('a SPDY header block has bytes after its last pair');
  return headers;
}

/** Options for the header block compressor and decompressor. */
export interface SpdyHeaderCodecOptions {
  /**
   * Largest decompressed header block accepted, in bytes (a guard against compression bombs).
   * Default 256 KiB; kubectl's blocks are a few dozen bytes.
   */
  readonly maxHeaderBlockBytes?: number;
}

// One zlib stream per direction and per connection: every block is written, then sync-flushed
// (`00 00 ff ff`), and the output of that flush is the block (SPDY/3.1 §2.6.10.1). Node's synchronous
// zlib helpers close their handle after one call, so the streaming API is used, with calls serialised
// so that each flush's output belongs to exactly one block.
class SerialZlib {
  readonly #zlib: Deflate | Inflate;
  readonly #limit: number;
  #output: Buffer[] = [];
  #outputBytes = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #failure: Error | undefined;
  #reject: ((error: Error) => void) | undefined;
  #closed = false;

  constructor(zlib: Deflate | Inflate, limit: number) {
    this.#zlib = zlib;
    this.#limit = limit;
    zlib.on('data', (chunk: Buffer) => {
      this.#output.push(chunk);
      this.#outputBytes += chunk.length;
    });
    zlib.on('error', (error: Error) => {
      this.#failure = error;
      this.#reject?.(error);
    });
  }

  run(input: Buffer): Promise<Buffer> {
    const result = this.#tail.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.#closed) return reject(new Error('the header codec is closed'));
          if (this.#failure) return reject(this.#failure);
          this.#reject = reject;
          this.#zlib.write(input);
          this.#zlib.flush(constants.Z_SYNC_FLUSH, () => {
            this.#reject = undefined;
            if (this.#failure) return reject(this.#failure);
            const output = Buffer.concat(this.#output, this.#outputBytes);
            this.#output = [];
            this.#outputBytes = 0;
            if (output.length > this.#limit)
              return reject(
                new RemotelerError(
                  'RMT_WIRE_FRAME_TOO_LARGE',
                  `a SPDY header block decompressed to ${output.length} bytes, above the limit of ${this.#limit}`,
                ),
              );
            resolve(output);
          });
        }),
    );
    this.#tail = result.catch(() => undefined);
    return result;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#zlib.close();
  }
}

/**
 * Compresses header blocks for one direction of one SPDY connection. Blocks must be compressed in the
 * order they are sent: each continues the zlib stream of the previous one, and only the first starts
 * with the zlib header `78 f9 e3 c6 a7 c2` (level 9, FDICT, the SPDY/3 dictionary id).
 */
export class SpdyHeaderCompressor {
  readonly #zlib = new SerialZlib(
    createDeflate({ dictionary: spdyHeaderDictionary(), level: 9 }),
    Number.POSITIVE_INFINITY,
  );

  /** Returns the compressed block for `headers`. Calls are serialised; await them in send order. */
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.#zlib.run(encodeSpdyHeaderBlock(headers));
  }

  /** Frees the zlib handle. Idempotent. */
  close(): void {
    this.#zlib.close();
  }
}

/**
 * Decompresses the header blocks of one direction of one SPDY connection. Every block of that
 * direction must be fed, in order, from the first frame on: the zlib stream cannot be joined midway
 * and no block can be skipped (SPDY/3.1 §2.6.10.1).
 */
export class SpdyHeaderDecompressor {
  readonly #zlib: SerialZlib;

  constructor(options: SpdyHeaderCodecOptions = {}) {
    this.#zlib = new SerialZlib(
      createInflate({ dictionary: spdyHeaderDictionary() }),
      options.maxHeaderBlockBytes ?? 256 * 1024,
    );
  }

  /** Inflates and parses one block. Throws `RMT_WIRE_SPDY_HEADER_BLOCK_INVALID` on corrupt input. */
  async decompress(block: Uint8Array): Promise<SpdyHeaders> {
    let raw: Buffer;
    try {
      raw = await this.#zlib.run(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
    } catch (error) {
      if (RemotelerError.is(error)) throw error;
      throw invalidBlock('a SPDY header block did not inflate with the SPDY/3 dictionary', error);
    }
    return decodeSpdyHeaderBlock(raw);
  }

  /** Frees the zlib handle. Idempotent. */
  close(): void {
    this.#zlib.close();
  }
}
