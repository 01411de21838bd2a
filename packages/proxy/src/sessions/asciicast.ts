import type { RecordingChunk, RecordingMetadata } from '@remoteler/core';

/** Options of {@link toAsciicast}. */
export interface AsciicastOptions {
  /** Terminal size used when the recording holds no resize before its first output. Default 80x24. */
  readonly width?: number;
  readonly height?: number;
}

/**
 * Turns a recording into asciicast v2 (newline-delimited JSON): a header object
 * `{version: 2, width, height, timestamp, command, title}` then one `[seconds, "o", text]` event
 * per output chunk and `[seconds, "r", "COLSxROWS"]` per resize, as asciinema plays them. stderr is
 * output too (a TTY session has only stdout). stdin chunks are never written: the Proxy does not
 * record them, and a recording from elsewhere that has some keeps them out of the cast.
 */
export async function toAsciicast(
  metadata: RecordingMetadata,
  chunks: AsyncIterable<RecordingChunk> | Iterable<RecordingChunk>,
  options: AsciicastOptions = {},
): Promise<string> {
  const lines: string[] = [];
  let width = options.width ?? 80;
  let height = options.height ?? 24;
  let sizedByFirstResize = false;
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    const seconds = Math.round(chunk.offsetMs) / 1000;
    if (chunk.kind === 'resize') {
      if (lines.length === 0 && !sizedByFirstResize) {
        width = chunk.columns;
        height = chunk.rows;
        sizedByFirstResize = true;
      } else lines.push(JSON.stringify([seconds, 'r', `${chunk.columns}x${chunk.rows}`]));
    } else if (chunk.kind === 'stdout' || chunk.kind === 'stderr') {
      // stream: true keeps a multi-byte character split across chunks intact.
      lines.push(JSON.stringify([seconds, 'o', decoder.decode(chunk.data, { stream: true })]));
    }
  }
  const header = {
    version: 2,
    width,
    height,
    timestamp: Math.floor(Date.parse(metadata.startedAt) / 1000),
    command: metadata.command.join(' '),
    title: `${metadata.user}@${metadata.cluster}/${metadata.namespace}/${metadata.pod}`,
  };
  return `${[JSON.stringify(header), ...lines].join('\n')}\n`;
}
