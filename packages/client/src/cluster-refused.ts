import { RemotelerError } from '@remoteler/core';

/**
 * The refusal for a cluster the user's roles do not allow, naming why: the roles, and the clusters
 * they do allow (the Auth service never says whether a cluster it hides exists).
 */
export function clusterRefused(
  cluster: string,
  who: { readonly roles: readonly string[]; readonly clusters: readonly { readonly name: string }[] },
  hint?: string,
): RemotelerError {
  const roles = who.roles.length > 0 ? who.roles.join(', ') : 'none';
  const allowed = who.clusters.map((c) => c.name);
  return new RemotelerError(
    'RMT_CLIENT_CLUSTER_NOT_FOUND',
    `your roles (${roles}) do not allow the cluster ${JSON.stringify(cluster)}; they allow ${
      allowed.length > 0 ? allowed.join(', ') : 'no cluster'
    }`,
    hint === undefined ? {} : { hint },
  );
}
