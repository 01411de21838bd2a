import type { AccessChecker, Identity, KubeRequestAttributes, RemotelerError } from '@remoteler/core';
import type { ProxyCluster } from '../routing/cluster.js';
import { clusterNotFound } from '../routing/route-request.js';
import type { AccessCheckerSource } from './access-checker-source.js';
import { findLock, type LockSource, lockedError } from './lock-source.js';

/** The identity's checker for a cluster, or why it is refused. */
export type AccessVerdict =
  | { readonly allowed: true; readonly checker: AccessChecker }
  | { readonly allowed: false; readonly refusal: RemotelerError };

/** The refusal for a lock in force on this identity on this cluster at `at`, if any. */
export function lockRefusal(
  locks: LockSource | undefined,
  identity: Identity,
  cluster: ProxyCluster,
  at: number,
): RemotelerError | undefined {
  const lock = locks && findLock(locks.current(), identity, cluster.name, at);
  return lock ? lockedError(lock) : undefined;
}

/**
 * The identity's checker, from the current roles, when they grant the cluster. A cluster they do
 * not grant is refused exactly like one that does not exist, before anything else about the
 * request is looked at, so that cluster names do not leak.
 */
export function clusterVerdict(
  access: AccessCheckerSource,
  identity: Identity,
  cluster: ProxyCluster,
): AccessVerdict {
  const checker = access.forIdentity(identity);
  return checker.canAccessCluster(cluster) === true
    ? { allowed: true, checker }
    : { allowed: false, refusal: clusterNotFound(cluster.name) };
}

/** The roles' refusal of the verb on the resource, if any; a list or watch allowed in part is allowed (the forward step filters it). */
export function requestRefusal(
  checker: AccessChecker,
  cluster: ProxyCluster,
  attributes: KubeRequestAttributes,
): RemotelerError | undefined {
  const decision = checker.checkRequest(cluster, attributes);
  return decision.allowed ? undefined : decision.error;
}

/**
 * Whether an identity may make a request on a cluster at `at`, in the one order the Proxy uses for
 * a new request (the authorize step) and again for an open session when locks or roles change: a
 * lock in force refuses first, even what the roles allow; then the cluster; then the verb on the
 * resource.
 */
export function decideAccess(
  access: AccessCheckerSource,
  locks: LockSource | undefined,
  identity: Identity,
  cluster: ProxyCluster,
  attributes: KubeRequestAttributes,
  at: number,
): RemotelerError | undefined {
  const locked = lockRefusal(locks, identity, cluster, at);
  if (locked) return locked;
  const verdict = clusterVerdict(access, identity, cluster);
  return verdict.allowed ? requestRefusal(verdict.checker, cluster, attributes) : verdict.refusal;
}
