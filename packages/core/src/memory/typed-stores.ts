import type { ClusterStore, LockStore, UserStore } from '../contracts/stores.js';
import type { StoreEvents } from '../events/store-events.js';
import type { TypedEventBus } from '../events/typed-event-bus.js';
import { type KubeCluster, parseKubeCluster } from '../types/kube-cluster.js';
import { type Lock, parseLock } from '../types/lock.js';
import { parseUser, type User } from '../types/user.js';
import { MemoryResourceStore } from './memory-resource-store.js';

/** Options shared by the typed memory stores. */
export interface MemoryTypedStoreOptions {
  readonly events?: TypedEventBus<StoreEvents>;
}

/** A {@link UserStore} in process memory; every write is validated with `parseUser`. */
export function createMemoryUserStore(
  options: MemoryTypedStoreOptions = {},
): MemoryResourceStore<User> & UserStore {
  return new MemoryResourceStore<User>({ kind: 'user', validate: parseUser, ...options });
}

/** A {@link ClusterStore} in process memory; every write is validated with `parseKubeCluster`. */
export function createMemoryClusterStore(
  options: MemoryTypedStoreOptions = {},
): MemoryResourceStore<KubeCluster> & ClusterStore {
  return new MemoryResourceStore<KubeCluster>({
    kind: 'kube_cluster',
    validate: parseKubeCluster,
    ...options,
  });
}

/** A {@link LockStore} in process memory; every write is validated with `parseLock`. */
export function createMemoryLockStore(
  options: MemoryTypedStoreOptions = {},
): MemoryResourceStore<Lock> & LockStore {
  return new MemoryResourceStore<Lock>({ kind: 'lock', validate: parseLock, ...options });
}
