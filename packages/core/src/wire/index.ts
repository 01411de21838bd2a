// Pure codecs for the Kubernetes streaming wire protocols (SPDY/3.1 frames and header blocks, the
// channel.k8s.io WebSocket framing, RFC 6455 frames), shared by the simulator and the Proxy. No
// sockets here: bytes in, frames out.
export {
  type ChannelMessage,
  ChannelProtocol,
  type ChannelProtocolInfo,
  type ChannelProtocolName,
  type ChannelWireMessage,
  channelProtocolInfo,
  decodeChannelMessage,
  encodeChannelClose,
  encodeChannelMessage,
  StreamChannel,
} from './channel-protocol.js';
export { type ExecTapEvent, SpdyExecTap, WebSocketExecTap } from './exec-session-tap.js';
export {
  EXIT_CODE_CAUSE,
  type ExecOutcome,
  execExitStatus,
  execInternalErrorStatus,
  type KubeStatus,
  type KubeStatusCause,
  NON_ZERO_EXIT_CODE_REASON,
  parseExecOutcome,
} from './exec-status.js';
export { SPDY_DICTIONARY_ID, SPDY_DICTIONARY_LENGTH, spdyHeaderDictionary } from './spdy-dictionary.js';
export {
  encodeSpdyFrame,
  SPDY_MAX_FRAME_LENGTH,
  SPDY_VERSION,
  type SpdyDataFrame,
  SpdyFlag,
  type SpdyFrame,
  SpdyFrameParser,
  type SpdyFrameParserOptions,
  SpdyFrameType,
  type SpdyGoAwayFrame,
  SpdyGoAwayStatus,
  type SpdyHeadersFrame,
  type SpdyPingFrame,
  SpdyRstStatus,
  type SpdyRstStreamFrame,
  type SpdySetting,
  type SpdySettingsFrame,
  type SpdySynReplyFrame,
  type SpdySynStreamFrame,
  type SpdyUnknownControlFrame,
  type SpdyWindowUpdateFrame,
} from './spdy-frames.js';
export {
  decodeSpdyHeaderBlock,
  encodeSpdyHeaderBlock,
  type SpdyHeaderCodecOptions,
  SpdyHeaderCompressor,
  SpdyHeaderDecompressor,
  type SpdyHeaders,
} from './spdy-header-block.js';
export {
  type SpdyDecodedFrame,
  SpdyStreamDecoder,
  type SpdyStreamDecoderOptions,
  SpdyStreamEncoder,
} from './spdy-stream-codec.js';
export {
  PORT_FORWARD_PROTOCOL,
  PORT_FORWARD_TUNNEL_PROTOCOL,
  SPDY_TUNNEL_PREFIX,
  SpdyExecProtocol,
  SpdyStreamHeader,
  SpdyStreamType,
} from './stream-protocols.js';
export { encodeTerminalSize, type TerminalSize, TerminalSizeParser } from './terminal-size.js';
export {
  encodeWebSocketFrame,
  type WebSocketEvent,
  type WebSocketFrame,
  type WebSocketFrameInit,
  WebSocketMessageParser,
  type WebSocketMessageParserOptions,
  WebSocketOpcode,
} from './websocket-frames.js';
