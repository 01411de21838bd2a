import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAccessChecker, type Lock, type LockStore } from '@remoteler/core';
import { createProxy, type LockSource, MemoryClusterRegistry, type RemotelerProxy } from '@remoteler/proxy';
import type { KubeApiSimulator } from '@remoteler/testkit';
import type { StackParts } from './auth-stack.js';

/** A {@link LockSource} kept current from a lock store's watch, with a way to await a change. */
export interface WatchedLocks extends LockSource {
  /** Resolves once the snapshot satisfies `predicate` (at once when it already does). */
  until(predicate: (locks: readonly Lock[]) => boolean): Promise<void>;
  close(): void;
}

/** Reads the store once, then again after every change it reports (as a Proxy replica would). */
export async function watchLocks(store: LockStore): Promise<WatchedLocks> {
  let snapshot: readonly Lock[] = await store.list();
  const listeners = new Set<() => void>();
  const watch = store.watch(() => {
    void store.list().then((all) => {
      snapshot = all;
      for (const listener of listeners) listener();
    });
  });
  const subscribe = (listener: () => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return {
    current: () => snapshot,
    subscribe,
    until: (predicate) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!predicate(snapshot)) return;
          unsubscribe();
          resolve();
        };
        const unsubscribe = subscribe(check);
        check();
      }),
    close: () => watch.close(),
  };
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
