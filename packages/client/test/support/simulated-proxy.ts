import { generateKeyPairSync } from 'node:crypto';
import { AuthWebApi } from '@remoteler/auth';
import { createAccessChecker, type Lock } from '@remoteler/core';
import {
  type AuthForwarder,
  createAuthForwarder,
  createProxy,
  type LockSource,
  MemoryClusterRegistry,
  type ProxyRequest,
  type ProxyResponse,
  type RemotelerProxy,
} from '@remoteler/proxy';
import type { KubeApiSimulator } from '@remoteler/testkit';
import { type AuthStack, type StackParts, startAuthStack } from './auth-stack.js';

/** Resolves once the source's locks satisfy `predicate` (at once when they already do). */
export function locksUntil(
  source: LockSource,
  predicate: (locks: readonly Lock[]) => boolean,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let unsubscribe: (() => void) | undefined;
    const check = () => {
      if (!predicate(source.current())) return;
      unsubscribe?.();
      resolve();
    };
    unsubscribe = source.subscribe?.(check);
    check();
  });
}

/**
 * A Remoteler Proxy for `startAuthStack({ startProxy })`: a host certificate from the stack's host
 * CA, the stack's user CA and roles, clusters dev-1 and staging-1 forwarding to `sim` with `token`,
 * and optionally the locks Auth writes and a web API handler.
 */
export async function startSimulatedProxy(
  parts: StackParts,
  sim: KubeApiSimulator,
  token: string,
  locks?: LockSource,
  /** Serves the web API (`/v1/…`) on the Proxy's port; may be bound once Auth exists. */
  webApi?: (req: ProxyRequest, res: ProxyResponse) => void,
): Promise<{ proxy: RemotelerProxy; address: string; tls: { cert: string; key: string } }> {
  const { userCa, hostCa, decoder, roles } = parts;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const issued = await hostCa.issueHostCertificate({
    publicKey: { spki: publicKey.export({ type: 'spki', format: 'pem' }) as string },
    host: { hostId: 'proxy', role: 'proxy', clusterName: 'root.test' },
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    ttlMs: 3_600_000,
    now: new Date(),
  });
  const tlsKey = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const proxy = createProxy({
    tls: {
      cert: issued.certificatePem,
      key: tlsKey,
      userCaBundle: userCa.trustBundlePem(),
    },
    identityDecoder: decoder,
    access: {
      forIdentity: (identity) =>
        createAccessChecker({
          username: identity.username,
          roles: roles.filter((r) => identity.roles.includes(r.metadata.name)),
          traits: identity.traits,
        }),
    },
    clusters: new MemoryClusterRegistry(
      (['dev-1', 'staging-1'] as const).map((name) => ({
        name,
        labels: { env: name.replace(/-1$/, '') },
        upstream: { kind: 'token' as const, server: sim.url, token, ca: sim.caPem },
      })),
    ),
    ...(locks === undefined ? {} : { locks }),
    ...(webApi === undefined ? {} : { webApi }),
    closeTimeoutMs: 2_000,
    checkImpersonation: false,
  });
  const { port } = await proxy.listen();
  return { proxy, address: `127.0.0.1:${port}`, tls: { cert: issued.certificatePem, key: tlsKey } };
}

/** How the Proxy's web port serves the web API in a {@link startWebPortStack}. */
export type WebApiMode = 'in-process Auth' | 'remote Auth over mutual TLS';

/** Both ways, for `describe.each`. */
export const WEB_API_MODES: readonly WebApiMode[] = ['in-process Auth', 'remote Auth over mutual TLS'];

/** An Auth stack behind a simulated Proxy whose web port serves the web API. */
export interface WebPortStack {
  readonly stack: AuthStack;
  readonly proxy: RemotelerProxy;
  /** `127.0.0.1:PORT` of the Proxy: the one address clients use for login, admin and kubectl. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Starts Auth and a Proxy (see {@link startSimulatedProxy}) whose web port serves the web API:
 * `AuthWebApi` in this process, or `createAuthForwarder` to the stack's Auth listener over mutual
 * TLS with the Proxy's host certificate. The handler is bound once Auth exists (Auth announces the
 * Proxy's address, so the Proxy starts first).
 */
export async function startWebPortStack(
  mode: WebApiMode,
  sim: KubeApiSimulator,
  token: string,
  options: Parameters<typeof startAuthStack>[0] = {},
): Promise<WebPortStack> {
  let web: ((req: ProxyRequest, res: ProxyResponse) => void) | undefined;
  let started: Awaited<ReturnType<typeof startSimulatedProxy>> | undefined;
  const stack = await startAuthStack({
    ...options,
    startProxy: async (parts) => {
      started = await startSimulatedProxy(parts, sim, token, undefined, (req, res) => {
        if (web) web(req, res);
        else res.writeHead(503).end();
      });
      return started.address;
    },
  });
  const { proxy, address, tls } = started as NonNullable<typeof started>;
  let forwarder: AuthForwarder | undefined;
  if (mode === 'in-process Auth') {
    const api = new AuthWebApi({ service: stack.service });
    web = (req, res) => api.handle(req, res);
  } else {
    forwarder = createAuthForwarder({ url: stack.server.url, tls: () => ({ ...tls, ca: stack.hostCaPem }) });
    web = forwarder.handle;
  }
  return {
    stack,
    proxy,
    address,
    async close() {
      await proxy.close();
      await forwarder?.close();
      await stack.close();
    },
  };
}
