/** The part of every stored resource that stores read: its name and the revision they assign. */
export interface StoredResource {
  readonly metadata: { readonly name: string; readonly revision?: string };
}

/** What a store can do beyond the basic operations, declared instead of throwing "not implemented". */
export interface ResourceStoreCapabilities {
  /** `watch()` delivers changes made by other processes/replicas, not just this instance. */
  readonly sharedWatch: boolean;
  /** Values survive a restart of the process. */
  readonly durable: boolean;
}

/** A change seen by a watcher. `put` covers both creation and update. */
export type ResourceWatchEvent<T extends StoredResource> =
  | { readonly type: 'put'; readonly resource: T; readonly previous: T | undefined }
  | { readonly type: 'delete'; readonly name: string; readonly previous: T };

/** A live watch; `close()` is idempotent. */
export interface ResourceWatch {
  close(): void;
}

export interface ResourceWatchOptions {
  /** Ends the watch when aborted (the same as calling `close()`). */
  readonly signal?: AbortSignal;
}

export interface ResourceWriteOptions {
  /**
   * Optimistic concurrency: the write happens only if the stored revision is this one, otherwise it
   * fails with `RMT_STORE_REVISION_CONFLICT` and nothing changes.
   */
  readonly expectedRevision?: string;
}

/**
 * Generic storage for named resources (roles, users, clusters, locks…). Every returned value carries
 * the store's `metadata.revision`; a revision the caller puts on a value it writes is ignored.
 * Revisions are opaque strings that change on every write and are never reused for a name, even
 * after delete and re-create. Writes are atomic: a failed call leaves nothing half-applied.
 * Names are 1-253 characters without `/`, control characters, `.` or `..` (else RMT_STORE_INVALID).
 * Values are copied: mutating an object passed in or returned never changes stored state.
 * `@remoteler/core/testing` exports `describeResourceStoreConformance`, which checks all of this.
 *
 * Errors: `RMT_STORE_NOT_FOUND` (update/delete of a missing name), `RMT_STORE_ALREADY_EXISTS`
 * (create of an existing name), `RMT_STORE_REVISION_CONFLICT` (stale `expectedRevision`),
 * `RMT_STORE_INVALID` (a value the store's validator refuses), `RMT_STORE_CLOSED` (after `close()`).
 */
export interface ResourceStore<T extends StoredResource> {
  /** The resource kind, e.g. `role`. */
  readonly kind: string;
  readonly capabilities: ResourceStoreCapabilities;
  /** The resource, or `undefined` when no resource has that name. */
  get(name: string): Promise<T | undefined>;
  /**
   * Every resource, sorted by name in Unicode code point order (the UTF-8 byte order in which
   * key-value stores such as etcd list keys; see `compareCodePoints`).
   */
  list(): Promise<T[]>;
  create(resource: T): Promise<T>;
  update(resource: T, options?: ResourceWriteOptions): Promise<T>;
  /**
   * Create or update in one step. With `expectedRevision` it behaves as `update` (the resource must
   * exist at that revision); without, the last writer wins.
   */
  upsert(resource: T, options?: ResourceWriteOptions): Promise<T>;
  delete(name: string, options?: ResourceWriteOptions): Promise<void>;
  /**
   * Calls `listener` for every change after the call, in commit order. Listener errors are
   * reported on the store's event bus and never stop the watch.
   */
  watch(listener: (event: ResourceWatchEvent<T>) => void, options?: ResourceWatchOptions): ResourceWatch;
  /** Ends every watch and releases resources; idempotent. */
  close(): Promise<void>;
}
