import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type AuditEvent,
  type AuditSink,
  type AuditSinkCapabilities,
  assertAuditEvent,
  RemotelerError,
} from '@remoteler/core';

/** Options for {@link JsonLinesAuditSink.open}. */
export interface JsonLinesAuditSinkOptions {
  /** The file events are appended to, one JSON object per line. Created (mode 0600) when missing. */
  readonly path: string;
  /**
   * Whether every batch is `fdatasync`ed before `emit()` resolves, so that an accepted event
   * survives a crash of the machine, not only of the process. Default true.
   */
  readonly sync?: boolean;
  /**
   * Most events waiting to be written. Beyond it `emit()` rejects with RMT_AUDIT_SINK_FULL instead
   * of growing memory without bound while the disk is slow. Default 10 000.
   */
  readonly maxPendingEvents?: number;
}

interface Pending {
  readonly line: string;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * An {@link AuditSink} that appends events to a JSON-lines file: what a host service would ship to
 * its log pipeline (Fluent Bit, Vector, a SIEM agent tailing the file). Durable: `emit()` resolves
 * only once its line is written (and synced), and rejects with a `RMT_AUDIT_…` code otherwise, so
 * Auth and the Proxy can refuse what they cannot audit. Concurrent emits are written together in one
 * append (group commit), so a burst of requests costs one sync, not one each. No search: the file
 * is for the log pipeline to index.
 */
export class JsonLinesAuditSink implements AuditSink {
  readonly capabilities: AuditSinkCapabilities = Object.freeze({ search: false, durable: true });
  /** The file this sink appends to. */
  readonly path: string;
  readonly #file: FileHandle;
  readonly #sync: boolean;
  readonly #maxPending: number;
  #queue: Pending[] = [];
  /** A failed write may have left part of a line: the next write starts on a fresh line. */
  #torn = false;
  #writing: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(path: string, file: FileHandle, sync: boolean, maxPending: number) {
    this.path = path;
    this.#file = file;
    this.#sync = sync;
    this.#maxPending = maxPending;
  }

  /**
   * Opens (or creates, with mode 0600 in a 0700 folder when missing) the file for appending.
   * Rejects with RMT_AUDIT_SINK_WRITE_FAILED when it cannot.
   */
  static async open(options: JsonLinesAuditSinkOptions): Promise<JsonLinesAuditSink> {
    const problems: Array<{ path: string; message: string }> = [];
    if (typeof options?.path !== 'string' || options.path === '')
      problems.push({ path: 'path', message: 'must be a non-empty string' });
    const maxPending = options?.maxPendingEvents ?? 10_000;
    if (!Number.isSafeInteger(maxPending) || maxPending < 1)
      problems.push({ path: 'maxPendingEvents', message: 'must be a positive integer' });
    if (problems.length > 0)
      throw new RemotelerError(
        'RMT_CONFIG_INVALID',
        `JsonLinesAuditSink options are invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        { details: { problems } },
      );
    try {
      await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
      // 'a': O_APPEND, so each write lands at the end even if a log shipper truncates or another
      // writer appends (POSIX write(2) with O_APPEND).
      const file = await open(options.path, 'a', 0o600);
      return new JsonLinesAuditSink(options.path, file, options.sync ?? true, maxPending);
    } catch (error) {
      throw writeFailed(options.path, error);
    }
  }

  /** Resolves once the event's line is written (and synced); rejects with a `RMT_AUDIT_…` code otherwise. */
  emit(event: AuditEvent): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    try {
      assertAuditEvent(event);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#queue.length >= this.#maxPending)
      return Promise.reject(
        new RemotelerError(
          'RMT_AUDIT_SINK_FULL',
          `${this.#maxPending} audit events are waiting to be written`,
          {
            details: { maxPendingEvents: this.#maxPending, type: event.type },
          },
        ),
      );
    // Serialised now: a caller that mutates the event afterwards cannot change what is recorded.
    const line = `${JSON.stringify(event)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      this.#startWriting();
    });
  }

  /** Resolves when every event emitted before has been written (or refused). */
  async flush(): Promise<void> {
    if (this.#closed) throw closedError();
    while (this.#writing) await this.#writing;
  }

  /** Waits for every accepted event to be written, then closes the file. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      while (this.#writing) await this.#writing;
      await this.#file.close();
    })();
    return this.#closing;
  }

  #startWriting(): void {
    if (this.#writing) return;
    this.#writing = this.#drain().finally(() => {
      this.#writing = undefined;
      // An emit that arrived after the last batch was taken but before this callback ran saw a
      // writer still busy and left its line queued: pick it up now.
      if (this.#queue.length > 0) this.#startWriting();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        const lines = batch.map((pending) => pending.line).join('');
        await this.#file.appendFile(this.#torn ? `\n${lines}` : lines, 'utf8');
        this.#torn = false;
        if (this.#sync) await this.#file.datasync();
        for (const pending of batch) pending.resolve();
      } catch (error) {
        this.#torn = true;
        const failure = writeFailed(this.path, error);
        for (const pending of batch) pending.reject(failure);
      }
    }
  }
}

function closedError(): RemotelerError {
  return new RemotelerError('RMT_AUDIT_SINK_CLOSED', 'the JSON-lines audit sink is closed');
}

function writeFailed(path: string, cause: unknown): RemotelerError {
  const reason = (cause as NodeJS.ErrnoException)?.code ?? 'unknown error';
  return new RemotelerError(
    'RMT_AUDIT_SINK_WRITE_FAILED',
    `the audit file ${path} could not be written (${reason})`,
    {
      cause,
      details: { path, reason },
    },
  );
}
