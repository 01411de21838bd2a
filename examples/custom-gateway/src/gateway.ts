// reflect-metadata first: tsyringe (through @remoteler/core/di) throws at import time without it.
import 'reflect-metadata';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { AuthHttpServer, AuthService } from '@remoteler/auth';
import { FileCaKeyStore, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import {
  createAccessCheckerProvider,
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  MemoryRoleStore,
} from '@remoteler/core';
import {
  AUDIT_SINK,
  CLUSTER_STORE,
  createContainer,
  IDENTITY_CONNECTORS,
  LOCK_STORE,
  type RemotelerContainer,
  ROLE_STORE,
  type Token,
  USER_STORE,
} from '@remoteler/core/di';
import { createProxy, LockStoreSource, MemoryClusterRegistry } from '@remoteler/proxy';
import { ApiKeyConnector } from './api-key-connector.js';
import { type GatewayOptions, resolveGatewayConfig } from './gateway-config.js';
import { JsonLinesAuditSink } from './json-lines-audit-sink.js';
import { ListenerCertificate } from './listener-certificate.js';
import { ProxyAuditBridge } from './proxy-audit-bridge.js';
import {
  ACCESS_CHECKERS,
  API_KEY_CONNECTOR,
  AUTH_SERVER,
  AUTH_SERVICE,
  CLUSTER_REGISTRY,
  ERROR_HANDLER,
  GATEWAY_CONFIG,
  HOST_ACCOUNTS,
  HOST_CA,
  IDENTITY_DECODER,
  LISTENER_CERTIFICATE,
  LOCK_SOURCE,
  PROXY,
  PROXY_AUDIT,
  USER_CA,
} from './tokens.js';

/** A running gateway: Auth's HTTPS API and the Proxy for kubectl, in this process. */
export interface Gateway {
  /** `publicHost:PORT` of the Auth HTTPS API (`remoteler login --proxy` and `/v1/login/password`). */
  readonly authAddress: string;
  /** `publicHost:PORT` of the Proxy, the server in users' kubeconfigs (announced by `GET /v1/ping`). */
  readonly proxyAddress: string;
  /** PEM of the host CA that signed both listeners' certificates: what clients trust (`--ca-file`). */
  readonly hostCaPem: string;
  /** The shared scope (a child of `options.container`): configuration, plugins, stores, CAs. */
  readonly container: RemotelerContainer;
  /** The Auth scope (`AUTH_SERVICE`, `AUTH_SERVER`) and the Proxy scope (`PROXY`, `CLUSTER_REGISTRY`, `PROXY_AUDIT`): children of `container`. */
  readonly scopes: { readonly auth: RemotelerContainer; readonly proxy: RemotelerContainer };
  /** Stops the Proxy, then Auth, then closes connectors, stores and the audit sink it opened. Idempotent. */
  close(): Promise<void>;
}

/**
 * Composes and starts Auth and a Proxy from the Remoteler packages with this host's own plugins:
 * the {@link ApiKeyConnector} over the host's accounts and the {@link JsonLinesAuditSink}.
 *
 * Composition uses the optional DI layer of `@remoteler/core/di`: a root child container holds what
 * both services share (configuration, plugins, stores, CAs); Auth and the Proxy each get their own
 * child scope, so a split deployment would build only one of them from the same root.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const config = resolveGatewayConfig(options);
  // Always a child container: tsyringe's global container is never registered into (nor reset),
  // so two gateways in one process (or a test beside the host) never see each other.
  const root = createContainer(options.container);
  // Registers `token` unless the host's container already provides it (its registration wins).
  const provide = <T>(token: Token<T>, factory: (c: RemotelerContainer) => T) => {
    if (!root.isRegistered(token, true)) root.registerFactory(token, factory);
  };
  // What the gateway opened itself and registered as values (dispose() closes only factory products).
  const opened: Array<{ close(): unknown }> = [];
  const proxyOwned: Array<{ close(): unknown }> = [];
  let authScope: RemotelerContainer | undefined;
  let proxyScope: RemotelerContainer | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    // Reverse order of construction: stop taking kubectl traffic, then logins, then the plugins.
    closing ??= (async () => {
      await proxyScope?.dispose();
      // Values are not closed by dispose(): the ones the Proxy used are closed once it has stopped.
      for (const resource of proxyOwned.reverse()) await resource.close();
      if (authScope?.isRegistered(AUTH_SERVER)) await authScope.resolve(AUTH_SERVER).close();
      if (authScope?.isRegistered(AUTH_SERVICE)) authScope.resolve(AUTH_SERVICE).close();
      await authScope?.dispose();
      if (root.isRegistered(ACCESS_CHECKERS)) root.resolve(ACCESS_CHECKERS).close();
      await root.dispose();
      for (const resource of opened.reverse()) await resource.close();
    })();
    return closing;
  };

  try {
    // --- Shared scope: configuration, the host's plugins, stores and CAs.
    root.registerValue(GATEWAY_CONFIG, config).registerValue(HOST_ACCOUNTS, config.accounts);
    if (!root.isRegistered(ERROR_HANDLER, true)) root.registerValue(ERROR_HANDLER, config.onError);
    if (!root.isRegistered(AUDIT_SINK, true)) {
      const sink = await JsonLinesAuditSink.open({ path: config.auditFile });
      opened.push(sink);
      root.registerValue(AUDIT_SINK, sink);
    }
    provide(API_KEY_CONNECTOR, (c) => new ApiKeyConnector({ accounts: c.resolve(HOST_ACCOUNTS) }));
    provide(IDENTITY_CONNECTORS, (c) => [c.resolve(API_KEY_CONNECTOR)]);
    provide(ROLE_STORE, () => new MemoryRoleStore());
    provide(USER_STORE, () => createMemoryUserStore());
    provide(CLUSTER_STORE, () => createMemoryClusterStore());
    provide(LOCK_STORE, () => createMemoryLockStore());

    for (const role of config.roles) await root.resolve(ROLE_STORE).upsert(role);
    for (const cluster of config.clusters)
      await root.resolve(CLUSTER_STORE).upsert({
        kind: 'kube_cluster',
        version: 'v1',
        metadata: { name: cluster.name, labels: { ...cluster.labels } },
        spec: {
          upstream: {
            type: 'kubeconfig',
            kubeconfig: { file: cluster.kubeconfig },
            ...(cluster.context && { context: cluster.context }),
          },
        },
      });

    // CA keys stay in the state folder (0700/0600): a restart keeps the CAs, so issued
    // certificates stay valid.
    const keyStore = new FileCaKeyStore({ directory: join(config.stateDir, 'ca') });
    const common = { keyStore, clusterName: config.clusterName };
    const userCa = await X509CertificateAuthority.open({ ...common, kind: 'user' });
    const hostCa = await X509CertificateAuthority.open({ ...common, kind: 'host' });
    root
      .registerValue(USER_CA, userCa)
      .registerValue(HOST_CA, hostCa)
      .registerValue(
        IDENTITY_DECODER,
        new X509IdentityDecoder({ userBundle: userCa.bundle(), hostBundle: hostCa.bundle() }),
      )
      .registerValue(
        ACCESS_CHECKERS,
        await createAccessCheckerProvider({ roleStore: root.resolve(ROLE_STORE) }),
      );

    // Both listeners' certificates name what clients dial: the public host, and localhost.
    const dnsNames = [...new Set(['localhost', ...(isIP(config.publicHost) ? [] : [config.publicHost])])];
    const ipAddresses = [...new Set(['127.0.0.1', ...(isIP(config.publicHost) ? [config.publicHost] : [])])];

    // --- Proxy scope. Started first, so that Auth can announce its address in `GET /v1/ping`.
    proxyScope = root.createChild();
    const listenerCertificate = await ListenerCertificate.issue({
      hostCa,
      userCa,
      hostId: 'gateway-proxy',
      clusterName: config.clusterName,
      dnsNames,
      ipAddresses,
      onError: root.resolve(ERROR_HANDLER),
    });
    proxyOwned.push(listenerCertificate);
    const lockSource = await LockStoreSource.open(root.resolve(LOCK_STORE));
    proxyOwned.push(lockSource);
    proxyScope
      .registerValue(LISTENER_CERTIFICATE, listenerCertificate)
      .registerValue(LOCK_SOURCE, lockSource);
    proxyScope
      .registerValue(
        CLUSTER_REGISTRY,
        new MemoryClusterRegistry(
          config.clusters.map((cluster) => ({
            name: cluster.name,
            labels: { ...cluster.labels },
            upstream: {
              kind: 'kubeconfig' as const,
              path: cluster.kubeconfig,
              ...(cluster.context && { context: cluster.context }),
            },
          })),
        ),
      )
      // A decorated class, resolved by tsyringe itself from the tokens in its constructor.
      .registerFactory(PROXY_AUDIT, (c) => c.tsyringe.resolve(ProxyAuditBridge))
      .registerFactory(PROXY, (c) =>
        createProxy({
          // Read for every new connection: a renewed certificate applies without a restart.
          tls: c.resolve(LISTENER_CERTIFICATE).current,
          identityDecoder: c.resolve(IDENTITY_DECODER),
          access: c.resolve(ACCESS_CHECKERS),
          clusters: c.resolve(CLUSTER_REGISTRY),
          locks: c.resolve(LOCK_SOURCE),
          onAudit: c.resolve(PROXY_AUDIT).record,
          auditSink: c.resolve(AUDIT_SINK),
          onError: c.resolve(ERROR_HANDLER),
        }),
      );
    const proxyBound = await proxyScope.resolve(PROXY).listen(config.proxyPort, config.host);
    const proxyAddress = hostPort(config.publicHost, proxyBound.port);

    // --- Auth scope.
    authScope = root.createChild();
    const scope = authScope;
    scope.registerValue(
      AUTH_SERVICE,
      await AuthService.create({
        clusterName: config.clusterName,
        userCa: scope.resolve(USER_CA),
        hostCa: scope.resolve(HOST_CA),
        certificateDecoder: scope.resolve(IDENTITY_DECODER),
        connectors: scope
          .resolve(IDENTITY_CONNECTORS)
          .map((connector) => ({ connector, claimsToRoles: config.claimsToRoles })),
        roles: scope.resolve(ROLE_STORE),
        users: scope.resolve(USER_STORE),
        clusters: scope.resolve(CLUSTER_STORE),
        locks: scope.resolve(LOCK_STORE),
        audit: scope.resolve(AUDIT_SINK),
        proxyKubeAddress: proxyAddress,
      }),
    );
    scope.registerValue(
      AUTH_SERVER,
      await AuthHttpServer.start({
        service: scope.resolve(AUTH_SERVICE),
        host: config.host,
        port: config.authPort,
        dnsNames,
        ipAddresses,
        onInternalError: scope.resolve(ERROR_HANDLER),
      }),
    );

    return {
      authAddress: hostPort(config.publicHost, scope.resolve(AUTH_SERVER).port),
      proxyAddress,
      hostCaPem: hostCa.trustBundlePem(),
      container: root,
      scopes: { auth: scope, proxy: proxyScope },
      close,
    };
  } catch (error) {
    // Whatever was started is stopped again: a failed start leaves no listener or open file.
    await close().catch(() => {});
    throw error;
  }
}

/** `host:port`, with an IPv6 literal in brackets (RFC 3986 §3.2.2). */
function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
