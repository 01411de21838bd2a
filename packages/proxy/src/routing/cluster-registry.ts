import { RemotelerError } from '@remoteler/core';
import { isValidClusterName, type ProxyCluster } from './cluster.js';

/** A change to the set of clusters. `removed` carries the cluster as it was. */
export interface ClusterRegistryEvent {
  readonly type: 'added' | 'removed';
  readonly cluster: ProxyCluster;
}

/**
 * Where the Proxy looks clusters up, on every request, so that additions and removals apply at
 * once. An etcd-backed registry (shared by several Proxy replicas) implements the same contract.
 */
export interface ClusterRegistry {
  get(name: string): ProxyCluster | undefined;
  list(): readonly ProxyCluster[];
  /** Calls `listener` after each change; returns the function that unsubscribes. */
  subscribe(listener: (event: ClusterRegistryEvent) => void): () => void;
}

/** An in-memory {@link ClusterRegistry}; clusters are added and removed at run time. */
export class MemoryClusterRegistry implements ClusterRegistry {
  readonly #clusters = new Map<string, ProxyCluster>();
  readonly #listeners = new Set<(event: ClusterRegistryEvent) => void>();

  constructor(clusters: readonly ProxyCluster[] = []) {
    for (const cluster of clusters) this.add(cluster);
  }

  /**
   * Registers a cluster (frozen copy). Throws `RMT_CONFIG_INVALID` for a bad name and
   * `RMT_PROXY_CLUSTER_EXISTS` when the name is taken.
   */
  add(cluster: ProxyCluster): void {
    if (typeof cluster.name !== 'string' || !isValidClusterName(cluster.name))
      throw new RemotelerError('RMT_CONFIG_INVALID', `cluster name "${String(cluster.name)}" is not valid`, {
        details: { field: 'name' },
        hint: 'Use lower-case letters, digits, ".", "_" and "-", starting and ending with a letter or digit.',
      });
    if (this.#clusters.has(cluster.name))
      throw new RemotelerError('RMT_PROXY_CLUSTER_EXISTS', `cluster "${cluster.name}" is already registered`);
    const frozen: ProxyCluster = Object.freeze({
      name: cluster.name,
      labels: Object.freeze({ ...(cluster.labels ?? {}) }),
      upstream: Object.freeze({ ...cluster.upstream }),
    });
    this.#clusters.set(frozen.name, frozen);
    this.#emit({ type: 'added', cluster: frozen });
  }

  /** Unregisters a cluster; returns false when it was not registered. */
  remove(name: string): boolean {
    const cluster = this.#clusters.get(name);
    if (!cluster) return false;
    this.#clusters.delete(name);
    this.#emit({ type: 'removed', cluster });
    return true;
  }

  get(name: string): ProxyCluster | undefined {
    return this.#clusters.get(name);
  }

  list(): readonly ProxyCluster[] {
    return [...this.#clusters.values()];
  }

  subscribe(listener: (event: ClusterRegistryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: ClusterRegistryEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}
