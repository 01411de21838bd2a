import type { MemoryFileSystem } from './memory-file-system.js';
import type { OutputSink, ProcessInput, ProcessOutput, TerminalSizeEvents } from './process-io.js';

/** Which container a process runs in. */
export interface ContainerRef {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

/** Standard streams for a child process started with {@link ProcessContext.spawn}. */
export interface SpawnIo {
  readonly stdin?: ProcessInput;
  readonly stdout?: OutputSink;
  readonly stderr?: OutputSink;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** Everything a fake program sees while it runs. */
export interface ProcessContext {
  /** The command line, `argv[0]` being the program name as invoked. */
  readonly argv: readonly string[];
  /** Environment variables; the program may change its own copy. */
  readonly env: Record<string, string>;
  /** Working directory (absolute); `cd` in the shell changes it. */
  cwd: string;
  /** Whether the session asked for a TTY (`-t`). Output then gets `\r\n` line ends. */
  readonly tty: boolean;
  readonly stdin: ProcessInput;
  readonly stdout: ProcessOutput;
  readonly stderr: ProcessOutput;
  /** The container's filesystem, shared by all its processes. */
  readonly fs: MemoryFileSystem;
  readonly container: ContainerRef;
  /** Terminal size and resize events (TTY sessions). */
  readonly terminal: TerminalSizeEvents;
  /** Aborted when the session ends or the simulator closes; long-running programs must stop then. */
  readonly signal: AbortSignal;
  /** Waits `ms` milliseconds on an unref'd timer; rejects when `signal` aborts. */
  sleep(ms: number): Promise<void>;
  /** The runtime's clock. */
  now(): Date;
  /** Resolves `path` against `cwd`. */
  resolvePath(path: string): string;
  /** Runs another program of the same container; resolves with its exit code (127 when unknown). */
  spawn(argv: readonly string[], io?: SpawnIo): Promise<number>;
}

/**
 * A fake program. Returns (or resolves with) the exit code, 0 when it returns nothing. A thrown error
 * becomes exit code 1 with the message on stderr.
 */
export type ProgramHandler = (context: ProcessContext) => number | undefined | Promise<number | undefined>;
