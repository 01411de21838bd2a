import { RemotelerError } from '@remoteler/core';
import { clusterRefused } from '../cluster-refused.js';
import type { ClientContext } from '../context.js';
import { execCredentialJson, execIsInteractive, FRESH_MARGIN_MS } from '../exec-credential.js';
import type { KubeCredential } from '../profile.js';
import { ProxyClient } from '../proxy-client.js';
import { withRenewLock } from '../renew-lock.js';
import { login } from './login.js';

/** Options of {@link kubeCredentials}. */
export interface KubeCredentialsOptions {
  readonly proxy: string;
  readonly cluster: string;
  /** `KUBERNETES_EXEC_INFO` as kubectl set it. */
  readonly execInfo?: string;
  readonly stdinIsTty?: boolean;
}

function fresh(credential: KubeCredential | undefined, now: number): credential is KubeCredential {
  return credential !== undefined && Date.parse(credential.notAfter) - now > FRESH_MARGIN_MS;
}

/**
 * The exec plugin's answer (an ExecCredential JSON line) for a certificate pinned to `cluster`: the
 * cached one while it is fresh, else one reissued over mutual TLS with the login certificate, under
 * the renewal lock so that parallel kubectl processes renew once (waiters re-read the cache).
 * When the login itself has expired a person must sign in again: `RMT_CLIENT_LOGIN_REQUIRED`.
 */
export async function kubeCredentials(
  context: ClientContext,
  options: KubeCredentialsOptions,
): Promise<string> {
  const { store } = context;
  const profile = await store.resolve(options.proxy);
  if (!profile.clusters.some((c) => c.name === options.cluster)) {
    throw clusterRefused(
      options.cluster,
      profile,
      `Run \`remoteler kube ls --proxy ${profile.proxy}\` to see your clusters, or log in again if your roles changed.`,
    );
  }
  const keys = await store.loadKeyPair(profile.proxy);
  const cached = await store.loadKubeCredential(profile.proxy, options.cluster);
  if (fresh(cached, context.now()))
    return execCredentialJson(cached.certificatePem, keys.keyPem, cached.notAfter);
  const credential = await withRenewLock(store.paths(profile.proxy).lock, async () => {
    const again = await store.loadKubeCredential(profile.proxy, options.cluster);
    if (fresh(again, context.now())) return again;
    const current = await store.load(profile.proxy);
    if (!current || Date.parse(current.notAfter) - context.now() <= FRESH_MARGIN_MS) {
      const interactive = execIsInteractive(options.execInfo, options.stdinIsTty ?? false);
      if (interactive && current?.loginMethod === 'sso') {
        // A person is at the terminal (kubectl passed its tty, k8s-protocols §11.2): sign in again
        // through the browser. Parallel plugins wait on the lock, so this happens once.
        await login(context, {
          proxy: current.proxy,
          trust: current.trust,
          ...(current.connectorId === undefined ? {} : { connectorId: current.connectorId }),
          ...(current.currentCluster === undefined ? {} : { cluster: current.currentCluster }),
          keepContext: true,
          onAuthorizationUrl: (url) => {
            context.warn(`Your Remoteler login to ${current.proxy} has expired. Sign in again at:\n  ${url}`);
            context.openBrowser(url);
          },
        });
      } else
        throw new RemotelerError(
          'RMT_CLIENT_LOGIN_REQUIRED',
          `the login to ${profile.proxy} has expired${interactive ? '' : ' and kubectl runs without a terminal'}`,
          { hint: `Run \`remoteler login --proxy ${profile.proxy}\`, then repeat the kubectl command.` },
        );
    }
    // A re-login made a new key: read the pair again.
    const { keyPem, certificatePem } = await store.loadKeyPair(profile.proxy);
    const client = new ProxyClient({ proxy: profile.proxy, trust: profile.trust, certificatePem, keyPem });
    const issued = await client.call<{ certificatePem: string; notAfter: string }>(
      'POST',
      '/v1/certs/reissue',
      {
        kubernetesCluster: options.cluster,
      },
    );
    const renewed = { certificatePem: issued.certificatePem, notAfter: issued.notAfter };
    await store.saveKubeCredential(profile.proxy, options.cluster, renewed);
    return renewed;
  });
  // Read again: a re-login (here or in a parallel plugin) made a new key.
  const { keyPem } = await store.loadKeyPair(profile.proxy);
  return execCredentialJson(credential.certificatePem, keyPem, credential.notAfter);
}
