import { RemotelerError } from '../errors/index.js';
import {
  type ChannelProtocolInfo,
  channelProtocolInfo,
  decodeChannelMessage,
  StreamChannel,
} from './channel-protocol.js';
import { type ExecOutcome, parseExecOutcome } from './exec-status.js';
import { SpdyStreamDecoder, type SpdyStreamDecoderOptions } from './spdy-stream-codec.js';
import { SpdyStreamType } from './stream-protocols.js';
import { type TerminalSize, TerminalSizeParser } from './terminal-size.js';
import { WebSocketMessageParser, type WebSocketMessageParserOptions } from './websocket-frames.js';

// Read-only decoders for a relay that audits exec/attach sessions it passes through (k8s-protocols.md
// §13.2): feed them the bytes of each direction after the 101, in order, and they say what the user
// typed, what the process printed, the terminal sizes and the final status. They never produce bytes.

/** What an audited exec/attach session did, in wire order per direction. */
export type ExecTapEvent =
  | { readonly kind: 'stdin' | 'stdout' | 'stderr'; readonly data: Buffer }
  | { readonly kind: 'resize'; readonly size: TerminalSize }
  /** The client half-closed stdin (v5 CLOSE, or SPDY FIN on the stdin stream). */
  | { readonly kind: 'stdin-end' }
  /** The error channel/stream ended: the session's outcome (exit code when the Status carries one). */
  | { readonly kind: 'status'; readonly outcome: ExecOutcome }
  /** The connection ended (WebSocket close frame, SPDY GOAWAY). */
  | { readonly kind: 'closed' };

const STREAM_KINDS: Readonly<Record<string, 'stdin' | 'stdout' | 'stderr'>> = {
  [SpdyStreamType.STDIN]: 'stdin',
  [SpdyStreamType.STDOUT]: 'stdout',
  [SpdyStreamType.STDERR]: 'stderr',
};

/**
 * Audits an exec/attach session on a channel.k8s.io WebSocket. Client frames are masked, server
 * frames are not; both parsers cope with any chunking and with control frames between fragments.
 * Throws `RMT_WIRE_*` errors on malformed input.
 */
export class WebSocketExecTap {
  readonly #protocol: ChannelProtocolInfo;
  readonly #client: WebSocketMessageParser;
  readonly #server: WebSocketMessageParser;
  readonly #resize = new TerminalSizeParser();
  #errorChannel: Buffer[] = [];
  #statusSent = false;

  /** `protocol` is the negotiated `Sec-WebSocket-Protocol` ('' when none was). */
  constructor(protocol: string, options: WebSocketMessageParserOptions = {}) {
    const info = channelProtocolInfo(protocol);
    if (!info)
      throw new RemotelerError(
        'RMT_WIRE_PROTOCOL_UNSUPPORTED',
        `"${protocol}" is not a channel.k8s.io subprotocol`,
      );
    this.#protocol = info;
    this.#client = new WebSocketMessageParser(options);
    this.#server = new WebSocketMessageParser(options);
  }

  /** Bytes the client sent. */
  fromClient(chunk: Uint8Array): ExecTapEvent[] {
    const events: ExecTapEvent[] = [];
    for (const event of this.#client.push(chunk)) {
      if (event.kind === 'close') events.push({ kind: 'closed' });
      if (event.kind !== 'message') continue;
      const message = decodeChannelMessage(
        this.#protocol,
        this.#protocol.base64 ? event.data.toString('latin1') : event.data,
        event.binary,
      );
      if (message.kind === 'close') {
        if (message.channel === StreamChannel.STDIN) events.push({ kind: 'stdin-end' });
      } else if (message.channel === StreamChannel.STDIN && message.data.length > 0) {
        events.push({ kind: 'stdin', data: message.data });
      } else if (message.channel === StreamChannel.RESIZE) {
        for (const size of this.#resize.push(message.data)) events.push({ kind: 'resize', size });
      }
    }
    return events;
  }

  /** Bytes the server sent. The Status is reported at the server's close frame (§5.4). */
  fromServer(chunk: Uint8Array): ExecTapEvent[] {
    const events: ExecTapEvent[] = [];
    for (const event of this.#server.push(chunk)) {
      if (event.kind === 'close') {
        if (!this.#statusSent) {
          this.#statusSent = true;
          events.push({ kind: 'status', outcome: parseExecOutcome(Buffer.concat(this.#errorChannel)) });
        }
        events.push({ kind: 'closed' });
      }
      if (event.kind !== 'message') continue;
      const message = decodeChannelMessage(
        this.#protocol,
        this.#protocol.base64 ? event.data.toString('latin1') : event.data,
        event.binary,
      );
      if (message.kind !== 'data' || message.data.length === 0) continue;
      if (message.channel === StreamChannel.STDOUT) events.push({ kind: 'stdout', data: message.data });
      else if (message.channel === StreamChannel.STDERR) events.push({ kind: 'stderr', data: message.data });
      else if (message.channel === StreamChannel.ERROR) this.#errorChannel.push(message.data);
    }
    return events;
  }
}

/**
 * Audits an exec/attach session on SPDY/3.1. Streams are identified by the `streamtype` header of the
 * client's SYN_STREAMs (never by id, §6.3); the Status is reported when the server ends the error
 * stream. Each direction needs every byte from the first one after the 101, because header blocks
 * share one zlib stream per direction. Calls of one direction must be awaited in order.
 */
export class SpdyExecTap {
  readonly #client: SpdyStreamDecoder;
  readonly #server: SpdyStreamDecoder;
  readonly #types = new Map<number, string>();
  readonly #resize = new TerminalSizeParser();
  #errorStream: Buffer[] = [];

  constructor(options: SpdyStreamDecoderOptions = {}) {
    this.#client = new SpdyStreamDecoder(options);
    this.#server = new SpdyStreamDecoder(options);
  }

  /** Bytes the client sent. */
  async fromClient(chunk: Uint8Array): Promise<ExecTapEvent[]> {
    const events: ExecTapEvent[] = [];
    for (const frame of await this.#client.push(chunk)) {
      if (frame.type === 'syn_stream')
        this.#types.set(frame.streamId, frame.headerBlock.streamtype?.[0] ?? '');
      else if (frame.type === 'goaway') events.push({ kind: 'closed' });
      else if (frame.type === 'data') {
        const type = this.#types.get(frame.streamId);
        if (type === SpdyStreamType.STDIN) {
          if (frame.data.length > 0) events.push({ kind: 'stdin', data: frame.data });
          if (frame.fin) events.push({ kind: 'stdin-end' });
        } else if (type === SpdyStreamType.RESIZE) {
          for (const size of this.#resize.push(frame.data)) events.push({ kind: 'resize', size });
        }
      }
    }
    return events;
  }

  /** Bytes the server sent. */
  async fromServer(chunk: Uint8Array): Promise<ExecTapEvent[]> {
    const events: ExecTapEvent[] = [];
    for (const frame of await this.#server.push(chunk)) {
      if (frame.type === 'goaway') events.push({ kind: 'closed' });
      if (frame.type !== 'data') continue;
      const type = this.#types.get(frame.streamId);
      const kind = type === undefined ? undefined : STREAM_KINDS[type];
      if ((kind === 'stdout' || kind === 'stderr') && frame.data.length > 0)
        events.push({ kind, data: frame.data });
      if (type === SpdyStreamType.ERROR) {
        if (frame.data.length > 0) this.#errorStream.push(frame.data);
        if (frame.fin)
          events.push({ kind: 'status', outcome: parseExecOutcome(Buffer.concat(this.#errorStream)) });
      }
    }
    return events;
  }

  /** Frees the inflaters. Idempotent. */
  close(): void {
    this.#client.close();
    this.#server.close();
  }
}
