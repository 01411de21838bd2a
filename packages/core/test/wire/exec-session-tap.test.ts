import {
  type ExecTapEvent,
  encodeChannelClose,
  encodeTerminalSize,
  encodeWebSocketFrame,
  execExitStatus,
  type SpdyDecodedFrame,
  SpdyExecTap,
  SpdyStreamEncoder,
  WebSocketExecTap,
  WebSocketOpcode,
} from '@remoteler/core/wire';
import { describe, expect, it } from 'vitest';

const mask = Buffer.from([9, 8, 7, 6]);
const clientFrame = (payload: Buffer) =>
  encodeWebSocketFrame({ opcode: WebSocketOpcode.BINARY, payload, mask });
const serverFrame = (payload: Buffer) => encodeWebSocketFrame({ opcode: WebSocketOpcode.BINARY, payload });
const channel = (number: number, data: string | Buffer) =>
  Buffer.concat([Buffer.from([number]), Buffer.from(data)]);

describe('WebSocketExecTap', () => {
  it('reports stdin, resizes, the stdin half-close, output and the exit status of a v5 session', () => {
    const tap = new WebSocketExecTap('v5.channel.k8s.io');
    const fromClient = Buffer.concat([
      clientFrame(channel(4, encodeTerminalSize({ width: 120, height: 40 }))),
      clientFrame(channel(0, 'ls\r')),
      clientFrame(encodeChannelClose(0)),
    ]);
    const fromServer = Buffer.concat([
      serverFrame(channel(1, '')),
      serverFrame(channel(1, 'file\r\n')),
      serverFrame(channel(2, 'warn\n')),
      serverFrame(channel(3, JSON.stringify(execExitStatus(2)))),
      encodeWebSocketFrame({ opcode: WebSocketOpcode.CLOSE, payload: Buffer.from([0x03, 0xe8]) }),
    ]);
    const clientEvents: ExecTapEvent[] = [];
    for (let offset = 0; offset < fromClient.length; offset += 3)
      clientEvents.push(...tap.fromClient(fromClient.subarray(offset, offset + 3)));
    expect(clientEvents).toEqual([
      { kind: 'resize', size: { width: 120, height: 40 } },
      { kind: 'stdin', data: Buffer.from('ls\r') },
      { kind: 'stdin-end' },
    ]);
    expect(tap.fromServer(fromServer)).toEqual([
      { kind: 'stdout', data: Buffer.from('file\r\n') },
      { kind: 'stderr', data: Buffer.from('warn\n') },
      { kind: 'status', outcome: { success: false, exitCode: 2, message: expect.any(String) } },
      { kind: 'closed' },
    ]);
  });

  it('refuses a subprotocol that is not a channel protocol', () => {
    expect(() => new WebSocketExecTap('SPDY/3.1+portforward.k8s.io')).toThrow(
      expect.objectContaining({ code: 'RMT_WIRE_PROTOCOL_UNSUPPORTED' }),
    );
  });
});

describe('SpdyExecTap', () => {
  it('maps streams by streamtype and reports stdin, output and the Status when the error stream ends', async () => {
    const client = new SpdyStreamEncoder();
    const server = new SpdyStreamEncoder();
    const syn = (streamId: number, type: string): SpdyDecodedFrame => ({
      type: 'syn_stream',
      streamId,
      associatedStreamId: 0,
      priority: 0,
      slot: 0,
      fin: false,
      unidirectional: false,
      headerBlock: { streamtype: [type] },
    });
    const data = (streamId: number, text: string, fin = false): SpdyDecodedFrame => ({
      type: 'data',
      streamId,
      fin,
      data: Buffer.from(text),
    });
    const clientBytes = Buffer.concat([
      await client.encode(syn(1, 'error')),
      await client.encode(syn(3, 'stdin')),
      await client.encode(syn(5, 'stdout')),
      await client.encode(syn(7, 'resize')),
      await client.encode(data(7, '{"Width":80,')),
      await client.encode(data(7, '"Height":24}\n')),
      await client.encode(data(3, 'abc\n')),
      await client.encode(data(3, '', true)),
    ]);
    const serverBytes = Buffer.concat([
      await server.encode({ type: 'syn_reply', streamId: 1, fin: false, headerBlock: {} }),
      await server.encode(data(5, 'abc\r\n')),
      await server.encode(data(5, '', true)),
      await server.encode(data(1, JSON.stringify(execExitStatus(0)))),
      await server.encode(data(1, '', true)),
    ]);
    const tap = new SpdyExecTap();
    const clientEvents = [
      ...(await tap.fromClient(clientBytes.subarray(0, 20))),
      ...(await tap.fromClient(clientBytes.subarray(20))),
    ];
    expect(clientEvents).toEqual([
      { kind: 'resize', size: { width: 80, height: 24 } },
      { kind: 'stdin', data: Buffer.from('abc\n') },
      { kind: 'stdin-end' },
    ]);
    expect(await tap.fromServer(serverBytes)).toEqual([
      { kind: 'stdout', data: Buffer.from('abc\r\n') },
      { kind: 'status', outcome: { success: true, exitCode: 0, message: undefined } },
    ]);
    tap.close();
    client.close();
    server.close();
  });
});
