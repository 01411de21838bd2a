import { RemotelerError } from '../errors/index.js';

// The channel.k8s.io WebSocket framing for exec/attach (§5.3, §5.5 of k8s-protocols.md; apimachinery
// `pkg/util/httpstream/wsstream/conn.go`): every message is one channel byte (or, for the base64
// variants, one ASCII digit) followed by the payload.

/** The WebSocket subprotocols of exec/attach, newest first. kubectl 1.29+ offers only `v5`. */
export const ChannelProtocol = Object.freeze({
  V5: 'v5.channel.k8s.io',
  V4: 'v4.channel.k8s.io',
  V4_BASE64: 'v4.base64.channel.k8s.io',
  V1: 'channel.k8s.io',
  V1_BASE64: 'base64.channel.k8s.io',
});

/** One of the {@link ChannelProtocol} names. */
export type ChannelProtocolName = (typeof ChannelProtocol)[keyof typeof ChannelProtocol];

/** Channel numbers. `CLOSE` (255) only exists in v5 and only travels client to server. */
export const StreamChannel = Object.freeze({
  STDIN: 0,
  STDOUT: 1,
  STDERR: 2,
  ERROR: 3,
  RESIZE: 4,
  CLOSE: 255,
});

/** What a subprotocol implies for framing and for the error channel. */
export interface ChannelProtocolInfo {
  readonly name: ChannelProtocolName;
  /** 1 (plain-text errors, nothing on success), 4 (Status JSON) or 5 (v4 plus the CLOSE signal). */
  readonly version: 1 | 4 | 5;
  /** Text messages with an ASCII channel digit and base64 data instead of binary messages. */
  readonly base64: boolean;
  /** The client may half-close a channel with `ff <channel>`. */
  readonly supportsClose: boolean;
}

const INFO: Readonly<Record<ChannelProtocolName, ChannelProtocolInfo>> = Object.freeze({
  'v5.channel.k8s.io': { name: 'v5.channel.k8s.io', version: 5, base64: false, supportsClose: true },
  'v4.channel.k8s.io': { name: 'v4.channel.k8s.io', version: 4, base64: false, supportsClose: false },
  'v4.base64.channel.k8s.io': {
    name: 'v4.base64.channel.k8s.io',
    version: 4,
    base64: true,
    supportsClose: false,
  },
  'channel.k8s.io': { name: 'channel.k8s.io', version: 1, base64: false, supportsClose: false },
  'base64.channel.k8s.io': { name: 'base64.channel.k8s.io', version: 1, base64: true, supportsClose: false },
});

/**
 * Facts about a subprotocol; `undefined` when it is not a channel protocol. An empty name (a client
 * that offered no subprotocol) is treated as `channel.k8s.io`, as the kubelet does.
 */
export function channelProtocolInfo(name: string): ChannelProtocolInfo | undefined {
  if (name === '') return INFO['channel.k8s.io'];
  return Object.hasOwn(INFO, name) ? INFO[name as ChannelProtocolName] : undefined;
}

/** A WebSocket message ready to send: binary bytes, or text for the base64 variants. */
export type ChannelWireMessage =
  | { readonly binary: true; readonly data: Buffer }
  | { readonly binary: false; readonly data: string };

/** A decoded channel message: data on a channel, or (v5) the half-close of a channel. */
export type ChannelMessage =
  | { readonly kind: 'data'; readonly channel: number; readonly data: Buffer }
  | { readonly kind: 'close'; readonly channel: number };

function invalidMessage(message: string): RemotelerError {
  return new RemotelerError('RMT_WIRE_CHANNEL_MESSAGE_INVALID', message);
}

/** Frames `data` for `channel` (0-254) in the given subprotocol. */
export function encodeChannelMessage(
  protocol: ChannelProtocolInfo,
  channel: number,
  data: Uint8Array | string = Buffer.alloc(0),
): ChannelWireMessage {
  if (!Number.isInteger(channel) || channel < 0 || channel > 254)
    throw invalidMessage(`channel ${channel} is outside 0-254`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  if (protocol.base64) {
    if (channel > 9) throw invalidMessage(`channel ${channel} has no single-digit base64 form`);
    return { binary: false, data: String.fromCharCode(0x30 + channel) + bytes.toString('base64') };
  }
  return { binary: true, data: Buffer.concat([Buffer.from([channel]), bytes]) };
}

/** The v5 half-close signal for `channel`: exactly the two bytes `ff <channel>`. */
export function encodeChannelClose(channel: number): Buffer {
  if (!Number.isInteger(channel) || channel < 0 || channel > 254)
    throw invalidMessage(`channel ${channel} is outside 0-254`);
  return Buffer.from([StreamChannel.CLOSE, channel]);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes one WebSocket message of a channel subprotocol. Throws `RMT_WIRE_CHANNEL_MESSAGE_INVALID`
 * for an empty message, a text message on a binary subprotocol (kubectl treats that as fatal too) or
 * the reverse, invalid base64, or a malformed v5 CLOSE.
 */
export function decodeChannelMessage(
  protocol: ChannelProtocolInfo,
  message: Uint8Array | string,
  binary: boolean,
): ChannelMessage {
  if (protocol.base64) {
    if (binary) throw invalidMessage(`${protocol.name} carries text messages, got a binary one`);
    const text = typeof message === 'string' ? message : Buffer.from(message).toString('latin1');
    if (text.length === 0) throw invalidMessage('an empty message carries no channel');
    const channel = text.charCodeAt(0) - 0x30;
    if (channel < 0 || channel > 9) throw invalidMessage('a base64 channel message must start with a digit');
    const payload = text.slice(1);
    if (payload.length % 4 !== 0 || !BASE64.test(payload))
      throw invalidMessage('a channel message is not base64');
    return { kind: 'data', channel, data: Buffer.from(payload, 'base64') };
  }
  if (!binary || typeof message === 'string')
    throw invalidMessage(`${protocol.name} carries binary messages, got a text one`);
  if (message.length === 0) throw invalidMessage('an empty message carries no channel');
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const channel = bytes[0]!;
  if (channel === StreamChannel.CLOSE && protocol.supportsClose) {
    if (bytes.length !== 2) throw invalidMessage('a v5 CLOSE signal is exactly two bytes');
    return { kind: 'close', channel: bytes[1]! };
  }
  return { kind: 'data', channel, data: Buffer.from(bytes.subarray(1)) };
}
