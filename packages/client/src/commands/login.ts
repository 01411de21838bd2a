import { RemotelerError } from '@remoteler/core';
import { clusterRefused } from '../cluster-refused.js';
import type { ClientContext } from '../context.js';
import { generateClientKeyPair } from '../keys.js';
import { type EmbeddedCredentials, syncKubeconfig } from '../kube-entries.js';
import type { Profile, ProfileCluster, ProxyTrust } from '../profile.js';
import { ProxyClient, proxyUrl } from '../proxy-client.js';
import { createPkce, startLoopbackListener } from '../sso-loopback.js';

/** Options of {@link login}. */
export interface LoginOptions {
  /** `HOST[:PORT]` of the proxy web API. */
  readonly proxy: string;
  readonly trust: ProxyTrust;
  /** Password login: the user name. Without `user` and `password` the login is SSO. */
  readonly user?: string;
  /** The password (read by the CLI from stdin; never stored or logged). */
  readonly password?: string;
  /** Connector id; default: the only connector offering the flow. */
  readonly connectorId?: string;
  /** SSO: called with the URL the user must open (the CLI prints it and may open a browser). */
  readonly onAuthorizationUrl?: (url: string) => void;
  /** SSO: how long to wait for the browser, in ms (default 180 000). */
  readonly ssoTimeoutMs?: number;
  /** Requested certificate lifetime in seconds; default: what the roles allow. */
  readonly ttlSeconds?: number;
  /** The cluster whose context becomes current; default: the first allowed cluster. */
  readonly cluster?: string;
  /** Write cluster-pinned certificates and the key into the kubeconfig (no exec plugin). */
  readonly embed?: boolean;
  /** Leave current-context alone (a renewal from the exec plugin). Default false. */
  readonly keepContext?: boolean;
}

interface PingAnswer {
  readonly clusterName: string;
  readonly connectors: ReadonlyArray<{ id: string; redirectLogin: boolean; passwordLogin: boolean }>;
  readonly proxyKubeAddress?: string;
}

interface IssuedAnswer {
  readonly certificatePem: string;
  readonly notAfter: string;
  readonly username: string;
  readonly roles: readonly string[];
}

function ssoConnector(ping: PingAnswer, wanted: string | undefined): string {
  const redirect = ping.connectors.filter((c) => c.redirectLogin);
  if (wanted !== undefined) return wanted;
  if (redirect.length === 1) return (redirect[0] as { id: string }).id;
  throw new RemotelerError(
    'RMT_CLIENT_USAGE',
    redirect.length === 0
      ? 'the proxy offers no SSO connector; log in with --user NAME'
      : `choose an SSO connector with --auth (${redirect.map((c) => c.id).join(', ')})`,
  );
}

/**
 * The SSO flow of design §2: a loopback listener (RFC 8252), SSO start with our public key, an S256
 * challenge and the loopback redirect; the browser signs in and comes back with a one-time code,
 * which is redeemed with the verifier for a certificate for our key.
 */
async function ssoLogin(
  client: ProxyClient,
  connectorId: string,
  publicKey: string,
  options: LoginOptions,
): Promise<IssuedAnswer> {
  const pkce = createPkce();
  const listener = await startLoopbackListener(
    options.ssoTimeoutMs === undefined ? {} : { timeoutMs: options.ssoTimeoutMs },
  );
  try {
    const started = await client.call<{ authorizationUrl: string }>('POST', '/v1/sso/start', {
      connectorId,
      publicKey,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
      redirectUri: listener.redirectUri,
      state: listener.state,
      ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
    });
    options.onAuthorizationUrl?.(started.authorizationUrl);
    const code = await listener.waitForCode();
    return await client.call<IssuedAnswer>('POST', '/v1/sso/redeem', {
      code,
      codeVerifier: pkce.verifier,
      publicKey,
      redirectUri: listener.redirectUri,
    });
  } finally {
    await listener.close();
  }
}

/** `HOST:PORT` with the default port made explicit, so one proxy always has one profile name. */
export function normaliseProxy(proxy: string): string {
  return proxyUrl(proxy).host || proxy;
}

/**
 * Password login: a new ECDSA P-256 key made here, `POST /v1/login/password` with its public key,
 * key and certificate stored in the profile, the allowed clusters fetched over mutual TLS, and one
 * kubeconfig entry per cluster written.
 */
export async function login(context: ClientContext, options: LoginOptions): Promise<Profile> {
  const proxy = normaliseProxy(options.proxy);
  if (options.trust.insecure)
    context.warn('WARNING: --insecure: the proxy certificate is NOT verified (demos only).');
  let trust = options.trust;
  if (trust.caPin !== undefined && trust.caPem === undefined) {
    // Keep the pinned CA itself: later calls and the kubeconfig verify against it.
    trust = { caPin: trust.caPin, caPem: await new ProxyClient({ proxy, trust }).resolvePin() };
  }
  const anonymous = new ProxyClient({ proxy, trust });
  const ping = await anonymous.call<PingAnswer>('GET', '/v1/ping');
  const keys = await generateClientKeyPair();
  const byPassword = options.user !== undefined && options.password !== undefined;
  const connectorId = byPassword ? options.connectorId : ssoConnector(ping, options.connectorId);
  const issued = byPassword
    ? await anonymous.call<IssuedAnswer>('POST', '/v1/login/password', {
        username: options.user,
        password: options.password,
        publicKey: keys.publicKeyPem,
        ...(options.connectorId === undefined ? {} : { connectorId: options.connectorId }),
        ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
      })
    : await ssoLogin(anonymous, connectorId as string, keys.publicKeyPem, options);
  const previous = await context.store.load(proxy);
  await context.store.saveKeyPair(proxy, keys.privateKeyPem, issued.certificatePem);
  const authenticated = new ProxyClient({
    proxy,
    trust,
    certificatePem: issued.certificatePem,
    keyPem: keys.privateKeyPem,
  });
  const { clusters } = await authenticated.call<{ clusters: ProfileCluster[] }>('GET', '/v1/kube/clusters');
  if (options.cluster !== undefined && !clusters.some((c) => c.name === options.cluster))
    throw clusterRefused(options.cluster, { roles: issued.roles, clusters });
  const select = options.cluster ?? clusters[0]?.name;
  const base: Profile = {
    version: 1,
    proxy,
    clusterName: ping.clusterName,
    username: issued.username,
    roles: issued.roles,
    notAfter: issued.notAfter,
    kubeAddress: ping.proxyKubeAddress ?? proxy,
    trust,
    clusters: clusters.map(({ name, labels, kubernetesUsers, kubernetesGroups }) => ({
      name,
      labels,
      kubernetesUsers,
      kubernetesGroups,
    })),
    loginMethod: byPassword ? 'password' : 'sso',
    ...(options.embed ? { embed: true } : {}),
    ...(connectorId === undefined ? {} : { connectorId }),
    ...(select === undefined ? {} : { currentCluster: select }),
    ...(previous?.kubeconfig ? { kubeconfig: previous.kubeconfig } : {}),
  };
  // Saved before the kubeconfig is touched, so a failed kubeconfig write leaves a usable login.
  await context.store.save(base);
  let embedded: EmbeddedCredentials | undefined;
  if (options.embed) {
    const certificates: Record<string, string> = {};
    for (const cluster of clusters) {
      const pinned = await authenticated.call<{ certificatePem: string }>('POST', '/v1/certs/reissue', {
        kubernetesCluster: cluster.name,
      });
      certificates[cluster.name] = pinned.certificatePem;
    }
    embedded = { keyPem: keys.privateKeyPem, certificates };
  }
  const kubeconfig = await syncKubeconfig(context, base, options.keepContext ? undefined : select, embedded);
  const profile: Profile = { ...base, kubeconfig };
  await context.store.save(profile);
  return profile;
}
