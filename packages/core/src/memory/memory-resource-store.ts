import type {
  ResourceStore,
  ResourceStoreCapabilities,
  ResourceWatch,
  ResourceWatchEvent,
  ResourceWatchOptions,
  ResourceWriteOptions,
  StoredResource,
} from '../contracts/resource-store.js';
import { RemotelerError } from '../errors/remoteler-error.js';
import type { StoreEvents } from '../events/store-events.js';
import { createEventBus, type TypedEventBus } from '../events/typed-event-bus.js';
import { hasControlCharacters } from '../types/resource.js';
import { compareCodePoints } from './compare-code-points.js';

/** Options for {@link MemoryResourceStore}. */
export interface MemoryResourceStoreOptions<T extends StoredResource> {
  /** The resource kind, e.g. `role`; used in messages. */
  readonly kind: string;
  /**
   * Called on every write with the incoming value (its `metadata.revision` removed); returns the
   * value to store (it may fill defaults) or throws. A throw becomes `RMT_STORE_INVALID` (with the
   * validator's `details` and message) and nothing is stored. Default: only the name is checked.
   */
  readonly validate?: (value: unknown) => T;
  /** The bus on which the store reports watch listener errors. Default: a new bus, see `events`. */
  readonly events?: TypedEventBus<StoreEvents>;
}

interface WatchEntry<T extends StoredResource> {
  readonly listener: (event: ResourceWatchEvent<T>) => void;
  closed: boolean;
}

/**
 * A {@link ResourceStore} in process memory: the reference implementation of the contract, for
 * tests, demos and single-process deployments. Not durable, not shared between processes.
 *
 * Revisions are a per-store counter, so they only grow: a name deleted and created again never gets
 * a revision it had before (a stale `expectedRevision` can never match by accident). Every value is
 * copied on the way in and out, so callers cannot change stored state by mutating objects.
 */
export class MemoryResourceStore<T extends StoredResource> implements ResourceStore<T> {
  readonly kind: string;
  readonly capabilities: ResourceStoreCapabilities = Object.freeze({ sharedWatch: false, durable: false });
  /** Where watch listener errors are reported (`watch-listener-error`). */
  readonly events: TypedEventBus<StoreEvents>;

  readonly #validate: ((value: unknown) => T) | undefined;
  readonly #items = new Map<string, T>();
  readonly #watches = new Set<WatchEntry<T>>();
  readonly #pending: Array<ResourceWatchEvent<T>> = [];
  #revision = 0;
  #delivering = false;
  #closed = false;

  constructor(options: MemoryResourceStoreOptions<T>) {
    this.kind = options.kind;
    this.#validate = options.validate;
    this.events = options.events ?? createEventBus<StoreEvents>();
  }

  async get(name: string): Promise<T | undefined> {
    this.#assertOpen();
    const item = this.#items.get(name);
    return item === undefined ? undefined : structuredClone(item);
  }

  async list(): Promise<T[]> {
    this.#assertOpen();
    return [...this.#items.keys()]
      .sort(compareCodePoints)
      .map((name) => structuredClone(this.#items.get(name)!));
  }

  async create(resource: T): Promise<T> {
    this.#assertOpen();
    const value = this.#prepare(resource);
    const name = value.metadata.name;
    if (this.#items.has(name))
      throw new RemotelerError('RMT_STORE_ALREADY_EXISTS', `${this.kind} "${name}" already exists`, {
        details: { kind: this.kind, name },
      });
    return this.#commit(name, value, undefined);
  }

  async update(resource: T, options: ResourceWriteOptions = {}): Promise<T> {
    this.#assertOpen();
    const value = this.#prepare(resource);
    const name = value.metadata.name;
    const previous = this.#existing(name);
    this.#checkRevision(previous, options);
    return this.#commit(name, value, previous);
  }

  async upsert(resource: T, options: ResourceWriteOptions = {}): Promise<T> {
    this.#assertOpen();
    const value = this.#prepare(resource);
    const name = value.metadata.name;
    const previous = this.#items.get(name);
    // With an expected revision, upsert is an update: it must find that exact version.
    if (options.expectedRevision !== undefined) this.#checkRevision(this.#existing(name), options);
    return this.#commit(name, value, previous);
  }

  async delete(name: string, options: ResourceWriteOptions = {}): Promise<void> {
    this.#assertOpen();
    const previous = this.#existing(name);
    this.#checkRevision(previous, options);
    this.#items.delete(name);
    this.#revision += 1;
    this.#publish({ type: 'delete', name, previous: structuredClone(previous) });
  }

  watch(listener: (event: ResourceWatchEvent<T>) => void, options: ResourceWatchOptions = {}): ResourceWatch {
    this.#assertOpen();
    const entry: WatchEntry<T> = { listener, closed: false };
    const close = () => {
      entry.closed = true;
      this.#watches.delete(entry);
      options.signal?.removeEventListener('abort', close);
    };
    if (options.signal?.aborted) {
      entry.closed = true;
      return { close };
    }
    this.#watches.add(entry);
    options.signal?.addEventListener('abort', close, { once: true });
    return { close };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#watches) entry.closed = true;
    this.#watches.clear();
    this.#pending.length = 0;
    this.#items.clear();
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new RemotelerError('RMT_STORE_CLOSED', `the ${this.kind} store is closed`, {
        details: { kind: this.kind },
      });
  }

  #existing(name: string): T {
    const item = this.#items.get(name);
    if (item === undefined)
      throw new RemotelerError('RMT_STORE_NOT_FOUND', `${this.kind} "${name}" does not exist`, {
        details: { kind: this.kind, name },
      });
    return item;
  }

  #checkRevision(current: T, options: ResourceWriteOptions): void {
    const expected = options.expectedRevision;
    if (expected !== undefined && current.metadata.revision !== expected)
      throw new RemotelerError(
        'RMT_STORE_REVISION_CONFLICT',
        `${this.kind} "${current.metadata.name}" changed since revision ${expected}`,
        { details: { kind: this.kind, name: current.metadata.name, expectedRevision: expected } },
      );
  }

  /** Copies, strips the caller's revision, validates. Throws before anything is changed. */
  #prepare(resource: T): T {
    let copy: T;
    try {
      copy = structuredClone(resource);
    } catch (cause) {
      throw new RemotelerError('RMT_STORE_INVALID', `${this.kind} is not plain data`, { cause });
    }
    const name: unknown = (copy as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    const nameProblem = checkName(name);
    if (nameProblem !== undefined)
      throw new RemotelerError('RMT_STORE_INVALID', `${this.kind} metadata.name ${nameProblem}`, {
        details: { kind: this.kind, problems: [{ path: 'metadata.name', message: nameProblem }] },
      });
    const { revision: _ignored, ...metadata } = copy.metadata;
    const unrevisioned = { ...copy, metadata } as T;
    if (this.#validate === undefined) return unrevisioned;
    let validated: T;
    try {
      validated = this.#validate(unrevisioned);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new RemotelerError('RMT_STORE_INVALID', `${this.kind} "${String(name)}" refused: ${message}`, {
        cause,
        details: { kind: this.kind, ...(RemotelerError.is(cause) ? cause.details : {}) },
      });
    }
    if (validated.metadata.name !== name)
      throw new RemotelerError(
        'RMT_STORE_INVALID',
        `the ${this.kind} validator changed the name "${String(name)}"`,
      );
    return validated;
  }

  #commit(name: string, value: T, previous: T | undefined): T {
    this.#revision += 1;
    const stored = { ...value, metadata: { ...value.metadata, revision: String(this.#revision) } } as T;
    this.#items.set(name, stored);
    this.#publish({
      type: 'put',
      resource: structuredClone(stored),
      previous: previous === undefined ? undefined : structuredClone(previous),
    });
    return structuredClone(stored);
  }

  // Events go through one queue drained by one loop, so that every watcher sees every change in
  // commit order even when a listener writes to the store from inside its callback.
  #publish(event: ResourceWatchEvent<T>): void {
    if (this.#watches.size === 0) return;
    this.#pending.push(event);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) {
        for (const entry of [...this.#watches]) {
          if (entry.closed) continue;
          try {
            entry.listener(structuredClone(next));
          } catch (error) {
            this.#reportListenerError(error);
          }
        }
      }
    } finally {
      this.#delivering = false;
    }
  }

  #reportListenerError(error: unknown): void {
    if (this.events.listenerCount('watch-listener-error') > 0)
      this.events.emit('watch-listener-error', { kind: this.kind, error });
    // Nobody subscribed: a warning on stderr rather than swallowing the error.
    else
      process.emitWarning(
        `a ${this.kind} store watch listener threw: ${error instanceof Error ? error.message : String(error)}`,
        { code: 'REMOTELER_WATCH_LISTENER_ERROR' },
      );
  }
}

function checkName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must be a non-empty string';
  if (name.length > 253) return 'must be at most 253 characters';
  if (hasControlCharacters(name)) return 'must not contain control characters';
  if (name.includes('/')) return 'must not contain "/"';
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  return undefined;
}
