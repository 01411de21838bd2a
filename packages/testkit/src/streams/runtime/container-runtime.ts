import { connect } from 'node:net';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import { RemotelerError } from '@remoteler/core';
import { builtinPrograms } from './builtin-programs.js';
import { MemoryFileSystem } from './memory-file-system.js';
import {
  discardSink,
  type OutputSink,
  ProcessInput,
  ProcessOutput,
  TerminalSizeEvents,
} from './process-io.js';
import type { ContainerRef, ProcessContext, ProgramHandler, SpawnIo } from './program.js';

/** What a port-forward data stream is handed to: a byte pipe to the client's local connection. */
export type PortHandler = (
  connection: Duplex,
  info: { readonly namespace: string; readonly pod: string; readonly port: number },
) => void;

/** Options for {@link ContainerRuntime}. */
export interface ContainerRuntimeOptions {
  /** The clock for `date` and file times. Default the wall clock. */
  readonly now?: () => Date;
  /**
   * What a port without a handler does: `echo` (default) sends back every byte it receives, `refuse`
   * answers as a port with no listener does (kubectl prints "an error occurred forwarding …").
   */
  readonly unhandledPorts?: 'echo' | 'refuse';
  /** Bytes of stdin/stdout kept per recorded session. Default 1 MiB; the rest is counted, not kept. */
  readonly recordLimitBytes?: number;
}

/** The streams of one exec or attach session, as the transport (WebSocket or SPDY) provides them. */
export interface SessionStreams {
  /** Client stdin, or undefined when the client did not ask for it (the process sees EOF). */
  readonly stdin?: ProcessInput;
  /** Undefined when the client did not ask for stdout: output is dropped. */
  readonly stdout?: OutputSink;
  readonly stderr?: OutputSink;
  readonly tty: boolean;
  readonly terminal: TerminalSizeEvents;
  /** Aborted when the client goes away; the process is told through its own signal. */
  readonly signal: AbortSignal;
}

/** How a session ended. */
export interface SessionResult {
  /** Exit code 0-255; `undefined` when the session failed before a process ran. */
  readonly exitCode: number | undefined;
  /** Set when the process could not run at all (reported as an InternalError Status). */
  readonly error?: string;
}

/** What the runtime records about every exec and attach session, for test assertions. */
export interface SessionRecord {
  readonly kind: 'exec' | 'attach';
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** argv for exec; empty for attach. */
  readonly command: readonly string[];
  readonly tty: boolean;
  /** Who opened the session (after impersonation), when the HTTP layer said. */
  readonly user: string | undefined;
  /** Stdin received, up to the record limit. */
  readonly stdin: Buffer;
  /** Stdout sent, up to the record limit. */
  readonly stdout: Buffer;
  /** Stderr sent, up to the record limit (empty with a TTY, where stderr joins stdout). */
  readonly stderr: Buffer;
  /** Undefined while running. */
  readonly exitCode: number | undefined;
  readonly startedAt: Date;
  /** Undefined while running. */
  readonly finishedAt: Date | undefined;
}

type Captured = 'stdin' | 'stdout' | 'stderr';

// Keeps captured bytes as a list of chunks and joins them only when read, so recording a long session
// costs one copy, not one per chunk.
class Recording implements SessionRecord {
  readonly kind: SessionRecord['kind'];
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly tty: boolean;
  readonly user: string | undefined;
  readonly startedAt: Date;
  exitCode: number | undefined = undefined;
  finishedAt: Date | undefined = undefined;
  readonly #limit: number;
  readonly #parts: Record<Captured, Buffer[]> = { stdin: [], stdout: [], stderr: [] };
  readonly #sizes: Record<Captured, number> = { stdin: 0, stdout: 0, stderr: 0 };

  constructor(
    init: Pick<
      SessionRecord,
      'kind' | 'namespace' | 'pod' | 'container' | 'command' | 'tty' | 'user' | 'startedAt'
    >,
    limit: number,
  ) {
    this.kind = init.kind;
    this.namespace = init.namespace;
    this.pod = init.pod;
    this.container = init.container;
    this.command = init.command;
    this.tty = init.tty;
    this.user = init.user;
    this.startedAt = init.startedAt;
    this.#limit = limit;
  }

  keep(field: Captured, data: Buffer): void {
    const room = this.#limit - this.#sizes[field];
    if (room <= 0) return;
    const kept = Buffer.from(data.subarray(0, room));
    this.#parts[field].push(kept);
    this.#sizes[field] += kept.length;
  }

  #joined(field: Captured): Buffer {
    const parts = this.#parts[field];
    if (parts.length > 1) this.#parts[field] = [Buffer.concat(parts)];
    return Buffer.from(this.#parts[field][0] ?? Buffer.alloc(0));
  }

  get stdin(): Buffer {
    return this.#joined('stdin');
  }

  get stdout(): Buffer {
    return this.#joined('stdout');
  }

  get stderr(): Buffer {
    return this.#joined('stderr');
  }
}

interface MainProcess {
  readonly input: ProcessInput;
  readonly attached: Set<{ stdout?: OutputSink; stderr?: OutputSink }>;
  readonly terminal: TerminalSizeEvents;
  readonly exited: Promise<number>;
}

const keyOf = (ref: ContainerRef) => `${ref.namespace}/${ref.pod}/${ref.container}`;
const podKey = (namespace: string, pod: string, port: number) => `${namespace}/${pod}:${port}`;

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new RemotelerError('RMT_TESTKIT_STREAM_OPTION_INVALID', `port ${port} is not a TCP port (1-65535)`);
}

/**
 * The fake container runtime behind exec, attach and port-forward: scriptable programs per container,
 * an in-memory filesystem per container, a long-running main process per container for attach, port
 * handlers per pod, and a record of every session. One per simulator; nothing is global.
 */
export class ContainerRuntime {
  readonly #now: () => Date;
  readonly #unhandledPorts: 'echo' | 'refuse';
  readonly #recordLimit: number;
  readonly #programs = builtinPrograms();
  readonly #overrides = new Map<string, Map<string, ProgramHandler>>();
  readonly #mainPrograms = new Map<string, ProgramHandler>();
  readonly #mains = new Map<string, MainProcess>();
  readonly #fileSystems = new Map<string, MemoryFileSystem>();
  readonly #ports = new Map<string, PortHandler | null>();
  readonly #records: Recording[] = [];
  readonly #listeners = new Set<(record: SessionRecord) => void>();
  readonly #startListeners = new Set<(record: SessionRecord) => void>();
  readonly #closing = new AbortController();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: ContainerRuntimeOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#unhandledPorts = options.unhandledPorts ?? 'echo';
    this.#recordLimit = options.recordLimitBytes ?? 1024 * 1024;
  }

  /** Every exec and attach session so far, oldest first (live objects: running ones fill in later). */
  get sessions(): readonly SessionRecord[] {
    return this.#records;
  }

  /** Calls `listener` whenever a session finishes; returns the function that unsubscribes. */
  onSessionFinished(listener: (record: SessionRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` whenever a session starts (its process runs or it has attached). */
  onSessionStarted(listener: (record: SessionRecord) => void): () => void {
    this.#startListeners.add(listener);
    return () => this.#startListeners.delete(listener);
  }

  /**
   * Resolves with the first session that matches, past ones included: by default once it has
   * finished; with `{ started: true }` as soon as it runs (an attach is then already receiving the
   * main process's output). Tests await this instead of sleeping.
   */
  waitForSession(
    predicate: (record: SessionRecord) => boolean = () => true,
    options: { readonly started?: boolean } = {},
  ): Promise<SessionRecord> {
    const ready = (record: SessionRecord) =>
      (options.started || record.finishedAt !== undefined) && predicate(record);
    const done = this.#records.find(ready);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => {
      const listen = options.started ? this.onSessionStarted.bind(this) : this.onSessionFinished.bind(this);
      const stop = listen((record) => {
        if (!ready(record)) return;
        stop();
        resolve(record);
      });
    });
  }

  /**
   * Registers a program for every container, or (with `where`) for one pod or one container only,
   * replacing a built-in of the same name there.
   */
  defineProgram(
    name: string,
    handler: ProgramHandler,
    where?: { readonly namespace: string; readonly pod: string; readonly container?: string },
  ): void {
    if (name.length === 0 || /\s/.test(name))
      throw new RemotelerError(
        'RMT_TESTKIT_STREAM_OPTION_INVALID',
        `program name "${name}" is empty or has spaces`,
      );
    if (!where) {
      this.#programs.set(name, handler);
      return;
    }
    const key = `${where.namespace}/${where.pod}/${where.container ?? '*'}`;
    let programs = this.#overrides.get(key);
    if (!programs) {
      programs = new Map();
      this.#overrides.set(key, programs);
    }
    programs.set(name, handler);
  }

  /** The program a container runs for `name` (also found by base name, so `/bin/echo` is `echo`). */
  resolveProgram(ref: ContainerRef, name: string): ProgramHandler | undefined {
    for (const candidate of [name, posix.basename(name)]) {
      const found =
        this.#overrides.get(keyOf(ref))?.get(candidate) ??
        this.#overrides.get(`${ref.namespace}/${ref.pod}/*`)?.get(candidate) ??
        this.#programs.get(candidate);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Sets the long-running process that `attach` connects to. The default echoes its stdin to stdout.
   * Takes effect the next time the main process starts.
   */
  setMainProgram(ref: ContainerRef, handler: ProgramHandler): void {
    this.#mainPrograms.set(keyOf(ref), handler);
  }

  /** Writes to the output of a container's main process, as if it had printed it (reaches attached clients). */
  async writeToMainProcess(
    ref: ContainerRef,
    data: string | Uint8Array,
    stream: 'stdout' | 'stderr' = 'stdout',
  ): Promise<void> {
    const main = this.#main(ref);
    const bytes = Buffer.from(typeof data === 'string' ? Buffer.from(data) : data);
    await Promise.all([...main.attached].map((sinks) => sinks[stream]?.write(bytes)));
  }

  /** The filesystem of a container, created on first use with `/tmp`, `/root` and `/etc/hostname`. */
  fileSystem(ref: ContainerRef): MemoryFileSystem {
    const key = keyOf(ref);
    let fs = this.#fileSystems.get(key);
    if (!fs) {
      fs = new MemoryFileSystem(this.#now);
      fs.mkdir('/tmp', { mode: 0o1777 });
      fs.mkdir('/root', { mode: 0o700 });
      fs.mkdir('/etc');
      fs.writeFile('/etc/hostname', `${ref.pod}\n`);
      this.#fileSystems.set(key, fs);
    }
    return fs;
  }

  /**
   * Decides what a port-forward to `port` of a pod reaches: a handler, or `null` for "nothing listens"
   * (kubectl then reports an error for that connection).
   */
  setPortHandler(namespace: string, pod: string, port: number, handler: PortHandler | null): void {
    checkPort(port);
    this.#ports.set(podKey(namespace, pod, port), handler);
  }

  /** Forwards a pod port to a real TCP server on 127.0.0.1 (`port` of the pod -> `targetPort` locally). */
  forwardPort(namespace: string, pod: string, port: number, targetPort: number, host = '127.0.0.1'): void {
    checkPort(targetPort);
    this.setPortHandler(namespace, pod, port, (connection) => {
      const upstream = connect({ host, port: targetPort });
      upstream.on('error', (error) => connection.destroy(error));
      // Once the server side is gone the forwarded connection is over, as for the kubelet.
      upstream.on('close', () => {
        if (connection.writableFinished) connection.destroy();
        else connection.end(() => connection.destroy());
      });
      connection.on('error', () => upstream.destroy());
      connection.pipe(upstream).pipe(connection);
    });
  }

  /** The handler for a pod port; `undefined` when nothing listens there. */
  portHandler(namespace: string, pod: string, port: number): PortHandler | undefined {
    const key = podKey(namespace, pod, port);
    if (this.#ports.has(key)) return this.#ports.get(key) ?? undefined;
    if (this.#unhandledPorts === 'refuse') return undefined;
    return (connection) => connection.pipe(connection);
  }

  #record(
    kind: SessionRecord['kind'],
    ref: ContainerRef,
    command: readonly string[],
    tty: boolean,
    user?: string,
  ): Recording {
    const record = new Recording(
      {
        kind,
        namespace: ref.namespace,
        pod: ref.pod,
        container: ref.container,
        command: Object.freeze([...command]),
        tty,
        user,
        startedAt: this.#now(),
      },
      this.#recordLimit,
    );
    this.#records.push(record);
    for (const listener of [...this.#startListeners]) listener(record);
    return record;
  }

  #finish(record: Recording, exitCode: number | undefined): void {
    record.exitCode = exitCode;
    record.finishedAt = this.#now();
    for (const listener of [...this.#listeners]) listener(record);
  }

  #recordingSink(record: Recording, field: 'stdout' | 'stderr', sink: OutputSink | undefined): OutputSink {
    const target = sink ?? discardSink();
    return {
      write: (data) => {
        record.keep(field, data);
        return target.write(data);
      },
    };
  }

  #context(
    ref: ContainerRef,
    argv: readonly string[],
    io: {
      stdin: ProcessInput;
      stdout: OutputSink;
      stderr: OutputSink;
      env?: Readonly<Record<string, string>>;
      cwd?: string;
    },
    tty: boolean,
    terminal: TerminalSizeEvents,
    signal: AbortSignal,
  ): ProcessContext {
    const context: ProcessContext = {
      argv,
      env: {
        ...(io.env ?? {
          PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          HOSTNAME: ref.pod,
          HOME: '/root',
          ...(tty ? { TERM: 'xterm' } : {}),
        }),
      },
      cwd: io.cwd ?? '/',
      tty,
      stdin: io.stdin,
      stdout: new ProcessOutput(io.stdout, tty),
      stderr: new ProcessOutput(io.stderr, tty),
      fs: this.fileSystem(ref),
      container: ref,
      terminal,
      signal,
      sleep: (ms) => this.#sleep(ms, signal),
      now: this.#now,
      resolvePath: (path) => posix.resolve(context.cwd, path),
      spawn: (childArgv: readonly string[], childIo: SpawnIo = {}) =>
        this.#run(
          ref,
          childArgv,
          {
            stdin: childIo.stdin ?? io.stdin,
            stdout: childIo.stdout ?? io.stdout,
            stderr: childIo.stderr ?? io.stderr,
            env: childIo.env ?? context.env,
            cwd: childIo.cwd ?? context.cwd,
          },
          tty,
          terminal,
          signal,
        ),
    };
    return context;
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      timer.unref();
      this.#timers.add(timer);
      const onAbort = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async #run(
    ref: ContainerRef,
    argv: readonly string[],
    io: {
      stdin: ProcessInput;
      stdout: OutputSink;
      stderr: OutputSink;
      env?: Readonly<Record<string, string>>;
      cwd?: string;
    },
    tty: boolean,
    terminal: TerminalSizeEvents,
    signal: AbortSignal,
  ): Promise<number> {
    const name = argv[0] ?? '';
    const handler = this.resolveProgram(ref, name);
    const context = this.#context(ref, argv, io, tty, terminal, signal);
    if (!handler) {
      await context.stderr.write(`sh: ${name}: not found\n`);
      return 127;
    }
    try {
      const code = await handler(context);
      return (code ?? 0) & 0xff;
    } catch (error) {
      if (signal.aborted) return 137;
      await context.stderr
        .write(`${name}: ${(error as Error)?.message ?? String(error)}\n`)
        .catch(() => undefined);
      return 1;
    }
  }

  #linkedSignal(session: AbortSignal): { signal: AbortSignal; dispose: () => void } {
    const controller = new AbortController();
    const abort = () => controller.abort(new Error('the session ended'));
    if (session.aborted || this.#closing.signal.aborted) abort();
    session.addEventListener('abort', abort, { once: true });
    this.#closing.signal.addEventListener('abort', abort, { once: true });
    return {
      signal: controller.signal,
      dispose: () => {
        session.removeEventListener('abort', abort);
        this.#closing.signal.removeEventListener('abort', abort);
      },
    };
  }

  #input(record: Recording, streams: SessionStreams): ProcessInput {
    const input = new ProcessInput();
    if (!streams.stdin) {
      input.end();
      return input;
    }
    void (async () => {
      for await (const chunk of streams.stdin!) {
        record.keep('stdin', chunk);
        input.push(chunk);
      }
      input.end();
    })();
    return input;
  }

  /**
   * Runs `command` in a container for an exec session. Resolves when the process exits; the transport
   * then reports the exit status. Unknown programs exit 127 with `sh: <name>: not found` on stderr.
   */
  async exec(
    ref: ContainerRef,
    command: readonly string[],
    streams: SessionStreams,
    user?: string,
  ): Promise<SessionResult> {
    if (this.#closing.signal.aborted)
      throw new RemotelerError('RMT_TESTKIT_STREAM_CLOSED', 'the container runtime is closed');
    const record = this.#record('exec', ref, command, streams.tty, user);
    const { signal, dispose } = this.#linkedSignal(streams.signal);
    try {
      const exitCode = await this.#run(
        ref,
        command,
        {
          stdin: this.#input(record, streams),
          stdout: this.#recordingSink(record, 'stdout', streams.stdout),
          stderr: this.#recordingSink(record, 'stderr', streams.tty ? streams.stdout : streams.stderr),
        },
        streams.tty,
        streams.terminal,
        signal,
      );
      this.#finish(record, exitCode);
      return { exitCode };
    } finally {
      dispose();
    }
  }

  #main(ref: ContainerRef): MainProcess {
    const key = keyOf(ref);
    const running = this.#mains.get(key);
    if (running) return running;
    const input = new ProcessInput();
    const attached = new Set<{ stdout?: OutputSink; stderr?: OutputSink }>();
    const terminal = new TerminalSizeEvents();
    const broadcast = (stream: 'stdout' | 'stderr'): OutputSink => ({
      write: async (data) => {
        await Promise.all([...attached].map((sinks) => sinks[stream]?.write(data)));
      },
    });
    const handler: ProgramHandler =
      this.#mainPrograms.get(key) ??
      (async (context) => {
        for await (const chunk of context.stdin) await context.stdout.write(chunk);
        return 0;
      });
    const context = this.#context(
      ref,
      ['main'],
      { stdin: input, stdout: broadcast('stdout'), stderr: broadcast('stderr') },
      false,
      terminal,
      this.#closing.signal,
    );
    const exited = (async () => {
      try {
        return ((await handler(context)) ?? 0) & 0xff;
      } catch {
        return this.#closing.signal.aborted ? 137 : 1;
      } finally {
        // The container restarts (restartPolicy: Always): the next attach gets a fresh main process.
        this.#mains.delete(key);
      }
    })();
    const main: MainProcess = { input, attached, terminal, exited };
    this.#mains.set(key, main);
    return main;
  }

  /**
   * Attaches a session to the container's main process: its output goes to the client, the client's
   * stdin to it. The session ends when the client half-closes stdin (the simulator then detaches it,
   * leaving the process running), when the client goes away, or when the main process exits.
   */
  async attach(ref: ContainerRef, streams: SessionStreams, user?: string): Promise<SessionResult> {
    if (this.#closing.signal.aborted)
      throw new RemotelerError('RMT_TESTKIT_STREAM_CLOSED', 'the container runtime is closed');
    const record = this.#record('attach', ref, [], streams.tty, user);
    const main = this.#main(ref);
    const sinks = {
      stdout: this.#recordingSink(record, 'stdout', streams.stdout),
      stderr: this.#recordingSink(record, 'stderr', streams.tty ? streams.stdout : streams.stderr),
    };
    main.attached.add(sinks);
    const stopResize = streams.terminal.on((size) => main.terminal.emit(size));
    // A size the client sent before the attach began (the transport may start it late) still applies.
    if (streams.terminal.current) main.terminal.emit(streams.terminal.current);
    const { signal, dispose } = this.#linkedSignal(streams.signal);
    try {
      const detached = new Promise<undefined>((resolve) => {
        signal.addEventListener('abort', () => resolve(undefined), { once: true });
        if (streams.stdin)
          void (async () => {
            for await (const chunk of streams.stdin!) {
              record.keep('stdin', chunk);
              main.input.push(chunk);
            }
            resolve(undefined);
          })();
      });
      const exitCode = await Promise.race([main.exited, detached.then(() => 0)]);
      this.#finish(record, exitCode);
      return { exitCode };
    } finally {
      main.attached.delete(sinks);
      stopResize();
      dispose();
    }
  }

  /** Ends every process and session. Idempotent. */
  close(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new Error('the simulator is closing'));
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const main of this.#mains.values()) main.input.end();
  }
}
