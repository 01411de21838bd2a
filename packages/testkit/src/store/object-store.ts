import type { KubeObject } from '../api/resource-types.js';

/** A change to a stored object, as a watch delivers it. */
export interface StoreEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** `<group>/<resource>`, e.g. `/pods` or `apps/deployments`. */
  readonly typeKey: string;
  readonly namespace: string;
  /** A private copy; listeners may keep it. */
  readonly object: KubeObject;
  /** For MODIFIED: the object before the change (watch filters need it to see an object leave a selector). */
  readonly previous?: KubeObject;
  readonly resourceVersion: number;
}

/** Options for {@link ObjectStore}. */
export interface ObjectStoreOptions {
  /** How many events the store keeps for watch resumption. Default 1000. */
  readonly historyLimit?: number;
  /** The first resourceVersion handed out minus one. Default 1000. */
  readonly initialResourceVersion?: number;
}

type Listener = (event: StoreEvent) => void;

/** Thrown by {@link ObjectStore.watch} for a resourceVersion older than the kept history. */
export class ResourceVersionTooOldError extends Error {
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    // apiserver watch cache wording (NewResourceExpired), k8s-protocols §3.2 / §12.
    super(`too old resource version: ${requested} (${current})`);
    this.name = 'ResourceVersionTooOldError';
  }
}

/**
 * The simulator's storage: objects per resource type, one global resourceVersion counter (as etcd's
 * revision), and a bounded event history so that watches can resume from a resourceVersion.
 */
export class ObjectStore {
  private revision: number;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  /** Events with a resourceVersion <= this one are no longer in the history. */
  private compactedRevision: number;
  private readonly historyLimit: number;
  private readonly listeners = new Set<Listener>();

  constructor(options: ObjectStoreOptions = {}) {
    this.revision = options.initialResourceVersion ?? 1000;
    this.compactedRevision = this.revision;
    this.historyLimit = options.historyLimit ?? 1000;
  }

  /** The latest resourceVersion handed out. */
  get resourceVersion(): number {
    return this.revision;
  }

  /** Reserves the next resourceVersion. */
  nextResourceVersion(): number {
    this.revision += 1;
    return this.revision;
  }

  /** A copy of one object, or undefined. */
  get(typeKey: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.get(typeKey)?.get(`${namespace}/${name}`);
    return found ? structuredClone(found) : undefined;
  }

  /** Copies of every object of a type (in one namespace when given), sorted by namespace and name. */
  list(typeKey: string, namespace?: string): KubeObject[] {
    const bucket = this.objects.get(typeKey);
    if (!bucket) return [];
    const keys = [...bucket.keys()]
      .filter((k) => namespace === undefined || k.startsWith(`${namespace}/`))
      .sort();
    return keys.map((k) => structuredClone(bucket.get(k)!));
  }

  /**
   * Stores `object` (whose metadata.resourceVersion the caller has set from
   * {@link nextResourceVersion}) and notifies watchers.
   */
  put(typeKey: string, object: KubeObject, type: 'ADDED' | 'MODIFIED'): void {
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    let bucket = this.objects.get(typeKey);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(typeKey, bucket);
    }
    const previous = bucket.get(`${namespace}/${name}`);
    bucket.set(`${namespace}/${name}`, structuredClone(object));
    this.emit({
      type,
      typeKey,
      namespace,
      object: structuredClone(object),
      ...(previous && type === 'MODIFIED' ? { previous } : {}),
      resourceVersion: Number(object.metadata?.resourceVersion),
    });
  }

  /** Removes an object; the DELETED event carries `object` with a fresh resourceVersion. */
  remove(typeKey: string, namespace: string, name: string): KubeObject | undefined {
    const bucket = this.objects.get(typeKey);
    const existing = bucket?.get(`${namespace}/${name}`);
    if (!bucket || !existing) return undefined;
    bucket.delete(`${namespace}/${name}`);
    const rv = this.nextResourceVersion();
    const object = structuredClone(existing);
    object.metadata = { ...object.metadata, resourceVersion: String(rv) };
    this.emit({ type: 'DELETED', typeKey, namespace, object, resourceVersion: rv });
    return structuredClone(object);
  }

  /**
   * Starts a watch on every change after `fromResourceVersion` (history first, then live events).
   * Throws {@link ResourceVersionTooOldError} when that point was compacted away.
   *
   * @returns a function that stops the watch.
   */
  watch(fromResourceVersion: number, listener: Listener): () => void {
    if (fromResourceVersion < this.compactedRevision) {
      throw new ResourceVersionTooOldError(fromResourceVersion, this.revision);
    }
    for (const event of this.history) {
      if (event.resourceVersion > fromResourceVersion) listener(event);
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Forgets the whole event history, as etcd compaction does: older watches then get 410. */
  compact(): void {
    this.history.length = 0;
    this.compactedRevision = this.revision;
  }

  /** Stops every watch (used by close()). */
  stopAllWatches(): void {
    this.listeners.clear();
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.compactedRevision = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}
