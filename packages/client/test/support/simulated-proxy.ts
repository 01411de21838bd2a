import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAccessChecker, type Lock } from '@remoteler/core';
import { createProxy, type LockSource, MemoryClusterRegistry, type RemotelerProxy } from '@remoteler/proxy';
import type { KubeApiSimulator } from '@remoteler/testkit';
import type { StackParts } from './auth-stack.js';

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
  webApi?: (req: IncomingMessage, res: ServerResponse) => void,
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
