import { RemotelerError } from '@remoteler/core';
import {
  decodeSpdyHeaderBlock,
  encodeSpdyFrame,
  encodeSpdyHeaderBlock,
  SPDY_DICTIONARY_ID,
  SPDY_DICTIONARY_LENGTH,
  type SpdyFrame,
  SpdyFrameParser,
  SpdyHeaderCompressor,
  SpdyHeaderDecompressor,
  SpdyStreamDecoder,
  SpdyStreamEncoder,
  spdyHeaderDictionary,
} from '@remoteler/core/wire';
import { describe, expect, it } from 'vitest';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[^0-9a-f]/gi, ''), 'hex');

function adler32(bytes: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function parseAll(bytes: Buffer, chunkSize = bytes.length): SpdyFrame[] {
  const parser = new SpdyFrameParser();
  const frames: SpdyFrame[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize)
    frames.push(...parser.push(bytes.subarray(offset, offset + chunkSize)));
  expect(parser.bufferedBytes).toBe(0);
  return frames;
}

describe('the SPDY/3 header dictionary', () => {
  it('is the 1 423 bytes whose adler32 is the DICTID kubectl sends (0xE3C6A7C2)', () => {
    const dictionary = spdyHeaderDictionary();
    expect(dictionary.length).toBe(SPDY_DICTIONARY_LENGTH);
    expect(adler32(dictionary)).toBe(SPDY_DICTIONARY_ID);
    expect(dictionary.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
  });

  it('hands out a fresh copy each time, so one caller cannot corrupt another', () => {
    const first = spdyHeaderDictionary();
    first.fill(0);
    expect(adler32(spdyHeaderDictionary())).toBe(SPDY_DICTIONARY_ID);
  });
});

describe('SPDY/3.1 frames', () => {
  const frames: SpdyFrame[] = [
    { type: 'data', streamId: 5, fin: false, data: Buffer.from('hello') },
    { type: 'data', streamId: 3, fin: true, data: Buffer.alloc(0) },
    {
      type: 'syn_stream',
      streamId: 1,
      associatedStreamId: 0,
      priority: 3,
      slot: 0,
      fin: false,
      unidirectional: true,
      headerBlock: Buffer.from([1, 2, 3]),
    },
    { type: 'syn_reply', streamId: 1, fin: false, headerBlock: Buffer.from([4, 5]) },
    { type: 'headers', streamId: 7, fin: true, headerBlock: Buffer.from([6]) },
    { type: 'rst_stream', streamId: 5, status: 5 },
    { type: 'settings', clear: true, entries: [{ flags: 1, id: 7, value: 65536 }] },
    { type: 'ping', id: 0xfffffffe },
    { type: 'goaway', lastGoodStreamId: 9, status: 0 },
    { type: 'window_update', streamId: 3, delta: 1024 },
    { type: 'unknown', frameType: 42, flags: 0, payload: Buffer.from('?') },
  ];

  it('round-trip every frame type through the serializer and the parser', () => {
    const bytes = Buffer.concat(frames.map((frame) => encodeSpdyFrame(frame)));
    expect(parseAll(bytes)).toEqual(frames);
  });

  it('parse the same frames when they arrive one byte at a time', () => {
    const bytes = Buffer.concat(frames.map((frame) => encodeSpdyFrame(frame)));
    expect(parseAll(bytes, 1)).toEqual(frames);
    expect(parseAll(bytes, 7)).toEqual(frames);
  });

  it('read the control frames kubectl sends at the end of an exec (captured bytes, §6.3)', () => {
    const captured = hex(
      '80 03 00 03 00 00 00 08 00 00 00 05 00 00 00 05 80 03 00 07 00 00 00 08 00 00 00 00 00 00 00 00',
    );
    expect(parseAll(captured)).toEqual([
      { type: 'rst_stream', streamId: 5, status: 5 },
      { type: 'goaway', lastGoodStreamId: 0, status: 0 },
    ]);
    expect(parseAll(hex('80 03 00 06 00 00 00 04 00 00 00 01'))).toEqual([{ type: 'ping', id: 1 }]);
    expect(parseAll(hex('00 00 00 03 01 00 00 00'))).toEqual([
      { type: 'data', streamId: 3, fin: true, data: Buffer.alloc(0) },
    ]);
  });

  it('refuse another SPDY version with RMT_WIRE_SPDY_FRAME_INVALID, and stay failed', () => {
    const parser = new SpdyFrameParser();
    const bad = hex('80 02 00 06 00 00 00 04 00 00 00 01');
    expect(() => parser.push(bad)).toThrow(expect.objectContaining({ code: 'RMT_WIRE_SPDY_FRAME_INVALID' }));
    expect(() => parser.push(hex('00'))).toThrow(RemotelerError);
  });

  it('refuse a frame whose length does not fit its type', () => {
    expect(() => new SpdyFrameParser().push(hex('80 03 00 06 00 00 00 03 00 00 00'))).toThrow(
      expect.objectContaining({ code: 'RMT_WIRE_SPDY_FRAME_INVALID' }),
    );
  });

  it('refuse an announced length above the limit before buffering it', () => {
    const parser = new SpdyFrameParser({ maxFrameLength: 1024 });
    expect(() => parser.push(hex('00 00 00 01 00 00 10 00'))).toThrow(
      expect.objectContaining({ code: 'RMT_WIRE_FRAME_TOO_LARGE' }),
    );
  });
});

describe('SPDY header blocks', () => {
  it('encode and decode name/value pairs, joining several values with NUL and lowercasing names', () => {
    const block = encodeSpdyHeaderBlock({ StreamType: ['data'], port: ['80', '8080'] });
    expect(block.includes(Buffer.from('80\u00008080'))).toBe(true);
    expect(decodeSpdyHeaderBlock(block)).toEqual({ streamtype: ['data'], port: ['80', '8080'] });
  });

  it('refuse a truncated block', () => {
    const block = encodeSpdyHeaderBlock({ streamtype: ['error'] });
    expect(() => decodeSpdyHeaderBlock(block.subarray(0, block.length - 1))).toThrow(
      expect.objectContaining({ code: 'RMT_WIRE_SPDY_HEADER_BLOCK_INVALID' }),
    );
  });

  it('compress the first block exactly as the kubelet does: zlib header with the SPDY dictionary id (§6.3)', async () => {
    const compressor = new SpdyHeaderCompressor();
    // SYN_REPLY id=1 with no headers, captured from a real exchange.
    expect(await compressor.compress({})).toEqual(hex('78 f9 e3 c6 a7 c2 62 00 02 00 00 00 00 ff ff'));
    // Later blocks continue the same zlib stream: no zlib header, same sync-flush tail.
    expect(await compressor.compress({})).toEqual(hex('02 01 00 00 00 00 ff ff'));
    compressor.close();
    compressor.close();
  });

  it('decompress a direction of blocks through one inflater, in order', async () => {
    const compressor = new SpdyHeaderCompressor();
    const decompressor = new SpdyHeaderDecompressor();
    const blocks = [
      await compressor.compress({ streamtype: ['error'] }),
      await compressor.compress({ streamtype: ['stdin'] }),
      await compressor.compress({ streamtype: ['data'], port: ['80'], requestid: ['0'] }),
    ];
    expect(blocks[1]!.subarray(0, 2)).not.toEqual(hex('78 f9'));
    const decoded = await Promise.all(blocks.map((block) => decompressor.decompress(block)));
    expect(decoded).toEqual([
      { streamtype: ['error'] },
      { streamtype: ['stdin'] },
      { streamtype: ['data'], port: ['80'], requestid: ['0'] },
    ]);
    compressor.close();
    decompressor.close();
  });

  it('reject a block that is not part of the zlib stream with RMT_WIRE_SPDY_HEADER_BLOCK_INVALID', async () => {
    const decompressor = new SpdyHeaderDecompressor();
    await expect(decompressor.decompress(hex('01 02 03 04 05'))).rejects.toMatchObject({
      code: 'RMT_WIRE_SPDY_HEADER_BLOCK_INVALID',
    });
    decompressor.close();
  });

  it('refuse a block that inflates above the limit (compression bomb)', async () => {
    const compressor = new SpdyHeaderCompressor();
    const decompressor = new SpdyHeaderDecompressor({ maxHeaderBlockBytes: 1024 });
    const block = await compressor.compress({ big: ['x'.repeat(100_000)] });
    expect(block.length).toBeLessThan(1024);
    await expect(decompressor.decompress(block)).rejects.toMatchObject({ code: 'RMT_WIRE_FRAME_TOO_LARGE' });
    compressor.close();
    decompressor.close();
  });
});

describe('SPDY stream encoder and decoder', () => {
  it('carry a whole exec stream sequence, split at arbitrary points, with headers decoded', async () => {
    const encoder = new SpdyStreamEncoder();
    const decoder = new SpdyStreamDecoder();
    const types = ['error', 'stdin', 'stdout', 'stderr'];
    const bytes: Buffer[] = [];
    for (const [index, type] of types.entries())
      bytes.push(
        await encoder.encode({
          type: 'syn_stream',
          streamId: 1 + 2 * index,
          associatedStreamId: 0,
          priority: 0,
          slot: 0,
          fin: false,
          unidirectional: false,
          headerBlock: { streamtype: [type] },
        }),
      );
    bytes.push(await encoder.encode({ type: 'data', streamId: 3, fin: true, data: Buffer.from('abc\n') }));
    const all = Buffer.concat(bytes);
    const results = await Promise.all(
      [0, 3, 17, 40, 41, all.length]
        .slice(0, -1)
        .map((start, index, starts) => decoder.push(all.subarray(start, starts[index + 1] ?? all.length))),
    );
    const frames = results.flat();
    expect(
      frames.map((frame) => (frame.type === 'syn_stream' ? frame.headerBlock.streamtype : frame.type)),
    ).toEqual([['error'], ['stdin'], ['stdout'], ['stderr'], 'data']);
    encoder.close();
    decoder.close();
  });
});
