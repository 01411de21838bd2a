import { parseWithSchema } from '../config/validation-problems.js';
import type {
  RecordingListQuery,
  RecordingStore,
  RecordingStoreCapabilities,
  RecordingWriter,
} from '../contracts/recording-store.js';
import { RemotelerError } from '../errors/remoteler-error.js';
import {
  type RecordingChunk,
  type RecordingEnd,
  type RecordingMetadata,
  type RecordingStart,
  recordingEndSchema,
  recordingStartSchema,
} from '../types/recording.js';

interface Entry {
  meta: RecordingMetadata;
  readonly chunks: RecordingChunk[];
}

const STREAM_KINDS = new Set(['stdout', 'stderr', 'stdin']);

/**
 * A {@link RecordingStore} in process memory: the reference implementation, for tests and demos.
 * Not durable. `read()` of a recording still being written yields the chunks written so far.
 */
export class MemoryRecordingStore implements RecordingStore {
  readonly capabilities: RecordingStoreCapabilities = Object.freeze({
    durable: false,
    readWhileRecording: false,
  });
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  async create(start: RecordingStart): Promise<RecordingWriter> {
    this.#assertOpen();
    const parsed = parseWithSchema(recordingStartSchema, start, {
      code: 'RMT_RECORDING_INVALID',
      subject: 'recording metadata',
    });
    if (this.#entries.has(parsed.sessionId))
      throw new RemotelerError(
        'RMT_RECORDING_EXISTS',
        `session ${parsed.sessionId} already has a recording`,
        {
          details: { sessionId: parsed.sessionId },
        },
      );
    const entry: Entry = { meta: { ...parsed, status: 'recording', size: 0, chunks: 0 }, chunks: [] };
    this.#entries.set(parsed.sessionId, entry);
    return this.#writer(entry);
  }

  async get(sessionId: string): Promise<RecordingMetadata | undefined> {
    this.#assertOpen();
    const entry = this.#entries.get(sessionId);
    return entry === undefined ? undefined : structuredClone(entry.meta);
  }

  async list(query: RecordingListQuery = {}): Promise<RecordingMetadata[]> {
    this.#assertOpen();
    return [...this.#entries.values()]
      .map((entry) => entry.meta)
      .filter(
        (meta) =>
          (query.user === undefined || meta.user === query.user) &&
          (query.cluster === undefined || meta.cluster === query.cluster) &&
          (query.status === undefined || meta.status === query.status),
      )
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))
      .map((meta) => structuredClone(meta));
  }

  async read(sessionId: string): Promise<AsyncIterable<RecordingChunk>> {
    this.#assertOpen();
    const entry = this.#entries.get(sessionId);
    if (entry === undefined)
      throw new RemotelerError('RMT_RECORDING_NOT_FOUND', `no recording for session ${sessionId}`, {
        details: { sessionId },
      });
    const count = entry.chunks.length;
    const store = this;
    return (async function* replay() {
      for (let index = 0; index < count; index += 1) {
        store.#assertOpen();
        yield copyChunk(entry.chunks[index]!);
      }
    })();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#entries.clear();
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new RemotelerError('RMT_RECORDING_STORE_CLOSED', 'the memory recording store is closed');
  }

  #writer(entry: Entry): RecordingWriter {
    const assertWritable = () => {
      this.#assertOpen();
      if (entry.meta.status !== 'recording')
        throw new RemotelerError(
          'RMT_RECORDING_FINISHED',
          `the recording of session ${entry.meta.sessionId} is ${entry.meta.status}`,
          {
            details: { sessionId: entry.meta.sessionId, status: entry.meta.status },
          },
        );
    };
    return {
      sessionId: entry.meta.sessionId,
      write: async (chunk) => {
        assertWritable();
        const previous = entry.chunks.at(-1)?.offsetMs ?? 0;
        const copy = checkChunk(chunk, previous);
        entry.chunks.push(copy);
        entry.meta = {
          ...entry.meta,
          chunks: entry.meta.chunks + 1,
          size: entry.meta.size + ('data' in copy ? copy.data.byteLength : 0),
        };
      },
      finish: async (end: RecordingEnd) => {
        assertWritable();
        const parsed = parseWithSchema(recordingEndSchema, end, {
          code: 'RMT_RECORDING_INVALID',
          subject: 'recording end',
        });
        if (Date.parse(parsed.endedAt) < Date.parse(entry.meta.startedAt))
          throw new RemotelerError(
            'RMT_RECORDING_INVALID',
            'recording end is invalid: endedAt: must not be before startedAt',
            {
              details: { problems: [{ path: 'endedAt', message: 'must not be before startedAt' }] },
            },
          );
        entry.meta = { ...entry.meta, ...parsed, status: 'complete' };
        return structuredClone(entry.meta);
      },
      abort: async (endedAt: string) => {
        this.#assertOpen();
        if (entry.meta.status !== 'recording') return;
        entry.meta = { ...entry.meta, endedAt, status: 'aborted' };
      },
    };
  }
}

function checkChunk(chunk: RecordingChunk, previousOffset: number): RecordingChunk {
  const problem = chunkProblem(chunk, previousOffset);
  if (problem !== undefined)
    throw new RemotelerError('RMT_RECORDING_CHUNK_INVALID', `recording chunk refused: ${problem}`, {
      details: { problem },
    });
  return copyChunk(chunk);
}

function chunkProblem(chunk: RecordingChunk, previousOffset: number): string | undefined {
  if (typeof chunk !== 'object' || chunk === null) return 'not an object';
  const { offsetMs } = chunk;
  if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || offsetMs < 0)
    return 'offsetMs must be a non-negative number of milliseconds';
  if (offsetMs < previousOffset)
    return `offsetMs ${offsetMs} is before the previous chunk's ${previousOffset}`;
  if (chunk.kind === 'resize') {
    const valid = (n: unknown) => Number.isInteger(n) && (n as number) > 0 && (n as number) <= 0xffff;
    return valid(chunk.columns) && valid(chunk.rows)
      ? undefined
      : 'columns and rows must be integers from 1 to 65535';
  }
  if (!STREAM_KINDS.has(chunk.kind))
    return `unknown kind ${JSON.stringify((chunk as { kind: unknown }).kind)}`;
  if (!(chunk.data instanceof Uint8Array)) return 'data must be a Uint8Array';
  return undefined;
}

function copyChunk(chunk: RecordingChunk): RecordingChunk {
  // The writer's buffers are often reused by the socket layer; keep our own bytes.
  if (chunk.kind === 'resize')
    return { kind: 'resize', offsetMs: chunk.offsetMs, columns: chunk.columns, rows: chunk.rows };
  return { kind: chunk.kind, offsetMs: chunk.offsetMs, data: new Uint8Array(chunk.data) };
}
