/** A terminal size, as kubectl sends it on the resize channel (`{"Width":W,"Height":H}`). */
export interface TerminalSize {
  /** Columns. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
}

/** Encodes a size the way client-go does: JSON with capitalised keys, then a newline. */
export function encodeTerminalSize(size: TerminalSize): Buffer {
  return Buffer.from(`${JSON.stringify({ Width: size.width, Height: size.height })}\n`);
}

/**
 * Incremental reader of the resize channel: client-go writes one JSON object per resize with a JSON
 * encoder (newline-terminated), and on SPDY the stream is a byte stream with no message boundaries,
 * so objects may be split or merged across chunks. Malformed objects are skipped, as the kubelet logs
 * and ignores them.
 */
export class TerminalSizeParser {
  #pending = '';

  /** Adds bytes and returns every complete size they finish. */
  push(chunk: Uint8Array | string): TerminalSize[] {
    this.#pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const sizes: TerminalSize[] = [];
    for (;;) {
      const end = this.#pending.indexOf('}');
      if (end < 0) break;
      const text = this.#pending.slice(0, end + 1);
      this.#pending = this.#pending.slice(end + 1);
      const size = parseSize(text);
      if (size) sizes.push(size);
    }
    // A client that never closes an object must not grow this buffer forever.
    if (this.#pending.length > 4096) this.#pending = '';
    return sizes;
  }
}

function parseSize(text: string): TerminalSize | undefined {
  try {
    const value = JSON.parse(text.slice(text.indexOf('{'))) as { Width?: unknown; Height?: unknown };
    const { Width: width, Height: height } = value;
    if (typeof width !== 'number' || typeof height !== 'number') return undefined;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) return undefined;
    if (width > 0xffff || height > 0xffff) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}
