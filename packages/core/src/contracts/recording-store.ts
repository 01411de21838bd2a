import type {
  RecordingChunk,
  RecordingEnd,
  RecordingMetadata,
  RecordingStart,
  RecordingStatus,
} from '../types/recording.js';

/** What a recording store offers. */
export interface RecordingStoreCapabilities {
  /** Recordings survive a restart of the process. */
  readonly durable: boolean;
  /** `read()` works on a recording that is still being written (live playback). */
  readonly readWhileRecording: boolean;
}

/** Filters for {@link RecordingStore.list}. */
export interface RecordingListQuery {
  readonly user?: string;
  readonly cluster?: string;
  readonly status?: RecordingStatus;
}

/**
 * Appends to one recording. Calls must not overlap: await each `write()` (that is the
 * backpressure). Exactly one of `finish()` and `abort()` ends it.
 */
export interface RecordingWriter {
  readonly sessionId: string;
  /**
   * Appends a chunk. Rejects with RMT_RECORDING_CHUNK_INVALID (offset negative or lower than the
   * previous chunk's), RMT_RECORDING_FINISHED, or RMT_RECORDING_STORE_CLOSED; nothing is appended then.
   */
  write(chunk: RecordingChunk): Promise<void>;
  /** Completes the recording and returns its final metadata (status `complete`). */
  finish(end: RecordingEnd): Promise<RecordingMetadata>;
  /** Ends the recording as `aborted`, keeping what was written (a partial session is still evidence). Idempotent. */
  abort(endedAt: string): Promise<void>;
}

/**
 * Stores session recordings: the TTY output (and input, resizes) of exec/attach sessions, with
 * timing, for playback and audit. Never holds a whole session in one buffer on the way in or out.
 */
export interface RecordingStore {
  readonly capabilities: RecordingStoreCapabilities;
  /** Starts a recording. Rejects with RMT_RECORDING_EXISTS for a session id already used, RMT_RECORDING_INVALID for bad metadata. */
  create(start: RecordingStart): Promise<RecordingWriter>;
  /** The recording's metadata, or `undefined`. */
  get(sessionId: string): Promise<RecordingMetadata | undefined>;
  /** Recordings matching the query, oldest `startedAt` first. */
  list(query?: RecordingListQuery): Promise<RecordingMetadata[]>;
  /**
   * The chunks of a recording in the order written, as a stream. Rejects with
   * RMT_RECORDING_NOT_FOUND before any chunk when the session id is unknown.
   */
  read(sessionId: string): Promise<AsyncIterable<RecordingChunk>>;
  /** Releases resources; idempotent. Open writers fail afterwards with RMT_RECORDING_STORE_CLOSED. */
  close(): Promise<void>;
}
