import type { ClientContext } from './context.js';
import { EXEC_API_VERSION } from './exec-credential.js';
import type { KubeconfigEntry, KubeconfigState } from './kubeconfig/kubeconfig-edit.js';
import { addKubeconfigEntries, removeKubeconfigEntries } from './kubeconfig/kubeconfig-edit.js';
import { updateKubeconfigFile } from './kubeconfig/kubeconfig-file.js';
import type { Profile } from './profile.js';

/** `<proxy>-<cluster>`: the name of the cluster, user and context of one Kubernetes cluster. */
export function kubeEntryName(proxy: string, cluster: string): string {
  return `${proxy}-${cluster}`;
}

/** Embedded credentials (`--embed`): a cluster-pinned certificate per cluster and the key, as PEM. */
export interface EmbeddedCredentials {
  readonly keyPem: string;
  readonly certificates: Readonly<Record<string, string>>;
}

function entryFor(
  context: ClientContext,
  profile: Profile,
  cluster: string,
  embedded?: EmbeddedCredentials,
): KubeconfigEntry {
  const server = `https://${profile.kubeAddress}/k8s/${encodeURIComponent(cluster)}`;
  const home = context.env.REMOTELER_HOME;
  return {
    name: kubeEntryName(profile.proxy, cluster),
    cluster: {
      server,
      ...(profile.trust.insecure
        ? { 'insecure-skip-tls-verify': true }
        : profile.trust.caPem
          ? { 'certificate-authority-data': Buffer.from(profile.trust.caPem).toString('base64') }
          : {}),
    },
    user: embedded
      ? {
          'client-certificate-data': Buffer.from(embedded.certificates[cluster] ?? '').toString('base64'),
          'client-key-data': Buffer.from(embedded.keyPem).toString('base64'),
        }
      : {
          exec: {
            apiVersion: EXEC_API_VERSION,
            command: context.execCommand,
            args: [
              ...context.execArgsPrefix,
              'kube',
              'credentials',
              '--proxy',
              profile.proxy,
              '--cluster',
              cluster,
            ],
            // A non-default home must reach the plugin whichever shell kubectl runs from.
            ...(home ? { env: [{ name: 'REMOTELER_HOME', value: home }] } : {}),
            // Required for v1 (no default); IfAvailable lets a renewal prompt when there is a terminal.
            interactiveMode: 'IfAvailable',
            provideClusterInfo: true,
            installHint:
              'Install the remoteler command (npm install -g @remoteler/client) and run remoteler login.',
          },
        },
  };
}

/**
 * Writes one entry per allowed cluster of `profile` into the kubeconfig (see kubeconfig-edit.ts) and
 * selects `select` when given. Returns the state to keep in the profile.
 */
export async function syncKubeconfig(
  context: ClientContext,
  profile: Profile,
  select?: string,
  embedded?: EmbeddedCredentials,
): Promise<KubeconfigState> {
  const path = profile.kubeconfig?.path ?? context.kubeconfig;
  const entries = profile.clusters.map((cluster) => entryFor(context, profile, cluster.name, embedded));
  return updateKubeconfigFile(
    path,
    ({ source, isNew }) => {
      const result = addKubeconfigEntries(source, entries, {
        proxy: profile.proxy,
        path,
        ...(profile.kubeconfig ? { previous: profile.kubeconfig } : {}),
        ...(select === undefined ? {} : { select: kubeEntryName(profile.proxy, select) }),
        fileIsNew: isNew,
      });
      return { source: result.source, result: result.state };
    },
    // Embedded keys make the kubeconfig a key file: 0600 (security baseline: key files are 0600).
    { ownerOnly: embedded !== undefined },
  );
}

/** Removes the profile's entries from its kubeconfig and restores the previous current-context. */
export async function removeFromKubeconfig(profile: Profile): Promise<void> {
  const state = profile.kubeconfig;
  if (!state) return;
  await updateKubeconfigFile(state.path, ({ source, isNew }) => ({
    source: isNew ? null : removeKubeconfigEntries(source, state, profile.proxy),
    result: undefined,
  }));
}
