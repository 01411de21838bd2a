import type { UpstreamCredentials } from '../upstream/upstream-credentials.js';

/** A Kubernetes cluster the Proxy can route to. */
export interface ProxyCluster {
  /** The name users see and route by (`/k8s/<name>/…`, the certificate pin). DNS-label-like: `[a-z0-9]([a-z0-9._-]*[a-z0-9])?`, at most 253 characters. */
  readonly name: string;
  /** Labels matched by role `kubernetes_labels`. */
  readonly labels: Readonly<Record<string, string>>;
  /** How the Proxy reaches and authenticates to the cluster's API server. */
  readonly upstream: UpstreamCredentials;
}

const CLUSTER_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,251}[a-z0-9])?$/;

/** Whether `name` is a valid cluster name (see {@link ProxyCluster.name}). */
export function isValidClusterName(name: string): boolean {
  return CLUSTER_NAME.test(name) && !name.includes('..');
}
