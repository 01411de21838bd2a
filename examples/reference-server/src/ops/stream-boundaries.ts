/**
 * Follows a byte stream and tells whether everything passed so far ends on a message boundary,
 * without buffering the messages. The session drain only ends a relayed stream there, so that a
 * client never receives half an event or half a frame.
 */
export interface StreamBoundary {
  push(chunk: Uint8Array): void;
  /** True when the bytes pushed so far end exactly after a complete message. */
  readonly atBoundary: boolean;
}

/**
 * A stream of JSON values (a JSON watch: `{"type":…,"object":…}` one after another, k8s-protocols
 * §3.2): at a boundary when no object or array is open and no string is being read. Splits on
 * object structure rather than newlines because clients do not need the newline.
 */
export class JsonValueBoundary implements StreamBoundary {
  #depth = 0;
  #inString = false;
  #escaped = false;

  push(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === 0x5c)
          this.#escaped = true; // backslash
        else if (byte === 0x22) this.#inString = false; // closing quote
      } else if (byte === 0x22) this.#inString = true;
      else if (byte === 0x7b || byte === 0x5b) this.#depth++;
      else if (byte === 0x7d || byte === 0x5d) this.#depth = Math.max(this.#depth - 1, 0);
    }
  }

  get atBoundary(): boolean {
    return this.#depth === 0 && !this.#inString;
  }
}

/**
 * Frames of a 4-byte big-endian length followed by that many bytes (a protobuf watch,
 * `application/vnd.kubernetes.protobuf;stream=watch`; apimachinery `framer.go`).
 */
export class LengthPrefixedBoundary implements StreamBoundary {
  #header: number[] = [];
  #remaining = 0;

  push(chunk: Uint8Array): void {
    let index = 0;
    while (index < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - index);
        this.#remaining -= take;
        index += take;
        continue;
      }
      this.#header.push(chunk[index]!);
      index++;
      if (this.#header.length === 4) {
        const [a, b, c, d] = this.#header as [number, number, number, number];
        this.#remaining = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
        this.#header = [];
      }
    }
  }

  get atBoundary(): boolean {
    return this.#remaining === 0 && this.#header.length === 0;
  }
}

/**
 * RFC 6455 frames (§5.2): at a boundary between frames and outside a fragmented message (§5.4: a
 * data message may not be interleaved with another's fragments; control frames may).
 */
export class WebSocketFrameBoundary implements StreamBoundary {
  #header: number[] = [];
  #headerLength = 2;
  #remaining = 0;
  #inMessage = false;

  push(chunk: Uint8Array): void {
    let index = 0;
    while (index < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - index);
        this.#remaining -= take;
        index += take;
        continue;
      }
      this.#header.push(chunk[index]!);
      index++;
      if (this.#header.length === 2) {
        const length7 = this.#header[1]! & 0x7f;
        const masked = (this.#header[1]! & 0x80) !== 0;
        this.#headerLength = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0);
      }
      if (this.#header.length >= 2 && this.#header.length === this.#headerLength) this.#startPayload();
    }
  }

  #startPayload(): void {
    const header = this.#header;
    const fin = (header[0]! & 0x80) !== 0;
    const opcode = header[0]! & 0x0f;
    const length7 = header[1]! & 0x7f;
    let length = length7;
    if (length7 === 126) length = (header[2]! << 8) + header[3]!;
    if (length7 === 127) {
      length = 0;
      for (let i = 2; i < 10; i++) length = length * 256 + header[i]!;
    }
    // Control frames (opcode ≥ 8) never change whether a data message is open.
    if (opcode < 8) this.#inMessage = !fin;
    this.#remaining = length;
    this.#header = [];
    this.#headerLength = 2;
  }

  get atBoundary(): boolean {
    return this.#remaining === 0 && this.#header.length === 0 && !this.#inMessage;
  }
}

/**
 * SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00 §2.2: an 8-byte header whose last 3 bytes are the
 * length, for control and data frames alike). `onFrameStart` receives the first 12 bytes of each
 * frame (fewer for shorter frames): enough for a control frame's type and a SYN_STREAM's stream id.
 */
export class SpdyFrameBoundary implements StreamBoundary {
  #head: number[] = [];
  #remaining = 0;
  #reported = true;
  readonly #onFrameStart: ((head: Buffer) => void) | undefined;

  constructor(onFrameStart?: (head: Buffer) => void) {
    this.#onFrameStart = onFrameStart;
  }

  push(chunk: Uint8Array): void {
    let index = 0;
    while (index < chunk.length) {
      if (this.#head.length < 8) {
        this.#head.push(chunk[index]!);
        index++;
        if (this.#head.length === 8) {
          this.#remaining = (this.#head[5]! << 16) + (this.#head[6]! << 8) + this.#head[7]!;
          this.#reported = false;
          this.#maybeReport();
        }
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - index);
      // Keep up to 4 payload bytes for the report (a SYN_STREAM's stream id).
      for (let i = 0; i < take && this.#head.length < 12; i++) this.#head.push(chunk[index + i]!);
      this.#remaining -= take;
      index += take;
      this.#maybeReport();
    }
  }

  #maybeReport(): void {
    const payloadSeen = this.#head.length - 8;
    if (!this.#reported && (payloadSeen >= 4 || this.#remaining === 0)) {
      this.#reported = true;
      this.#onFrameStart?.(Buffer.from(this.#head));
    }
    if (this.#head.length >= 8 && this.#remaining === 0) this.#head = [];
  }

  get atBoundary(): boolean {
    return this.#head.length === 0 && this.#remaining === 0;
  }
}
