import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  CaKeySet,
  CaKeySetWriteOptions,
  CaKeyStore,
  CaKeyStoreCapabilities,
  CaKind,
} from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import { checkCaKeySet, conflict, withRevision } from './ca-key-set-shape.js';

/** Options for {@link FileCaKeyStore}. */
export interface FileCaKeyStoreOptions {
  /**
   * Directory holding `user-ca.json` and `host-ca.json`. Created with mode 0700 when missing; an
   * existing directory that group or others can write to is refused.
   */
  readonly directory: string;
}

function revisionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function permissions(path: string, mode: number, wanted: string): RemotelerError {
  return new RemotelerError(
    'RMT_CA_KEY_FILE_PERMISSIONS',
    `${path} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}; CA key material needs ${wanted}`,
    { details: { path, mode: (mode & 0o777).toString(8) } },
  );
}

/**
 * A {@link CaKeyStore} on the local file system: one JSON file per CA kind, mode 0600, in a 0700
 * directory. Writes are atomic (a fresh 0600 temp file, fsync, rename, fsync of the directory), so
 * a crash leaves the old set or the new one. Loading refuses a key file that group or others can
 * read or write (`RMT_CA_KEY_FILE_PERMISSIONS`), and a symlink in its place.
 */
export class FileCaKeyStore implements CaKeyStore {
  readonly capabilities: CaKeyStoreCapabilities = Object.freeze({ durable: true, shared: false });
  readonly #directory: string;
  /** Saves of this instance run one at a time, so a revision check and its rename are not interleaved. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: FileCaKeyStoreOptions) {
    if (typeof options?.directory !== 'string' || options.directory === '')
      throw new RemotelerError('RMT_CONFIG_INVALID', 'FileCaKeyStore needs a directory', {
        details: { field: 'directory' },
      });
    this.#directory = options.directory;
  }

  /** The file that holds the key set of `kind`. */
  pathOf(kind: CaKind): string {
    return join(this.#directory, `${kind}-ca.json`);
  }

  async #checkDirectory(): Promise<boolean> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(this.#directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    // Anyone who can write the directory can swap the key file for their own CA.
    if ((info.mode & 0o022) !== 0)
      throw permissions(this.#directory, info.mode, 'a directory only its owner can write (0700)');
    return true;
  }

  async load(kind: CaKind): Promise<CaKeySet | undefined> {
    const stored = await this.#read(kind);
    return stored && withRevision(stored.set, stored.revision);
  }

  /** The stored set and its revision: a hash of the file's bytes, so any change shows. */
  async #read(kind: CaKind): Promise<{ set: CaKeySet; revision: string } | undefined> {
    if (!(await this.#checkDirectory())) return undefined;
    const path = this.pathOf(kind);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      // O_NOFOLLOW: a symlink planted in place of the key file is refused, not followed.
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP')
        throw new RemotelerError(
          'RMT_CA_KEY_FILE_PERMISSIONS',
          `${path} is a symbolic link; CA key files must be regular files`,
        );
      throw new RemotelerError('RMT_CA_KEY_STORE_CORRUPT', `${path} cannot be opened`, { cause: error });
    }
    try {
      // fstat of the open descriptor: the mode checked is the mode of the file actually read.
      const info = await handle.stat();
      if (!info.isFile())
        throw new RemotelerError('RMT_CA_KEY_STORE_CORRUPT', `${path} is not a regular file`);
      if ((info.mode & 0o077) !== 0) throw permissions(path, info.mode, '0600 (owner read/write only)');
      const text = await handle.readFile('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // No cause: V8's JSON.parse message quotes the text around the error, which here could be
        // part of a private key, and causes end up in logs.
        throw new RemotelerError('RMT_CA_KEY_STORE_CORRUPT', `${path} is not valid JSON`);
      }
      return { set: checkCaKeySet(parsed, kind), revision: revisionOf(text) };
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes atomically. Conditional writes: `expectedRevision: null` creates the file with link(2),
   * which fails if it exists even when another process wrote it a moment ago; a string revision is
   * compared with the file just before the rename (safe within this instance, whose saves run one
   * at a time; across processes only creation is atomic: `capabilities.shared` is false).
   */
  save(set: CaKeySet, options: CaKeySetWriteOptions = {}): Promise<CaKeySet> {
    const run = () => this.#save(set, options);
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #save(set: CaKeySet, options: CaKeySetWriteOptions): Promise<CaKeySet> {
    const checked = checkCaKeySet(structuredClone(set), set?.kind);
    if (!(await this.#checkDirectory())) {
      await mkdir(this.#directory, { recursive: true, mode: 0o700 });
      // mkdir's mode is filtered by the umask; set it exactly.
      await chmod(this.#directory, 0o700);
    }
    const target = this.pathOf(checked.kind);
    const text = `${JSON.stringify(checked, null, 2)}\n`;
    const temp = join(this.#directory, `.${checked.kind}-ca.json.${randomBytes(6).toString('hex')}.tmp`);
    // O_EXCL + mode 0600 at creation: the secret is never readable by others, not even briefly.
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      const expected = options.expectedRevision;
      if (expected === null) {
        try {
          await link(temp, target);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(checked.kind, null);
          throw error;
        }
      } else {
        if (typeof expected === 'string' && (await this.#read(checked.kind))?.revision !== expected)
          throw conflict(checked.kind, expected);
        await rename(temp, target);
      }
    } finally {
      await rm(temp, { force: true });
    }
    // fsync the directory so that the new entry itself survives a crash.
    const directory = await open(this.#directory, constants.O_RDONLY);
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return withRevision(checked, revisionOf(text));
  }

  async close(): Promise<void> {}
}
