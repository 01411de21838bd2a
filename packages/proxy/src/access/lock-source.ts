import { type Identity, type Lock, lockApplies, RemotelerError } from '@remoteler/core';

/**
 * Where the Proxy reads locks (`kind: lock`: a user, a role or a cluster blocked at once, even with a
 * valid certificate). `current()` is read on every request, so it must be a cheap in-memory
 * snapshot (e.g. kept up to date from a `LockStore` watch).
 */
export interface LockSource {
  current(): readonly Lock[];
  /** Calls `listener` after every change; the Proxy then ends open sessions a new lock applies to. */
  subscribe?(listener: () => void): () => void;
}

/** The first lock in force that applies to this identity on this cluster, if any. */
export function findLock(
  locks: readonly Lock[],
  identity: Identity,
  cluster: string | undefined,
  now: number,
): Lock | undefined {
  const subject = {
    user: identity.username,
    roles: identity.roles,
    ...(cluster !== undefined && { cluster }),
  };
  return locks.find((lock) => lockApplies(lock, subject, now));
}

/** The refusal for a lock: its own message, which says why and whom to contact. */
export function lockedError(lock: Lock): RemotelerError {
  const target = lock.spec.target;
  const what =
    'user' in target
      ? 'your user'
      : 'role' in target
        ? `your role "${target.role}"`
        : `cluster "${target.cluster}"`;
  return new RemotelerError(
    'RMT_PROXY_LOCKED',
    `${what} is locked${lock.spec.message ? `: ${lock.spec.message}` : ''}`,
    { details: { lock: lock.metadata.name } },
  );
}
