import {
  ChannelProtocol,
  channelProtocolInfo,
  decodeChannelMessage,
  encodeChannelClose,
  encodeChannelMessage,
  encodeTerminalSize,
  encodeWebSocketFrame,
  execExitStatus,
  parseExecOutcome,
  StreamChannel,
  TerminalSizeParser,
  WebSocketMessageParser,
  WebSocketOpcode,
} from '@remoteler/core/wire';
import { describe, expect, it } from 'vitest';

const v5 = channelProtocolInfo(ChannelProtocol.V5)!;
const v4 = channelProtocolInfo(ChannelProtocol.V4)!;
const v4base64 = channelProtocolInfo(ChannelProtocol.V4_BASE64)!;
const v1base64 = channelProtocolInfo(ChannelProtocol.V1_BASE64)!;

describe('channel.k8s.io framing', () => {
  it('prefixes binary messages with the channel byte (captured stdin "abc\\n" is 00 61 62 63 0a)', () => {
    expect(encodeChannelMessage(v5, StreamChannel.STDIN, 'abc\n')).toEqual({
      binary: true,
      data: Buffer.from('006162630a', 'hex'),
    });
    expect(decodeChannelMessage(v4, Buffer.from('0168690a', 'hex'), true)).toEqual({
      kind: 'data',
      channel: 1,
      data: Buffer.from('hi\n'),
    });
  });

  it('reads the v5 close signal ff 00 as the half-close of stdin', () => {
    expect(encodeChannelClose(StreamChannel.STDIN)).toEqual(Buffer.from('ff00', 'hex'));
    expect(decodeChannelMessage(v5, Buffer.from('ff00', 'hex'), true)).toEqual({ kind: 'close', channel: 0 });
  });

  it('treats 255 as an ordinary channel before v5', () => {
    expect(decodeChannelMessage(v4, Buffer.from('ff00', 'hex'), true)).toEqual({
      kind: 'data',
      channel: 255,
      data: Buffer.from([0]),
    });
  });

  it('uses an ASCII digit and base64 for the base64 variants', () => {
    expect(encodeChannelMessage(v4base64, StreamChannel.STDOUT, 'hello')).toEqual({
      binary: false,
      data: '1aGVsbG8=',
    });
    expect(decodeChannelMessage(v1base64, '0YWJj', false)).toEqual({
      kind: 'data',
      channel: 0,
      data: Buffer.from('abc'),
    });
  });

  it('refuses text on a binary subprotocol, binary on a base64 one, empty messages and bad base64', () => {
    const code = { code: 'RMT_WIRE_CHANNEL_MESSAGE_INVALID' };
    expect(() => decodeChannelMessage(v5, 'x', false)).toThrow(expect.objectContaining(code));
    expect(() => decodeChannelMessage(v4base64, Buffer.from('0'), true)).toThrow(
      expect.objectContaining(code),
    );
    expect(() => decodeChannelMessage(v5, Buffer.alloc(0), true)).toThrow(expect.objectContaining(code));
    expect(() => decodeChannelMessage(v4base64, '0@@@@', false)).toThrow(expect.objectContaining(code));
    expect(() => decodeChannelMessage(v5, Buffer.from('ff0001', 'hex'), true)).toThrow(
      expect.objectContaining(code),
    );
  });

  it('knows the subprotocols and treats "no subprotocol" as channel.k8s.io, like the kubelet', () => {
    expect(channelProtocolInfo('')).toMatchObject({ name: 'channel.k8s.io', version: 1 });
    expect(channelProtocolInfo('v3.channel.k8s.io')).toBeUndefined();
    expect(channelProtocolInfo('toString')).toBeUndefined();
  });
});

describe('terminal sizes', () => {
  it('encode as client-go does and parse objects split and merged across chunks', () => {
    expect(encodeTerminalSize({ width: 120, height: 40 }).toString()).toBe('{"Width":120,"Height":40}\n');
    const parser = new TerminalSizeParser();
    expect(parser.push('{"Width":100,')).toEqual([]);
    expect(parser.push('"Height":30}\n{"Width":80,"Height":24}\n{"Wi')).toEqual([
      { width: 100, height: 30 },
      { width: 80, height: 24 },
    ]);
    expect(parser.push('dth":"x","Height":1}\n')).toEqual([]);
  });
});

describe('exec status', () => {
  it('reports success and non-zero exits exactly as kubectl decodes them (§5.4)', () => {
    expect(execExitStatus(0)).toEqual({ metadata: {}, status: 'Success' });
    const failure = execExitStatus(7, ['sh', '-c', 'exit 7']);
    expect(failure).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
    expect(parseExecOutcome(JSON.stringify(failure))).toMatchObject({ success: false, exitCode: 7 });
    expect(parseExecOutcome('')).toEqual({ success: true, exitCode: 0, message: undefined });
    expect(parseExecOutcome('some v1 error text')).toEqual({
      success: false,
      exitCode: undefined,
      message: 'some v1 error text',
    });
  });
});

describe('RFC 6455 frames', () => {
  it('reassemble a masked, fragmented client message split across chunks, with a ping in between', () => {
    const mask = Buffer.from([1, 2, 3, 4]);
    const bytes = Buffer.concat([
      encodeWebSocketFrame({
        opcode: WebSocketOpcode.BINARY,
        fin: false,
        payload: Buffer.from([0, 0x61]),
        mask,
      }),
      encodeWebSocketFrame({ opcode: WebSocketOpcode.PING, mask }),
      encodeWebSocketFrame({ opcode: WebSocketOpcode.CONTINUATION, payload: Buffer.from('bc'), mask }),
      encodeWebSocketFrame({ opcode: WebSocketOpcode.BINARY, payload: Buffer.alloc(70_000, 1) }),
      encodeWebSocketFrame({ opcode: WebSocketOpcode.CLOSE, payload: Buffer.from([0x03, 0xe8]), mask }),
    ]);
    const parser = new WebSocketMessageParser();
    const events = [];
    for (let offset = 0; offset < bytes.length; offset += 5)
      events.push(...parser.push(bytes.subarray(offset, offset + 5)));
    expect(events).toEqual([
      { kind: 'ping', data: Buffer.alloc(0) },
      { kind: 'message', binary: true, data: Buffer.from([0, 0x61, 0x62, 0x63]) },
      { kind: 'message', binary: true, data: Buffer.alloc(70_000, 1) },
      { kind: 'close', code: 1000, reason: '' },
    ]);
  });

  it('accept the empty binary messages of the port-forward tunnel (§7.3)', () => {
    const parser = new WebSocketMessageParser();
    expect(parser.push(encodeWebSocketFrame({ opcode: WebSocketOpcode.BINARY }))).toEqual([
      { kind: 'message', binary: true, data: Buffer.alloc(0) },
    ]);
  });

  it('refuse RSV bits, fragmented control frames and oversize messages', () => {
    expect(() => new WebSocketMessageParser().push(Buffer.from([0xc2, 0x00]))).toThrow(
      expect.objectContaining({ code: 'RMT_WIRE_WEBSOCKET_FRAME_INVALID' }),
    );
    expect(() => new WebSocketMessageParser().push(Buffer.from([0x09, 0x00]))).toThrow(
      expect.objectContaining({ code: 'RMT_WIRE_WEBSOCKET_FRAME_INVALID' }),
    );
    expect(() =>
      new WebSocketMessageParser({ maxPayload: 10 }).push(
        encodeWebSocketFrame({ opcode: WebSocketOpcode.BINARY, payload: Buffer.alloc(11) }),
      ),
    ).toThrow(expect.objectContaining({ code: 'RMT_WIRE_FRAME_TOO_LARGE' }));
  });
});
