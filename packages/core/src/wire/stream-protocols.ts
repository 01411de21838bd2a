// Names that the streaming upgrades negotiate (k8s-protocols.md §6.1, §7.2, §7.3).

/** `X-Stream-Protocol-Version` values for exec/attach over SPDY, newest first. */
export const SpdyExecProtocol = Object.freeze({
  V5: 'v5.channel.k8s.io',
  V4: 'v4.channel.k8s.io',
  V3: 'v3.channel.k8s.io',
  V2: 'v2.channel.k8s.io',
  V1: 'channel.k8s.io',
});

/** The SPDY protocol of port-forward. */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** The WebSocket subprotocol prefix of the SPDY tunnel (kubectl 1.31+ port-forward). */
export const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';

/** The WebSocket subprotocol kubectl 1.31+ offers for port-forward. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = `${SPDY_TUNNEL_PREFIX}${PORT_FORWARD_PROTOCOL}`;

/** SPDY stream headers (lowercase on the wire). */
export const SpdyStreamHeader = Object.freeze({
  STREAM_TYPE: 'streamtype',
  PORT: 'port',
  REQUEST_ID: 'requestid',
});

/** `streamtype` values. exec/attach: error, stdin, stdout, stderr, resize; port-forward: error, data. */
export const SpdyStreamType = Object.freeze({
  ERROR: 'error',
  STDIN: 'stdin',
  STDOUT: 'stdout',
  STDERR: 'stderr',
  RESIZE: 'resize',
  DATA: 'data',
});
