import { posix } from 'node:path';
import { RemotelerError } from '@remoteler/core';

/** What {@link MemoryFileSystem.stat} reports. */
export interface MemoryFileStat {
  readonly type: 'file' | 'directory';
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
  /** Bytes; 0 for directories. */
  readonly size: number;
  readonly mtime: Date;
}

type Node =
  | { type: 'file'; data: Buffer; mode: number; mtime: Date }
  | { type: 'directory'; entries: Map<string, Node>; mode: number; mtime: Date };

/**
 * A failed call on a fake container filesystem (`RMT_TESTKIT_STREAM_FILE_ERROR`). `errno` is the POSIX
 * name, and `message` the text a fake program prints after its own prefix (`No such file or directory`).
 */
export class FileSystemError extends RemotelerError {
  /** POSIX errno name: ENOENT, ENOTDIR, EISDIR, EEXIST, ENOTEMPTY. */
  readonly errno: string;
  constructor(errno: string, message: string) {
    super('RMT_TESTKIT_STREAM_FILE_ERROR', message, { details: { errno } });
    this.name = 'FileSystemError';
    this.errno = errno;
  }
}

const MESSAGES: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
};

function fail(errno: string): never {
  throw new FileSystemError(errno, MESSAGES[errno] ?? errno);
}

/**
 * The in-memory filesystem of one fake container. Paths are absolute POSIX paths; relative paths are
 * refused with `RMT_TESTKIT_STREAM_OPTION_INVALID` (fake processes resolve them against their own
 * working directory first). Files and directories only: no links, owners or devices.
 */
export class MemoryFileSystem {
  readonly #root: Node = { type: 'directory', entries: new Map(), mode: 0o755, mtime: new Date(0) };
  readonly #now: () => Date;

  /** `now` stamps modification times; default the wall clock. */
  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  #parts(path: string): string[] {
    if (!path.startsWith('/'))
      throw new RemotelerError('RMT_TESTKIT_STREAM_OPTION_INVALID', `path "${path}" is not absolute`);
    return posix
      .normalize(path)
      .split('/')
      .filter((part) => part.length > 0);
  }

  #lookup(path: string): Node | undefined {
    let node: Node = this.#root;
    for (const part of this.#parts(path)) {
      if (node.type !== 'directory') return undefined;
      const next = node.entries.get(part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  #parent(path: string): { directory: Extract<Node, { type: 'directory' }>; name: string } {
    const parts = this.#parts(path);
    const name = parts.pop();
    if (name === undefined) fail('EEXIST');
    const parent = this.#lookup(`/${parts.join('/')}`);
    if (!parent) fail('ENOENT');
    if (parent.type !== 'directory') fail('ENOTDIR');
    return { directory: parent, name };
  }

  /** Information about `path`, or `undefined` when nothing is there. */
  stat(path: string): MemoryFileStat | undefined {
    const node = this.#lookup(path);
    if (!node) return undefined;
    return {
      type: node.type,
      mode: node.mode,
      size: node.type === 'file' ? node.data.length : 0,
      mtime: node.mtime,
    };
  }

  /** Whether something exists at `path`. */
  exists(path: string): boolean {
    return this.#lookup(path) !== undefined;
  }

  /** A copy of a file's bytes. Throws a {@link FileSystemError} (ENOENT, EISDIR). */
  readFile(path: string): Buffer {
    const node = this.#lookup(path);
    if (!node) fail('ENOENT');
    if (node.type !== 'file') fail('EISDIR');
    return Buffer.from(node.data);
  }

  /**
   * Creates or replaces a file. With `parents` (default false) missing directories are created like
   * `mkdir -p`. `mode` defaults to 0o644, `mtime` to now.
   */
  writeFile(
    path: string,
    data: Uint8Array | string,
    options: { mode?: number; mtime?: Date; parents?: boolean; append?: boolean } = {},
  ): void {
    if (options.parents) this.mkdir(posix.dirname(posix.normalize(path)), { parents: true });
    const { directory, name } = this.#parent(path);
    const existing = directory.entries.get(name);
    if (existing?.type === 'directory') fail('EISDIR');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    directory.entries.set(name, {
      type: 'file',
      data: options.append && existing ? Buffer.concat([existing.data, bytes]) : bytes,
      mode: options.mode ?? existing?.mode ?? 0o644,
      mtime: options.mtime ?? this.#now(),
    });
  }

  /** Creates a directory; with `parents`, missing parents too and no error when it exists. */
  mkdir(path: string, options: { parents?: boolean; mode?: number } = {}): void {
    const parts = this.#parts(path);
    let node = this.#root;
    for (const [index, part] of parts.entries()) {
      if (node.type !== 'directory') fail('ENOTDIR');
      const next = node.entries.get(part);
      const last = index === parts.length - 1;
      if (next) {
        if (next.type !== 'directory') fail(last ? 'EEXIST' : 'ENOTDIR');
        if (last && !options.parents) fail('EEXIST');
        node = next;
        continue;
      }
      if (!last && !options.parents) fail('ENOENT');
      const created: Node = {
        type: 'directory',
        entries: new Map(),
        mode: options.mode ?? 0o755,
        mtime: this.#now(),
      };
      node.entries.set(part, created);
      node = created;
    }
  }

  /** Names in a directory, sorted. Throws ENOENT / ENOTDIR. */
  readdir(path: string): string[] {
    const node = this.#lookup(path);
    if (!node) fail('ENOENT');
    if (node.type !== 'directory') fail('ENOTDIR');
    return [...node.entries.keys()].sort();
  }

  /** Removes a file, or a directory (non-empty ones only with `recursive`). */
  remove(path: string, options: { recursive?: boolean } = {}): void {
    const { directory, name } = this.#parent(path);
    const node = directory.entries.get(name);
    if (!node) fail('ENOENT');
    if (node.type === 'directory' && node.entries.size > 0 && !options.recursive) fail('ENOTEMPTY');
    directory.entries.delete(name);
  }
}
