import { Writable } from 'node:stream';

/** A destination that keeps every line a logger writes, and lets a test await a line. */
export interface LogCapture {
  readonly stream: Writable;
  /** Everything written so far. */
  readonly text: string;
  /** The JSON lines written so far, parsed. */
  lines(): Record<string, unknown>[];
  /** Resolves once the output contains `text`. */
  waitFor(text: string): Promise<void>;
}

export function captureLog(): LogCapture {
  let text = '';
  const waiters = new Set<() => void>();
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      for (const waiter of [...waiters]) waiter();
      callback();
    },
  });
  return {
    stream,
    get text() {
      return text;
    },
    lines: () =>
      text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    waitFor: (wanted) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (text.includes(wanted)) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      }),
  };
}
