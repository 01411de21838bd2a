import { readFile } from 'node:fs/promises';
import { RemotelerError } from '@remoteler/core';
import { clusterRefused } from '../cluster-refused.js';
import type { ClientContext } from '../context.js';
import { kubeEntryName, syncKubeconfig } from '../kube-entries.js';
import { currentContext } from '../kubeconfig/kubeconfig-edit.js';
import type { Profile, ProfileCluster } from '../profile.js';
import { ProxyClient } from '../proxy-client.js';

/** One row of `kube ls`. */
export interface KubeClusterRow extends ProfileCluster {
  /** The kubeconfig's current-context is this cluster's. */
  readonly selected: boolean;
}

async function kubeconfigCurrent(profile: Profile): Promise<string | undefined> {
  if (!profile.kubeconfig) return undefined;
  try {
    return currentContext(await readFile(profile.kubeconfig.path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Refreshes the profile's cluster list from `GET /v1/kube/clusters` while the login is valid. */
async function refreshClusters(context: ClientContext, profile: Profile): Promise<Profile> {
  if (Date.parse(profile.notAfter) <= context.now()) return profile;
  const { keyPem, certificatePem } = await context.store.loadKeyPair(profile.proxy);
  const client = new ProxyClient({ proxy: profile.proxy, trust: profile.trust, certificatePem, keyPem });
  const { clusters } = await client.call<{ clusters: ProfileCluster[] }>('GET', '/v1/kube/clusters');
  return { ...profile, clusters };
}

/** `remoteler kube ls`: the clusters the roles allow, with labels; the kubeconfig's current one marked. */
export async function kubeList(context: ClientContext, proxy?: string): Promise<KubeClusterRow[]> {
  const profile = await refreshClusters(context, await context.store.resolve(proxy));
  const current = await kubeconfigCurrent(profile);
  return profile.clusters.map((c) => ({ ...c, selected: current === kubeEntryName(profile.proxy, c.name) }));
}

/**
 * `remoteler kube login <cluster>`: makes the cluster's context current (no sign-in: the exec plugin
 * gets a certificate pinned to it from the login certificate).
 */
export async function kubeLogin(context: ClientContext, cluster: string, proxy?: string): Promise<Profile> {
  const profile = await refreshClusters(context, await context.store.resolve(proxy));
  if (!profile.clusters.some((c) => c.name === cluster)) {
    throw clusterRefused(cluster, profile);
  }
  if (profile.embed) {
    throw new RemotelerError('RMT_CLIENT_USAGE', 'this login embedded its certificates in the kubeconfig', {
      hint: `Switch with \`kubectl config use-context ${kubeEntryName(profile.proxy, cluster)}\`, or log in again without --embed.`,
    });
  }
  const kubeconfig = await syncKubeconfig(context, profile, cluster);
  const updated: Profile = { ...profile, currentCluster: cluster, kubeconfig };
  await context.store.save(updated);
  return updated;
}
