import { RemotelerError } from '@remoteler/core';
import type { ProxyCluster } from '../routing/cluster.js';
import type { UpstreamPool } from './upstream-pool.js';

/** What the startup check found for one cluster. */
export interface ImpersonationCheckResult {
  readonly cluster: string;
  /** Whether the Proxy's own credentials may impersonate users and groups. */
  readonly users: boolean;
  readonly groups: boolean;
}

const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

async function mayImpersonate(pool: UpstreamPool, cluster: ProxyCluster, resource: string): Promise<boolean> {
  const dispatchers = await pool.dispatchersFor(cluster);
  const authorization = await dispatchers.upstream.authorization();
  const body = JSON.stringify({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb: 'impersonate', group: '', resource } },
  });
  const response = await dispatchers.regular.request({
    method: 'POST',
    path: `${dispatchers.upstream.basePath}${SSAR_PATH}`,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(authorization !== undefined && { authorization }),
    },
    body,
  });
  const text = await response.body.text();
  if (response.statusCode !== 201 && response.statusCode !== 200)
    throw new Error(`SelfSubjectAccessReview answered ${response.statusCode}`);
  return (JSON.parse(text) as { status?: { allowed?: boolean } }).status?.allowed === true;
}

/**
 * Asks the API server, with a SelfSubjectAccessReview (k8s-protocols §10.2: impersonation is
 * authorized as verb `impersonate` on `users` and `groups`), whether the Proxy's own credentials
 * may impersonate. Without that right every request through the Proxy fails with the API server's
 * 403, so the host should log the result loudly. Rejects with `RMT_PROXY_UPSTREAM_UNAVAILABLE`
 * when the API server cannot be asked; resolves with what it answered otherwise.
 */
export async function checkImpersonation(
  pool: UpstreamPool,
  cluster: ProxyCluster,
): Promise<ImpersonationCheckResult> {
  try {
    const [users, groups] = await Promise.all([
      mayImpersonate(pool, cluster, 'users'),
      mayImpersonate(pool, cluster, 'groups'),
    ]);
    return { cluster: cluster.name, users, groups };
  } catch (cause) {
    throw new RemotelerError(
      'RMT_PROXY_UPSTREAM_UNAVAILABLE',
      `cannot check whether the Proxy may impersonate on cluster "${cluster.name}"`,
      { cause },
    );
  }
}
