import type { Identity } from '@remoteler/core';
import type { ProxyCluster } from '../routing/cluster.js';

/** The Kubernetes users and groups a user may impersonate on one cluster. */
export interface AllowedPrincipals {
  /** Users the identity may act as; never empty when access is granted (the policy puts the username in when roles name none). */
  readonly users: readonly string[];
  /** Groups the identity may act with (`system:authenticated` need not be listed; the API server adds it). */
  readonly groups: readonly string[];
}

/**
 * The policy decisions the Proxy asks for, from the certificate's roles and traits and the *current*
 * role definitions. The core policy engine's `AccessChecker` is meant to sit behind this; until it
 * is wired in, a host supplies one. Every method fails closed: throwing denies.
 */
export interface AccessDecider {
  /** Whether the identity may see and use the cluster at all (role `kubernetes_labels`). */
  canAccessCluster(identity: Identity, cluster: ProxyCluster): boolean | Promise<boolean>;
  /** The users and groups the identity may impersonate on the cluster. */
  allowedPrincipals(
    identity: Identity,
    cluster: ProxyCluster,
  ): AllowedPrincipals | Promise<AllowedPrincipals>;
}
