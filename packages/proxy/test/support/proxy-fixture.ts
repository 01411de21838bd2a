import type { Role } from '@remoteler/core';
import type { AccessCheckerSource, ProxyOptions, RemotelerProxy } from '../../src/index.js';
import { createProxy, MemoryClusterRegistry } from '../../src/index.js';
import { type RecordingUpstream, startRecordingUpstream } from './recording-upstream.js';
import { EVERYTHING, role, roleAccess } from './roles.js';
import type { TestPki } from './test-pki.js';

/** The token the Proxy presents to the test API servers: its own credential, never a user's. */
export const PROXY_UPSTREAM_TOKEN = 'proxy-own-token';

/** The default role: on every cluster, user alice and group developers, any verb on anything. */
export const DEVELOPER = role('developer', {
  kubernetes_labels: { '*': '*' },
  kubernetes_users: ['alice'],
  kubernetes_groups: ['developers'],
  kubernetes_resources: EVERYTHING,
});

export interface ProxyFixture {
  readonly proxy: RemotelerProxy;
  readonly url: string;
  readonly clusters: MemoryClusterRegistry;
  /** Upstreams by cluster name. */
  readonly upstreams: Record<string, RecordingUpstream>;
  /** Every request any upstream received. */
  allUpstreamRequests(): number;
  close(): Promise<void>;
}

/**
 * A Proxy on 127.0.0.1 with one recording API server per cluster name (`dev`, `prod` by default),
 * each reached with a static bearer token and its own CA.
 */
export async function startProxyFixture(
  pki: TestPki,
  options: {
    clusters?: string[];
    /** Roles by name; default `developer`: user alice, group developers, everything, on every cluster. */
    roles?: () => readonly Role[];
    /** Lets a test announce role changes, as the core AccessCheckerProvider does. */
    onRolesChanged?: AccessCheckerSource['onRolesChanged'];
    proxy?: Partial<ProxyOptions>;
  } = {},
): Promise<ProxyFixture> {
  const names = options.clusters ?? ['dev', 'prod'];
  const upstreams: Record<string, RecordingUpstream> = {};
  const clusters = new MemoryClusterRegistry();
  for (const name of names) {
    const upstream = await startRecordingUpstream(pki.apiServer);
    upstreams[name] = upstream;
    clusters.add({
      name,
      labels: { env: name },
      upstream: { kind: 'token', server: upstream.url, token: PROXY_UPSTREAM_TOKEN, ca: pki.clusterCa.cert },
    });
  }
  const proxy = createProxy({
    tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
    identityDecoder: pki.decoder,
    access: roleAccess(options.roles ?? (() => [DEVELOPER]), options.onRolesChanged),
    clusters,
    closeTimeoutMs: 2_000,
    // The startup SelfSubjectAccessReview would show up in the upstream request records.
    checkImpersonation: false,
    ...options.proxy,
  });
  const address = await proxy.listen();
  return {
    proxy,
    url: `https://127.0.0.1:${address.port}`,
    clusters,
    upstreams,
    allUpstreamRequests: () => Object.values(upstreams).reduce((n, u) => n + u.requests.length, 0),
    async close() {
      await proxy.close();
      await Promise.all(Object.values(upstreams).map((u) => u.close()));
    },
  };
}
