import { encodeSpdyFrame, encodeWebSocketFrame, WebSocketOpcode } from '@remoteler/core/wire';
import { describe, expect, it } from 'vitest';
import {
  JsonValueBoundary,
  LengthPrefixedBoundary,
  SpdyFrameBoundary,
  WebSocketFrameBoundary,
} from '../../src/ops/index.js';

// The session drain ends a relayed stream only where these say a message is complete.

function pushEach(boundary: { push(c: Uint8Array): void; atBoundary: boolean }, bytes: Buffer): boolean[] {
  return [...bytes].map((byte) => {
    boundary.push(Uint8Array.of(byte));
    return boundary.atBoundary;
  });
}

describe('JsonValueBoundary', () => {
  it('is at a boundary only after a complete watch event, whatever braces its strings hold', () => {
    const event = Buffer.from(
      '{"type":"ADDED","object":{"metadata":{"name":"a}{\\"b"}},"list":[1,{"x":"]"}]}\n',
    );
    const states = pushEach(new JsonValueBoundary(), event);
    // Only the closing brace of the event and the newline after it are boundaries.
    expect(states.map((s, i) => (s ? i : -1)).filter((i) => i >= 0)).toEqual([
      event.length - 2,
      event.length - 1,
    ]);
  });

  it('follows several events split across chunks', () => {
    const boundary = new JsonValueBoundary();
    boundary.push(Buffer.from('{"type":"ADDED"}\n{"type":"MOD'));
    expect(boundary.atBoundary).toBe(false);
    boundary.push(Buffer.from('IFIED","object":{}}\n'));
    expect(boundary.atBoundary).toBe(true);
  });
});

describe('LengthPrefixedBoundary', () => {
  it('follows 4-byte big-endian length frames split anywhere', () => {
    const frame = (size: number) =>
      Buffer.concat([Buffer.from([0, 0, size >> 8, size & 0xff]), Buffer.alloc(size, 7)]);
    const bytes = Buffer.concat([frame(3), frame(300)]);
    const states = pushEach(new LengthPrefixedBoundary(), bytes);
    expect(states.map((s, i) => (s ? i : -1)).filter((i) => i >= 0)).toEqual([6, bytes.length - 1]);
  });
});

describe('WebSocketFrameBoundary', () => {
  it('is at a boundary between frames of any length encoding', () => {
    const frames = [3, 200, 70_000].map((size) =>
      encodeWebSocketFrame({ opcode: WebSocketOpcode.BINARY, payload: Buffer.alloc(size, 1) }),
    );
    const boundary = new WebSocketFrameBoundary();
    for (const frame of frames) {
      boundary.push(frame.subarray(0, 1));
      expect(boundary.atBoundary).toBe(false);
      boundary.push(frame.subarray(1, frame.length - 1));
      expect(boundary.atBoundary).toBe(false);
      boundary.push(frame.subarray(frame.length - 1));
      expect(boundary.atBoundary).toBe(true);
    }
  });

  it('is not at a boundary inside a fragmented message, even after a control frame between fragments', () => {
    const boundary = new WebSocketFrameBoundary();
    boundary.push(
      encodeWebSocketFrame({ opcode: WebSocketOpcode.BINARY, fin: false, payload: Buffer.from('ab') }),
    );
    expect(boundary.atBoundary).toBe(false);
    boundary.push(encodeWebSocketFrame({ opcode: WebSocketOpcode.PING, payload: Buffer.from('p') }));
    expect(boundary.atBoundary).toBe(false);
    boundary.push(encodeWebSocketFrame({ opcode: WebSocketOpcode.CONTINUATION, payload: Buffer.from('c') }));
    expect(boundary.atBoundary).toBe(true);
  });

  it('reads masked frames too', () => {
    const boundary = new WebSocketFrameBoundary();
    boundary.push(
      encodeWebSocketFrame({
        opcode: WebSocketOpcode.TEXT,
        payload: Buffer.from('hello'),
        mask: Uint8Array.of(1, 2, 3, 4),
      }),
    );
    expect(boundary.atBoundary).toBe(true);
  });
});

describe('SpdyFrameBoundary', () => {
  it('follows data frames split anywhere and reports each frame start', () => {
    const heads: Buffer[] = [];
    const boundary = new SpdyFrameBoundary((head) => heads.push(head));
    const frames = Buffer.concat([
      encodeSpdyFrame({ type: 'data', streamId: 5, fin: false, data: Buffer.from('hello') }),
      encodeSpdyFrame({ type: 'data', streamId: 1, fin: true, data: Buffer.alloc(0) }),
    ]);
    const states = pushEach(boundary, frames);
    expect(states.map((s, i) => (s ? i : -1)).filter((i) => i >= 0)).toEqual([12, 20]);
    expect(heads.map((head) => head.readUInt32BE(0) & 0x7fffffff)).toEqual([5, 1]);
  });

  it('gives the stream id of a SYN_STREAM to the frame-start callback', () => {
    const heads: Buffer[] = [];
    const boundary = new SpdyFrameBoundary((head) => heads.push(head));
    // SYN_STREAM (version 3, type 1), length 10: stream id 1, associated id 0, priority/slot.
    const syn = Buffer.from([0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    boundary.push(syn.subarray(0, 9));
    boundary.push(syn.subarray(9));
    expect(boundary.atBoundary).toBe(true);
    expect(heads).toHaveLength(1);
    expect(heads[0]!.readUInt16BE(2)).toBe(1);
    expect(heads[0]!.readUInt32BE(8) & 0x7fffffff).toBe(1);
  });
});
