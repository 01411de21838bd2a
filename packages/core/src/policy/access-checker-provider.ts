import type { ResourceStore, ResourceWatch, ResourceWatchEvent } from '../contracts/resource-store.js';
import { validateRole } from '../roles/parse-roles.js';
import type { Role } from '../roles/types.js';
import type { Identity, Traits } from '../types/identity.js';
import { type AccessChecker, type AccessCheckerOptions, createAccessChecker } from './access-checker.js';

/** Emitted after the provider applied a role change; checkers handed out before are stale. */
export interface RolesChangedEvent {
  /** Names of the roles created, updated or deleted by this change. */
  readonly changedRoles: readonly string[];
  /** Increases by one with every change the provider applies. */
  readonly generation: number;
}

/** Options for {@link createAccessCheckerProvider}. */
export interface AccessCheckerProviderOptions {
  /**
   * Where role definitions live (a `RoleStore`); the provider only reads `list()` once and then
   * follows `watch()`.
   */
  readonly roleStore: Pick<ResourceStore<Role>, 'list' | 'watch'>;
  /** Passed to every checker it builds. */
  readonly checker?: AccessCheckerOptions;
  /** How many (identity -> checker) entries to cache. Default 1000. */
  readonly cacheSize?: number;
  /**
   * Receives errors thrown by `onRolesChanged` listeners, and the `RMT_ROLE_INVALID` error of a
   * stored role that does not validate (such a role grants nothing until it is fixed). Neither stops
   * the provider. Default: rethrown from a microtask, so that they surface as uncaught exceptions
   * instead of vanishing.
   */
  readonly onError?: (error: unknown) => void;
}

/** The part of an identity a checker depends on. */
export type CheckerIdentity = Pick<Identity, 'username' | 'roles' | 'traits'>;

/**
 * Keeps a live snapshot of the role store and hands out {@link AccessChecker}s built from the
 * *current* definitions, so a role change applies to the next decision without a restart.
 */
export interface AccessCheckerProvider {
  /**
   * The checker for an identity, from the current role definitions (cached until one of its roles
   * changes). A role name the store does not hold grants nothing.
   */
  forIdentity(identity: CheckerIdentity): AccessChecker;
  /** The current definition of a role, if the store holds it. */
  role(name: string): Role | undefined;
  /** Increases with every applied change; compare to know whether a checker is stale. */
  readonly generation: number;
  /**
   * Calls `listener` after every applied change, with the changed role names (the Proxy ends the
   * sessions of identities holding them when their access shrank). Returns an unsubscribe function.
   */
  onRolesChanged(listener: (event: RolesChangedEvent) => void): () => void;
  /** Stops following the store; idempotent. Checkers already handed out keep working. */
  close(): void;
}

function traitsKey(traits: Traits): string {
  const keys = Object.keys(traits).sort();
  return JSON.stringify(keys.map((k) => [k, traits[k]]));
}

/**
 * Starts a provider: subscribes to the store's watch first, then lists, so no change falls between
 * the two (changes seen during the list are replayed on top of it, in commit order).
 */
export async function createAccessCheckerProvider(
  options: AccessCheckerProviderOptions,
): Promise<AccessCheckerProvider> {
  const { roleStore } = options;
  const cacheSize = options.cacheSize ?? 1000;
  const onError =
    options.onError ??
    ((error: unknown) =>
      queueMicrotask(() => {
        throw error;
      }));
  const roles = new Map<string, Role>();
  const cache = new Map<string, { checker: AccessChecker; roles: readonly string[] }>();
  const listeners = new Set<(event: RolesChangedEvent) => void>();
  let generation = 0;
  let closed = false;
  let pending: Array<ResourceWatchEvent<Role>> | undefined = [];

  // Stores validate on write, but a shared store may hold a role written by another version:
  // checkers only ever see roles that validate here (fail closed: an invalid role grants nothing).
  function store(role: Role): void {
    const name = role.metadata.name;
    try {
      roles.set(name, validateRole(role));
    } catch (error) {
      roles.delete(name);
      onError(error);
    }
  }

  function apply(event: ResourceWatchEvent<Role>): string {
    if (event.type === 'put') {
      store(event.resource);
      return event.resource.metadata.name;
    }
    roles.delete(event.name);
    return event.name;
  }

  function changed(names: readonly string[]): void {
    const set = new Set(names);
    for (const [key, entry] of cache) if (entry.roles.some((r) => set.has(r))) cache.delete(key);
    generation++;
    const event: RolesChangedEvent = Object.freeze({
      changedRoles: Object.freeze([...set].sort()),
      generation,
    });
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        onError(error);
      }
    }
  }

  const watch: ResourceWatch = roleStore.watch((event) => {
    if (closed) return;
    if (pending) pending.push(event);
    else changed([apply(event)]);
  });
  try {
    for (const role of await roleStore.list()) store(role);
  } catch (error) {
    watch.close();
    throw error;
  }
  const replay = pending;
  pending = undefined;
  if (replay.length > 0) changed(replay.map(apply));

  return {
    forIdentity(identity) {
      const key = `${identity.username}\u0000${identity.roles.join('\u0000')}\u0000${traitsKey(identity.traits)}`;
      const hit = cache.get(key);
      if (hit) {
        // Refresh its position: the cache evicts the least recently used entry.
        cache.delete(key);
        cache.set(key, hit);
        return hit.checker;
      }
      const resolved = identity.roles
        .map((name) => roles.get(name))
        .filter((r): r is Role => r !== undefined);
      const checker = createAccessChecker(
        { username: identity.username, roles: resolved, traits: identity.traits },
        options.checker,
      );
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(key, { checker, roles: [...identity.roles] });
      return checker;
    },
    role(name) {
      return roles.get(name);
    },
    get generation() {
      return generation;
    },
    onRolesChanged(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close() {
      if (closed) return;
      closed = true;
      watch.close();
      listeners.clear();
      cache.clear();
    },
  };
}
