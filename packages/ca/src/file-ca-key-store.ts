import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaKeySet, CaKeyStore, CaKeyStoreCapabilities, CaKind } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import { checkCaKeySet } from './ca-key-set-shape.js';

/** Options for {@link FileCaKeyStore}. */
export interface FileCaKeyStoreOptions {
  /**
   * Directory holding `user-ca.json` and `host-ca.json`. Created with mode 0700 when missing; an
   * existing directory that group or others can write to is refused.
   */
  readonly directory: string;
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
      let parsed: unknown;
      try {
        parsed = JSON.parse(await handle.readFile('utf8'));
      } catch {
        // No cause: V8's JSON.parse message quotes the text around the error, which here could be
        // part of a private key, and causes end up in logs.
        throw new RemotelerError('RMT_CA_KEY_STORE_CORRUPT', `${path} is not valid JSON`);
      }
      return checkCaKeySet(parsed, kind);
    } finally {
      await handle.close();
    }
  }

  async save(set: CaKeySet): Promise<void> {
    const checked = checkCaKeySet(structuredClone(set), set.kind);
    if (!(await this.#checkDirectory())) {
      await mkdir(this.#directory, { recursive: true, mode: 0o700 });
      // mkdir's mode is filtered by the umask; set it exactly.
      await chmod(this.#directory, 0o700);
    }
    const target = this.pathOf(checked.kind);
    const temp = join(this.#directory, `.${checked.kind}-ca.json.${randomBytes(6).toString('hex')}.tmp`);
    // O_EXCL + mode 0600 at creation: the secret is never readable by others, not even briefly.
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(checked, null, 2)}\n`, 'utf8');
      await handle.chmod(0o600);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    // fsync the directory so that the rename itself survives a crash.
    const directory = await open(this.#directory, constants.O_RDONLY);
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  async close(): Promise<void> {}
}
