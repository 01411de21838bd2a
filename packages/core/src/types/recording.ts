import { z } from 'zod';
import { resourceNameSchema, timestampSchema } from './resource.js';

/** What a recorded interactive session was, known when it starts. */
export interface RecordingStart {
  /** The session id (the same as in the session.start/session.end audit events). */
  readonly sessionId: string;
  /** The Kubernetes cluster name. */
  readonly cluster: string;
  /** The Remoteler username. */
  readonly user: string;
  readonly namespace: string;
  readonly pod: string;
  /** Absent when the pod's default container was used. */
  readonly container?: string;
  /** The command as the exec request listed it (`command=` query parameters); empty for attach. */
  readonly command: readonly string[];
  /** Whether a terminal was allocated (stdin/stdout interleaving and resizes follow). */
  readonly tty: boolean;
  /** RFC 3339 start time; chunk offsets count from it. */
  readonly startedAt: string;
}

/** The state of a recording. `recording` means a writer is still open (or the writer died unfinished). */
export type RecordingStatus = 'recording' | 'complete' | 'aborted';

/** Everything a store knows about one recording. */
export interface RecordingMetadata extends RecordingStart {
  readonly status: RecordingStatus;
  /** RFC 3339; set by `finish()` or `abort()`. */
  readonly endedAt?: string;
  /** The process exit code, when the session reported one. */
  readonly exitCode?: number;
  /** Payload bytes recorded (the sum of the chunks' `data` lengths). */
  readonly size: number;
  /** Number of chunks recorded. */
  readonly chunks: number;
}

/**
 * One piece of a recording. `offsetMs` counts milliseconds since `startedAt` and never decreases
 * within a recording, so a player can replay with the original timing.
 */
export type RecordingChunk =
  | {
      readonly kind: 'stdout' | 'stderr' | 'stdin';
      readonly offsetMs: number;
      readonly data: Uint8Array;
    }
  | {
      /** A terminal resize (the `resize` channel of the Kubernetes stream protocols). */
      readonly kind: 'resize';
      readonly offsetMs: number;
      readonly columns: number;
      readonly rows: number;
    };

/** Schema of a {@link RecordingStart}, used by stores to refuse malformed metadata. */
export const recordingStartSchema = z.strictObject({
  sessionId: resourceNameSchema,
  cluster: z.string().min(1),
  user: z.string().min(1),
  namespace: z.string().min(1),
  pod: z.string().min(1),
  container: z.string().min(1).optional(),
  command: z.array(z.string()),
  tty: z.boolean(),
  startedAt: timestampSchema,
});

/** How a recording ends, given to `RecordingWriter.finish()`. */
export interface RecordingEnd {
  /** RFC 3339 end time. */
  readonly endedAt: string;
  readonly exitCode?: number;
}

/** Schema of a {@link RecordingEnd}. */
export const recordingEndSchema = z.strictObject({
  endedAt: timestampSchema,
  exitCode: z.number().int().optional(),
});
