import type { TerminalSize } from '@remoteler/core/wire';

/**
 * A fake process's standard input: chunks pushed by the session, read by the program. Ends when the
 * client half-closes stdin (v5 CLOSE, SPDY FIN) or the session ends.
 */
export class ProcessInput implements AsyncIterable<Buffer> {
  #chunks: Buffer[] = [];
  #ended = false;
  #waiters: Array<() => void> = [];
  #received = 0;

  /** Total bytes pushed so far. */
  get receivedBytes(): number {
    return this.#received;
  }

  /** True once `end()` was called (data may still be buffered). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds bytes from the client. Ignored after `end()`. */
  push(chunk: Uint8Array | string): void {
    if (this.#ended) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    if (bytes.length === 0) return;
    this.#received += bytes.length;
    this.#chunks.push(bytes);
    this.#wake();
  }

  /** Marks end of input. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** The next chunk, or `null` at end of input. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk) return chunk;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Everything until end of input. */
  async readAll(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return;
      yield chunk;
    }
  }
}

/** Where a fake process's output goes: the session (with back-pressure), a pipe, a file. */
export interface OutputSink {
  /** Resolves when the bytes are handed on (the session's socket drained, if it had to). */
  write(data: Buffer): Promise<void>;
}

/** A fake process's stdout or stderr. */
export class ProcessOutput {
  readonly #sink: OutputSink;
  readonly #tty: boolean;
  #written = 0;

  /**
   * With `tty`, a lone `\n` becomes `\r\n` as a terminal's `onlcr` output flag does, so that
   * programs can write plain newlines.
   */
  constructor(sink: OutputSink, tty = false) {
    this.#sink = sink;
    this.#tty = tty;
  }

  /** Total bytes written. */
  get writtenBytes(): number {
    return this.#written;
  }

  /** Writes text (UTF-8) or bytes. */
  write(data: Uint8Array | string): Promise<void> {
    let bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (this.#tty && bytes.includes(0x0a))
      bytes = Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    if (bytes.length === 0) return Promise.resolve();
    this.#written += bytes.length;
    return this.#sink.write(bytes);
  }
}

/** Output that goes nowhere (`/dev/null`, or a channel the client did not ask for). */
export const discardSink = (): OutputSink => ({ write: () => Promise.resolve() });

/** Output collected in memory (command substitution, recordings, tests). */
export function collectingSink(): OutputSink & { readonly bytes: () => Buffer } {
  const parts: Buffer[] = [];
  return {
    write(data) {
      parts.push(data);
      return Promise.resolve();
    },
    bytes: () => Buffer.concat(parts),
  };
}

/** Terminal size changes of a TTY session, as the process sees them. */
export class TerminalSizeEvents {
  #size: TerminalSize | undefined;
  readonly #listeners = new Set<(size: TerminalSize) => void>();

  /** The latest size; `undefined` until the client sent one. */
  get current(): TerminalSize | undefined {
    return this.#size;
  }

  /** Records a new size and tells every listener. */
  emit(size: TerminalSize): void {
    this.#size = size;
    for (const listener of this.#listeners) listener(size);
  }

  /** Calls `listener` on every resize; returns the function that unsubscribes. */
  on(listener: (size: TerminalSize) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
