import type { Identity } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import { isValidClusterName } from './cluster.js';
import type { RequestTarget } from './path-guard.js';

/** Where a request goes: the cluster name and the path to send upstream. */
export interface RouteTarget {
  readonly clusterName: string;
  /** How the cluster was chosen: the `/k8s/<cluster>` prefix, or the certificate's pin. */
  readonly source: 'prefix' | 'pin';
  /** The API path without the `/k8s/<cluster>` prefix (at least `/`). */
  readonly path: string;
  readonly query: string;
}

const PREFIX = '/k8s/';

/** The Status for a cluster that does not exist *or* that the user may not see: both must look alike. */
export function clusterNotFound(name: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_CLUSTER_NOT_FOUND', `Kubernetes cluster "${name}" is not available`);
}

/**
 * Chooses the cluster (design §2): the `/k8s/<cluster>` prefix, or for requests without it the
 * cluster pinned in the certificate (kubectl `get --raw /…` drops the server URL's path). A prefix
 * and a pin must agree; neither is a 404 with a hint, never a default cluster.
 */
export function routeRequest(target: RequestTarget, identity: Identity): RouteTarget {
  const pin = identity.kubernetesCluster || undefined;
  if (target.path === '/k8s' || target.path.startsWith(PREFIX)) {
    const rest = target.path.slice(PREFIX.length);
    const slash = rest.indexOf('/');
    const name = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? '/' : rest.slice(slash);
    if (name === '' || target.path === '/k8s')
      throw new RemotelerError('RMT_PROXY_CLUSTER_REQUIRED', 'the path prefix /k8s/ names no cluster');
    if (!isValidClusterName(name)) throw clusterNotFound(name);
    // Checked before any lookup, so that the answer reveals nothing about which clusters exist.
    if (pin !== undefined && pin !== name)
      throw new RemotelerError(
        'RMT_PROXY_CLUSTER_MISMATCH',
        `the path names cluster "${name}" but your certificate is pinned to cluster "${pin}"`,
      );
    return { clusterName: name, source: 'prefix', path, query: target.query };
  }
  if (pin === undefined)
    throw new RemotelerError(
      'RMT_PROXY_CLUSTER_REQUIRED',
      'the request names no cluster: use a path under /k8s/<cluster>/ or a certificate pinned to a cluster',
    );
  return { clusterName: pin, source: 'pin', path: target.path, query: target.query };
}
