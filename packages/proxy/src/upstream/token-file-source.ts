import { readFile } from 'node:fs/promises';
import { RemotelerError } from '@remoteler/core';

/** Options for {@link TokenFileSource}. */
export interface TokenFileSourceOptions {
  /** How long a token read from the file is used before the file is read again, in ms. Default 60 000. */
  readonly refreshMs?: number;
  /** Clock in ms since the epoch; default `Date.now`. For tests. */
  readonly now?: () => number;
}

/**
 * A bearer token kept in a file that someone else rotates (a projected service-account token). Like
 * client-go's cached token source, the file is re-read once the cached value is `refreshMs` old, so
 * a rotated token is picked up without a restart; concurrent callers share one read.
 */
export class TokenFileSource {
  readonly #path: string;
  readonly #refreshMs: number;
  readonly #now: () => number;
  #token: string | undefined;
  #readAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<string> | undefined;

  constructor(path: string, options: TokenFileSourceOptions = {}) {
    this.#path = path;
    this.#refreshMs = options.refreshMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The current token. Rejects with `RMT_PROXY_UPSTREAM_CREDENTIALS_UNAVAILABLE` when the file cannot be read and no earlier token exists. */
  token(): Promise<string> {
    if (this.#token !== undefined && this.#now() - this.#readAt < this.#refreshMs)
      return Promise.resolve(this.#token);
    this.#pending ??= this.#read().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #read(): Promise<string> {
    try {
      const token = (await readFile(this.#path, 'utf8')).trim();
      if (token === '') throw new Error('the token file is empty');
      // The token goes into a header: anything but visible ASCII would corrupt or split it.
      if (!/^[\x21-\x7e]+$/.test(token))
        throw new Error('the token file holds characters a header cannot carry');
      this.#token = token;
      this.#readAt = this.#now();
      return token;
    } catch (cause) {
      // During a rotation the file can briefly be missing; the previous token is still valid then.
      if (this.#token !== undefined) return this.#token;
      throw new RemotelerError(
        'RMT_PROXY_UPSTREAM_CREDENTIALS_UNAVAILABLE',
        `cannot read the service-account token file ${this.#path}`,
        { cause },
      );
    }
  }
}
