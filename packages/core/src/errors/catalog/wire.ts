import { defineErrors } from './define.js';

/** Errors raised by the streaming wire codecs (`@remoteler/core/wire`): SPDY/3.1, WebSocket channels. */
export const WIRE_ERRORS = defineErrors({
  RMT_WIRE_SPDY_FRAME_INVALID: {
    category: 'input',
    summary:
      'A SPDY/3.1 frame was malformed: wrong version, a length that does not fit its type, or a reserved bit set.',
    hint: 'Close the connection; the peer does not speak SPDY/3.1 as kubectl does, and the stream cannot be resynchronised.',
  },
  RMT_WIRE_SPDY_HEADER_BLOCK_INVALID: {
    category: 'input',
    summary:
      'A SPDY/3.1 header block did not decompress with the SPDY/3 dictionary or its name/value pairs were truncated.',
    hint: 'Close the connection: header blocks share one zlib stream per direction, so no later block can be read either.',
  },
  RMT_WIRE_FRAME_TOO_LARGE: {
    category: 'input',
    status: 413,
    summary: 'A frame or message announced a length above the configured limit.',
    hint: 'Close the connection, or raise the parser limit if the peer legitimately sends frames that large.',
  },
  RMT_WIRE_WEBSOCKET_FRAME_INVALID: {
    category: 'input',
    summary:
      'A WebSocket frame broke RFC 6455 (reserved bits, a fragmented control frame, an unknown opcode).',
    hint: 'Close the connection with status 1002; the byte stream cannot be resynchronised.',
  },
  RMT_WIRE_PROTOCOL_UNSUPPORTED: {
    category: 'input',
    summary: 'A codec was asked to decode a subprotocol it does not know (not a channel.k8s.io variant).',
    hint: 'Pass the subprotocol the server actually negotiated (its Sec-WebSocket-Protocol answer).',
  },
  RMT_WIRE_CHANNEL_MESSAGE_INVALID: {
    category: 'input',
    summary:
      'A channel.k8s.io message was empty, used a text frame on a binary subprotocol, or carried invalid base64.',
    hint: 'Check which subprotocol was negotiated; binary subprotocols need binary frames and base64 ones text frames.',
  },
});
