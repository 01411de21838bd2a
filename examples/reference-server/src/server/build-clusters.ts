import type { ProxyCluster, UpstreamCredentials } from '@remoteler/proxy';
import type { ClusterConfig } from '../config/schema.js';
import { type ConfigContext, readConfigFile, readSecret, resolvePath } from './config-files.js';

/**
 * Maps `proxy.clusters` onto the Proxy's clusters, reading every referenced secret and CA file now,
 * so a missing file stops the start with its field instead of failing the first request.
 */
export async function buildClusters(
  context: ConfigContext,
  clusters: readonly ClusterConfig[],
): Promise<ProxyCluster[]> {
  const out: ProxyCluster[] = [];
  for (const [index, cluster] of clusters.entries()) {
    const field = `proxy.clusters[${index}]`;
    let upstream: UpstreamCredentials;
    if (cluster.kubeconfig) {
      upstream = {
        kind: 'kubeconfig',
        path: resolvePath(context, cluster.kubeconfig.path),
        ...(cluster.kubeconfig.context === undefined ? {} : { context: cluster.kubeconfig.context }),
      };
    } else if (cluster.in_cluster) {
      const c = cluster.in_cluster;
      upstream = {
        kind: 'service-account',
        ...(c.server === undefined ? {} : { server: c.server }),
        ...(c.directory === undefined ? {} : { directory: resolvePath(context, c.directory) }),
        ...(c.token_file === undefined ? {} : { tokenFile: resolvePath(context, c.token_file) }),
        ...(c.ca_file === undefined ? {} : { caFile: resolvePath(context, c.ca_file) }),
      };
    } else if (cluster.token) {
      const c = cluster.token;
      upstream = {
        kind: 'token',
        server: c.server,
        token: await readSecret(context, c.token, `${field}.token.token`),
        ...(c.ca_file === undefined
          ? {}
          : { ca: await readConfigFile(context, c.ca_file, `${field}.token.ca_file`) }),
        ...(c.tls_server_name === undefined ? {} : { tlsServerName: c.tls_server_name }),
      };
    } else {
      const c = cluster.client_certificate!;
      upstream = {
        kind: 'client-certificate',
        server: c.server,
        cert: await readConfigFile(context, c.cert_file, `${field}.client_certificate.cert_file`),
        key: await readConfigFile(context, c.key_file, `${field}.client_certificate.key_file`),
        ...(c.ca_file === undefined
          ? {}
          : { ca: await readConfigFile(context, c.ca_file, `${field}.client_certificate.ca_file`) }),
        ...(c.tls_server_name === undefined ? {} : { tlsServerName: c.tls_server_name }),
      };
    }
    out.push({ name: cluster.name, labels: { ...cluster.labels }, upstream });
  }
  return out;
}
