import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AuthHttpServer, AuthService, AuthWebApi, type ProvisionedJoinToken } from '@remoteler/auth';
import { sha256Fingerprint, TrustBundle, X509IdentityDecoder } from '@remoteler/ca';
import {
  type AccessCheckerProvider,
  type ClusterStore,
  createAccessCheckerProvider,
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  type LockStore,
  MemoryAuditSink,
  MemoryRoleStore,
  parseGoDuration,
  RemotelerError,
  type Role,
} from '@remoteler/core';
import {
  createAuthForwarder,
  createProxy,
  LockStoreSource,
  MemoryClusterRegistry,
  type ProxyLimits,
  type ProxyRequest,
  type ProxyResponse,
  type RemotelerProxy,
} from '@remoteler/proxy';
import type { ClusterConfig, ServerConfig } from '../config/schema.js';
import {
  createLogger,
  createMetricsAuditSink,
  createProxyRequestLog,
  createServerMetrics,
  createSessionDrain,
  type DiagServer,
  type Readiness,
  type ReadinessCheck,
  type RemotelerLogger,
  type ServerMetrics,
  startDiagServer,
} from '../ops/index.js';
import { buildClusters } from './build-clusters.js';
import { buildConnectors } from './build-connectors.js';
import { type ConfigContext, readConfigFile, readSecret, resolvePath } from './config-files.js';
import {
  fetchPinnedCa,
  type HostCredentials,
  type HostRequest,
  joinWithToken,
  loadHostCredentials,
  renewHostCertificate,
  saveHostCredentials,
  splitPem,
} from './host-credentials.js';
import { listenError, splitHostPort } from './listen-error.js';
import { loadRoleFiles, roleSources } from './load-roles.js';
import { type Authorities, openAuthorities } from './open-authorities.js';
import { ensurePrivateDir } from './state-dir.js';

/** Options of {@link startServer}: where the configuration's relative paths and secrets come from, and the ops pieces. */
export interface StartServerOptions {
  /** Directory relative paths in the configuration resolve against. Default the working directory. */
  readonly baseDir?: string;
  /** Environment for `{ env: NAME }` secrets. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: `createLogger` with the configuration's `log` section. */
  readonly logger?: RemotelerLogger;
  /** Default: `createServerMetrics()` (closed with the server). */
  readonly metrics?: ServerMetrics;
  /** How long closing waits for in-flight requests before cutting them, in ms. Default 10 000. */
  readonly closeTimeoutMs?: number;
  /** How often clusters are checked again for /readyz, in ms. Default 30 000. */
  readonly clusterCheckIntervalMs?: number;
}

/** A running server: its addresses, its readiness, and how to stop it. */
export interface RunningServer {
  readonly config: ServerConfig;
  /** `https://host:port` of the Proxy's web listener (web API and Kubernetes), when this process runs the Proxy. */
  readonly webUrl: string | undefined;
  /** `https://host:port` of the Auth listener, when this process runs Auth. */
  readonly authUrl: string | undefined;
  /** `http://host:port` of the diagnostics listener, when configured. */
  readonly diagUrl: string | undefined;
  /** `sha256:…` of the host CA(s): what `remoteler login --ca-pin` and `proxy.auth_ca_pin` take. */
  readonly hostCaFingerprints: readonly string[];
  /** PEM of the host CA bundle (public): what `remoteler login --ca-file` takes. */
  readonly hostCaPem: string | undefined;
  /** Join tokens made at start from `auth.tokens` (names only; the secrets went to their files). */
  readonly joinTokens: readonly string[];
  /** What /readyz reports: the listeners and each cluster. */
  readiness(): Readiness;
  /** Reads the role files again and applies the differences; open sessions that lost access end. */
  reloadRoles(): Promise<void>;
  /**
   * What SIGHUP does. With `next` (the configuration file read again, validated): its role files
   * and clusters (`proxy.clusters`, `auth.kube_clusters`) apply now, other changed fields are logged
   * as needing a restart. Then (with or without `next`): {@link RunningServer.reloadRoles}, then the CA key sets from `ca_dir` (after
   * `remoteler-server ca rotate …`) with the trust built on them, then certificates (`proxy.tls`
   * files, or a new web certificate from the current host CA signer). Other configuration changes
   * need a restart.
   */
  reload(next?: ServerConfig): Promise<void>;
  /**
   * Stops everything in reverse order of start; idempotent. The Proxy stops accepting, lets
   * in-flight requests finish and ends watches and sessions cleanly (the ops session drain); when
   * `signal` aborts (a shutdown deadline) what is still open is cut.
   */
  close(signal?: AbortSignal): Promise<void>;
}

const HOST_CERT_TTL_MS = 24 * 60 * 60 * 1000;

function fingerprintOfPem(pem: string): string {
  return sha256Fingerprint(new X509Certificate(pem).raw);
}

/** When to renew a certificate valid until `notAfter`: at two thirds of what is left, at least 5 s from now. */
function renewDelayMs(notAfter: Date, now = Date.now()): number {
  return Math.max(5_000, Math.floor(((notAfter.getTime() - now) * 2) / 3));
}

function limitsOf(config: ServerConfig): ProxyLimits | undefined {
  const l = config.proxy?.limits;
  if (!l) return undefined;
  return {
    ...(l.max_request_body_bytes === undefined ? {} : { maxRequestBodyBytes: l.max_request_body_bytes }),
    ...(l.max_concurrent_per_user === undefined ? {} : { maxConcurrentPerUser: l.max_concurrent_per_user }),
    ...(l.requests_per_second === undefined ? {} : { requestsPerSecond: l.requests_per_second }),
    ...(l.burst === undefined ? {} : { burst: l.burst }),
    ...(l.upgrade_idle_timeout === undefined
      ? {}
      : { upgradeIdleTimeoutMs: parseGoDuration(l.upgrade_idle_timeout) as number }),
  };
}

/** The Proxy's certificate names: its public address, the listen host when specific, and loopback. */
function proxyNames(config: ServerConfig, listenHost: string): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = new Set(['localhost']);
  const ipAddresses = new Set(['127.0.0.1', '::1']);
  const add = (host: string) => {
    if (host === '' || host === '0.0.0.0' || host === '::') return;
    if (isIP(host)) ipAddresses.add(host);
    else dnsNames.add(host);
  };
  add(listenHost);
  const publicAddr = config.proxy?.public_addr;
  if (publicAddr) add(splitHostPort(publicAddr).host.replace(/^\[|\]$/g, ''));
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

/** The provisioned join tokens of `auth.tokens` (name + token), read from their secret references. */
async function provisionedJoinTokens(
  context: ConfigContext,
  tokens: NonNullable<ServerConfig['auth']>['tokens'],
): Promise<ProvisionedJoinToken[]> {
  const out: ProvisionedJoinToken[] = [];
  for (const [i, token] of tokens.entries()) {
    if (!('token' in token)) continue;
    const value = await readSecret(context, token.token, `auth.tokens[${i}].token`);
    out.push({ name: token.name, role: token.role, token: value });
  }
  return out;
}

/** Makes the cluster store hold exactly `clusters` (names and labels: what `remoteler kube ls` lists). */
async function syncClusterStore(
  store: ClusterStore,
  clusters: ReadonlyArray<{ readonly name: string; readonly labels: Readonly<Record<string, string>> }>,
): Promise<void> {
  const wanted = new Set(clusters.map((c) => c.name));
  for (const existing of await store.list())
    if (!wanted.has(existing.metadata.name)) await store.delete(existing.metadata.name);
  for (const cluster of clusters)
    await store.upsert({
      kind: 'kube_cluster',
      version: 'v1',
      metadata: { name: cluster.name, labels: { ...cluster.labels } },
      spec: { upstream: { type: 'in_cluster' } },
    } as never);
}

/** Top-level sections (and fields of auth/proxy) that differ, leaving out what a reload applies. */
function changedFields(before: ServerConfig, after: ServerConfig): string[] {
  const reloadable = new Set(['clusters', 'kube_clusters', 'roles_files', 'roles_dir']);
  const out: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof ServerConfig>) {
    const a = before[key];
    const b = after[key];
    if ((key === 'auth' || key === 'proxy') && a && b && typeof a === 'object' && typeof b === 'object') {
      for (const field of new Set([...Object.keys(a), ...Object.keys(b)]))
        if (
          !reloadable.has(field) &&
          JSON.stringify((a as Record<string, unknown>)[field]) !==
            JSON.stringify((b as Record<string, unknown>)[field])
        )
          out.push(`${key}.${field}`);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push(key);
  }
  return out;
}

/** Puts `roles` into the store, updating changed ones and deleting ones no longer defined. */
async function syncRoles(store: MemoryRoleStore, roles: readonly Role[]): Promise<void> {
  const wanted = new Map(roles.map((r) => [r.metadata.name, r]));
  for (const existing of await store.list())
    if (!wanted.has(existing.metadata.name)) await store.delete(existing.metadata.name);
  for (const role of roles) await store.upsert(role);
}

/**
 * Starts what the configuration asks for: Auth (CAs from `ca_dir`, connectors, roles, the Auth
 * listener for remote Proxies), the Proxy (clusters, the web listener serving the web API and
 * Kubernetes), or both in one process; plus the diagnostics listener. Bad input stops the start
 * with its own `RMT_` code; a cluster whose API server refuses the Proxy only degrades it
 * (`RMT_SERVER_CLUSTER_UNAVAILABLE` logged, `/readyz` names the cluster).
 */
export async function startServer(
  input: ServerConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const context: ConfigContext = {
    baseDir: options.baseDir ?? process.cwd(),
    env: options.env ?? process.env,
  };
  // Directories relative to the configuration file, like every other path in it.
  const resolveDirs = (raw: ServerConfig): ServerConfig => ({
    ...raw,
    state_dir: resolvePath(context, raw.state_dir),
    ...(raw.auth?.ca_dir === undefined
      ? {}
      : { auth: { ...raw.auth, ca_dir: resolvePath(context, raw.auth.ca_dir) } }),
  });
  const config = resolveDirs(input);

  const logger = options.logger ?? createLogger({ level: config.log.level, format: config.log.format });
  const ownMetrics = options.metrics === undefined;
  const metrics = options.metrics ?? createServerMetrics();
  const runsAuth = config.roles.includes('auth');
  const hostCertTtlMs = config.auth
    ? (parseGoDuration(config.auth.host_cert_ttl) as number)
    : HOST_CERT_TTL_MS;
  const runsProxy = config.roles.includes('proxy');
  const closers: Array<{ name: string; close: (signal: AbortSignal | undefined) => unknown }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;
  let sharedLockStore: LockStore | undefined;
  // The clusters this process serves now (a SIGHUP with a changed configuration updates them).
  let servedClusters: readonly ClusterConfig[] = config.proxy?.clusters ?? [];
  let clusterRegistry: MemoryClusterRegistry | undefined;
  let clusterStore: ClusterStore | undefined;
  // What SIGHUP re-reads, in order: roles, CA key sets and the trust built on them, certificates.
  const reloaders: Array<{ name: string; run: () => Promise<void> }> = [];
  let webPort: number | undefined;

  const close = (signal?: AbortSignal): Promise<void> => {
    closing ??= (async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const { name, close } of closers.reverse()) {
        try {
          await close(signal);
        } catch (error) {
          logger.warn({ err: error, part: name }, 'closing a part of the server failed');
        }
      }
      if (ownMetrics) metrics.close();
    })();
    return closing;
  };
  const later = (ms: number, fn: () => void): NodeJS.Timeout => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    timers.add(timer);
    return timer;
  };

  try {
    await ensurePrivateDir(config.state_dir);
    const roleStore = new MemoryRoleStore();
    await syncRoles(roleStore, await loadRoleFiles(context, roleSources(config)));
    const access: AccessCheckerProvider = await createAccessCheckerProvider({
      roleStore,
      onError: (error) => logger.error({ err: error }, 'a role does not validate and grants nothing'),
    });
    closers.push({ name: 'roles', close: () => access.close() });
    const audit = createMetricsAuditSink(metrics, new MemoryAuditSink());

    // ---------------------------------------------------------------- Auth: CAs first (the Proxy's listener needs them)
    let authorities: Authorities | undefined;
    if (runsAuth) {
      const auth = config.auth!;
      authorities = await openAuthorities(auth.ca_dir ?? join(config.state_dir, 'ca'), config.cluster_name);
      logger.info(
        {
          hostCaFingerprints: authorities.hostCa.trustedCas().map((c) => c.fingerprint),
          caDir: authorities.directory,
        },
        'certificate authorities ready',
      );
      const opened = authorities;
      // `remoteler-server ca rotate …` changes the key files; SIGHUP makes this process follow
      // (decoders read the bundles on every call, so trust follows at once).
      reloaders.push({
        name: 'certificate authorities',
        run: async () => {
          const user = await opened.userCa.reload();
          const host = await opened.hostCa.reload();
          logger.info({ user, host }, 'certificate authorities reloaded');
        },
      });
    }

    // ---------------------------------------------------------------- Proxy
    let proxy: RemotelerProxy | undefined;
    let webUrl: string | undefined;
    let webApi: ((req: ProxyRequest, res: ProxyResponse) => void) | undefined;
    const clusterStatus = new Map<string, ReadinessCheck>();
    let proxyHostCaPem: string | undefined;
    if (runsProxy) {
      const p = config.proxy!;
      const listen = splitHostPort(p.web_listen);
      const names = proxyNames(config, listen.host);
      const hostRequest: HostRequest = { hostId: `proxy-${hostname()}`.slice(0, 63), ...names };
      let tls: () => { cert: string; key: string; userCaBundle: string };
      let decoder: { decodeUserCertificate: X509IdentityDecoder['decodeUserCertificate'] };

      let ownTls: { cert: string; key: string } | undefined;
      const ownTlsConfig = p.tls;
      if (ownTlsConfig) {
        const readOwnTls = async () => {
          ownTls = {
            cert: await readConfigFile(context, ownTlsConfig.cert_file, 'proxy.tls.cert_file'),
            key: await readConfigFile(context, ownTlsConfig.key_file, 'proxy.tls.key_file'),
          };
        };
        await readOwnTls();
        // A renewed certificate (cert-manager, certbot) is taken on SIGHUP without a restart.
        reloaders.push({
          name: 'proxy.tls',
          run: async () => {
            await readOwnTls();
            proxy?.refreshTls();
          },
        });
      }

      if (authorities) {
        const { userCa, hostCa } = authorities;
        // The web certificate: a key made here and a host certificate from the host CA, sent with
        // the issuing CA so `remoteler login --ca-pin` finds the pinned CA in the chain.
        let web = { cert: '', key: '' };
        let renewWeb: NodeJS.Timeout | undefined;
        const issueWeb = async () => {
          const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
          const issued = await hostCa.issueHostCertificate({
            publicKey: { spki: publicKey.export({ type: 'spki', format: 'pem' }) as string },
            host: { hostId: hostRequest.hostId, role: 'proxy', clusterName: config.cluster_name },
            ...names,
            ttlMs: hostCertTtlMs,
          });
          const issuer = hostCa.trustedCas().find((ca) => ca.id === issued.caId);
          web = {
            cert: `${issued.certificatePem.trimEnd()}\n${issuer?.certificatePem.trimEnd() ?? ''}\n`,
            key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
          };
          if (renewWeb) {
            clearTimeout(renewWeb);
            timers.delete(renewWeb);
          }
          renewWeb = later(renewDelayMs(issued.notAfter), () => {
            issueWeb().then(
              () => proxy?.refreshTls(),
              (error: unknown) => logger.error({ err: error }, 'renewing the web certificate failed'),
            );
          });
        };
        if (!ownTls) {
          await issueWeb();
          // After a host CA rotation step the web certificate comes from the current signer.
          reloaders.push({
            name: 'web certificate',
            run: async () => {
              await issueWeb();
              proxy?.refreshTls();
            },
          });
        }
        tls = () => ({ ...(ownTls ?? web), userCaBundle: userCa.trustBundlePem() });
        decoder = {
          // Built from the current bundles on every call, so a CA rotation applies at once.
          decodeUserCertificate: (certificate, decodeOptions) =>
            new X509IdentityDecoder({
              userBundle: userCa.bundle(),
              hostBundle: hostCa.bundle(),
            }).decodeUserCertificate(certificate, decodeOptions),
        };
        proxyHostCaPem = hostCa.trustBundlePem();
        // The web API is served in-process once the Auth service exists (below); until then 503.
      } else {
        // A Proxy-only process: join once with the token, then keep renewing the host certificate.
        const dir = join(config.state_dir, 'proxy');
        await ensurePrivateDir(dir, 'the Proxy state directory');
        const authUrl = p.auth_server as string;
        let credentials = await loadHostCredentials(dir);
        if (credentials && credentials.notAfter.getTime() <= Date.now() + 60_000) credentials = undefined;
        if (!credentials) {
          if (!p.join_token)
            throw new RemotelerError(
              'RMT_SERVER_JOIN_TOKEN_MISSING',
              `there is no host certificate in ${dir} and proxy.join_token is not set`,
            );
          const token = await readSecret(context, p.join_token, 'proxy.join_token');
          const hostCaPem = p.auth_ca_file
            ? await readConfigFile(context, p.auth_ca_file, 'proxy.auth_ca_file')
            : await fetchPinnedCa(authUrl, p.auth_ca_pin as string);
          credentials = await joinWithToken(authUrl, hostCaPem, token, hostRequest);
          await saveHostCredentials(dir, credentials);
          logger.info({ authServer: authUrl, notAfter: credentials.notAfter }, 'joined the Auth server');
        }
        let current: HostCredentials = credentials;
        let currentDecoder = new X509IdentityDecoder({
          userBundle: TrustBundle.from('user', splitPem(current.userCaPem)),
          hostBundle: TrustBundle.from('host', splitPem(current.hostCaPem)),
        });
        const chain = () => `${current.certificatePem.trimEnd()}\n${current.hostCaPem.trimEnd()}\n`;
        const scheduleRenewal = () =>
          later(renewDelayMs(current.notAfter), () => {
            renewHostCertificate(authUrl, current, hostRequest).then(
              async (renewed) => {
                current = renewed;
                currentDecoder = new X509IdentityDecoder({
                  userBundle: TrustBundle.from('user', splitPem(renewed.userCaPem)),
                  hostBundle: TrustBundle.from('host', splitPem(renewed.hostCaPem)),
                });
                await saveHostCredentials(dir, renewed);
                proxy?.refreshTls();
                logger.info({ notAfter: renewed.notAfter }, 'renewed the host certificate');
                scheduleRenewal();
              },
              (error: unknown) => {
                logger.error({ err: error }, 'renewing the host certificate failed; retrying in a minute');
                later(60_000, scheduleRenewal);
              },
            );
          });
        scheduleRenewal();
        tls = () => ({
          ...(ownTls ?? { cert: chain(), key: current.keyPem }),
          userCaBundle: current.userCaPem,
        });
        decoder = {
          decodeUserCertificate: (certificate, decodeOptions) =>
            currentDecoder.decodeUserCertificate(certificate, decodeOptions),
        };
        const forwarder = createAuthForwarder({
          url: authUrl,
          tls: () => ({ cert: current.certificatePem, key: current.keyPem, ca: current.hostCaPem }),
          onError: (error) => logger.warn({ err: error }, 'forwarding a web API request to Auth failed'),
        });
        closers.push({ name: 'auth forwarder', close: () => forwarder.close() });
        webApi = (req, res) => forwarder.handle(req, res);
        proxyHostCaPem = current.hostCaPem;
      }

      const clusters = new MemoryClusterRegistry(await buildClusters(context, p.clusters));
      clusterRegistry = clusters;
      const requestLog = createProxyRequestLog({ logger });
      const drain = createSessionDrain({ logger });
      const lockStore = createMemoryLockStore();
      const locks = await LockStoreSource.open(lockStore);
      closers.push({ name: 'locks', close: () => locks.close() });
      sharedLockStore = lockStore;
      proxy = createProxy({
        tls,
        identityDecoder: decoder,
        access,
        clusters,
        locks,
        // Request ids and one log line per exchange, metrics with the policy's verb, and the
        // drain that ends long exchanges cleanly at shutdown (the ops pieces).
        steps: [requestLog.step, metrics.proxyStep, drain.step],
        onAudit: (event) => {
          metrics.onProxyAudit(event);
          requestLog.onAudit(event);
        },
        onError: (error) =>
          logger.warn({ err: error, code: RemotelerError.is(error) ? error.code : undefined }, 'proxy error'),
        auditSink: audit,
        checkImpersonation: false,
        closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
        webApi: (req, res) => {
          if (webApi) webApi(req, res);
          else
            res
              .writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' })
              .end('{"code":"RMT_INTERNAL","message":"starting"}');
        },
        ...(limitsOf(config) ? { limits: limitsOf(config) as ProxyLimits } : {}),
      });
      const started = proxy;
      let address: import('node:net').AddressInfo;
      try {
        address = await started.listen(listen.port, listen.host);
      } catch (error) {
        await started.close();
        throw listenError(
          error,
          'Proxy web listener',
          p.web_listen,
          'proxy.web_listen, or --port for the demo',
        );
      }
      closers.push({
        name: 'proxy',
        close: async (signal) => {
          const stopping = started.close(); // stop accepting; in-flight requests finish
          await drain.endAll(signal); // watches and sessions end cleanly (cut at the deadline)
          await stopping;
        },
      });
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      webUrl = `https://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`;
      webPort = address.port;

      // Cluster checks: a refusal degrades (logged, /readyz names it), never stops the server.
      const checkClusters = async () => {
        for (const cluster of servedClusters) {
          try {
            const result = await started.checkCluster(cluster.name);
            const ok = result.users && result.groups;
            clusterStatus.set(cluster.name, {
              name: `cluster:${cluster.name}`,
              ok,
              ...(ok
                ? {}
                : {
                    degraded: true,
                    message: `the Proxy may not impersonate ${result.users ? 'groups' : 'users'} there`,
                  }),
            });
          } catch (error) {
            clusterStatus.set(cluster.name, {
              name: `cluster:${cluster.name}`,
              ok: false,
              degraded: true,
              message: RemotelerError.is(error) ? `${error.code}: ${error.message}` : String(error),
            });
          }
          const status = clusterStatus.get(cluster.name)!;
          if (!status.ok)
            logger.warn(
              {
                err: new RemotelerError(
                  'RMT_SERVER_CLUSTER_UNAVAILABLE',
                  `cluster "${cluster.name}" is unavailable: ${status.message}`,
                ),
                cluster: cluster.name,
              },
              'cluster unavailable; serving the other clusters',
            );
        }
      };
      if (p.check_impersonation) {
        const loop = () => {
          checkClusters().finally(() => later(options.clusterCheckIntervalMs ?? 30_000, loop));
        };
        await checkClusters();
        later(options.clusterCheckIntervalMs ?? 30_000, loop);
      }
    }

    // ---------------------------------------------------------------- Auth service and listener
    let authUrl: string | undefined;
    const joinTokens: string[] = [];
    if (runsAuth && authorities) {
      const auth = config.auth!;
      const { userCa, hostCa } = authorities;
      const connectors = await buildConnectors(context, config);
      closers.push({ name: 'connectors', close: () => connectors.close() });
      const proxyKubeAddress =
        auth.proxy_public_addr ?? (webPort === undefined ? undefined : `localhost:${webPort}`);
      const publicUrl = auth.public_url ?? (proxyKubeAddress ? `https://${proxyKubeAddress}` : undefined);
      const service = await AuthService.create({
        clusterName: config.cluster_name,
        userCa,
        hostCa,
        // Follows CA rotation: the bundles are read at every decode.
        certificateDecoder: new X509IdentityDecoder({
          userBundle: () => userCa.bundle(),
          hostBundle: () => hostCa.bundle(),
        }),
        connectors: connectors.registrations,
        roles: roleStore,
        users: createMemoryUserStore(),
        clusters: createMemoryClusterStore(),
        locks: sharedLockStore ?? createMemoryLockStore(),
        audit,
        adminRoles: auth.admin_roles,
        defaultMaxSessionTtlMs: parseGoDuration(auth.session_ttl) as number,
        hostCertificateTtlMs: hostCertTtlMs,
        provisionedJoinTokens: await provisionedJoinTokens(context, auth.tokens),
        ...(publicUrl ? { ssoCallbackUrl: `${publicUrl.replace(/\/$/, '')}/v1/sso/callback` } : {}),
        ...(proxyKubeAddress ? { proxyKubeAddress } : {}),
      });
      closers.push({ name: 'auth service', close: () => service.close() });
      const api = new AuthWebApi({
        service,
        onInternalError: (error) => logger.error({ err: error }, 'web API internal error'),
      });
      webApi ??= (req, res) => api.handle(req, res);
      // Clusters the Proxy in this process serves are what `remoteler kube ls` lists.
      clusterStore = service.options.clusters;
      await syncClusterStore(clusterStore, [...auth.kube_clusters, ...(runsProxy ? servedClusters : [])]);

      const listen = splitHostPort(auth.listen);
      let server: AuthHttpServer;
      try {
        server = await AuthHttpServer.start({
          service,
          host: listen.host,
          port: listen.port,
          dnsNames: ['localhost', hostname(), ...auth.server_names.filter((n) => !isIP(n))],
          ipAddresses: ['127.0.0.1', '::1', ...auth.server_names.filter((n) => isIP(n))],
          onInternalError: (error) => logger.error({ err: error }, 'Auth API internal error'),
        });
      } catch (error) {
        throw listenError(error, 'Auth listener', auth.listen, 'auth.listen');
      }
      closers.push({ name: 'auth listener', close: () => server.close() });
      reloaders.push({
        name: 'auth listener',
        run: async () => {
          // New trust bundles, and a server certificate from the current host CA signer.
          server.reloadTrust();
          await server.renewCertificate();
        },
      });
      authUrl = server.url;
      for (const token of auth.tokens) {
        if (!('output_file' in token)) continue;
        const created = service.createJoinToken({
          role: token.role,
          ttlMs: parseGoDuration(token.ttl) as number,
          createdBy: 'remoteler-server',
        });
        const file = resolvePath(context, token.output_file);
        await writeFile(file, `${created.token}\n`, { mode: 0o600 });
        joinTokens.push(created.name);
        logger.info({ name: created.name, file, expiresAt: created.expiresAt }, 'join token written');
      }
      logger.info({ authUrl, webUrl }, 'auth ready');
    }

    // ---------------------------------------------------------------- diagnostics
    const readiness = (): Readiness => {
      const checks: ReadinessCheck[] = [];
      if (runsProxy) checks.push({ name: 'proxy', ok: proxy !== undefined && !closing });
      if (runsAuth) checks.push({ name: 'auth', ok: authUrl !== undefined && !closing });
      checks.push(...clusterStatus.values());
      // One cluster down degrades the Proxy but the Proxy itself still serves the others: ready
      // means "can serve", and the cluster checks say what is missing.
      const ready = checks.filter((c) => !c.name.startsWith('cluster:')).every((c) => c.ok);
      return { ready, checks };
    };
    let diagUrl: string | undefined;
    if (config.diag) {
      const listen = splitHostPort(config.diag.listen);
      let diag: DiagServer;
      try {
        diag = await startDiagServer({ host: listen.host, port: listen.port, metrics, readiness, logger });
      } catch (error) {
        throw listenError(error, 'diagnostics listener', config.diag.listen, 'diag.listen, or --diag-listen');
      }
      closers.push({ name: 'diagnostics', close: () => diag.close() });
      diagUrl = diag.url;
    }

    let rolesFrom = roleSources(config);
    const reloadRoles = async () => {
      await syncRoles(roleStore, await loadRoleFiles(context, rolesFrom));
      logger.info('roles reloaded');
    };
    // A changed configuration file on SIGHUP: roles files and clusters apply now; any other change
    // is reported as needing a restart (listeners, CAs, connectors are built once).
    const applyConfig = async (raw: ServerConfig) => {
      const next = resolveDirs(raw);
      const restartFields = changedFields(config, next);
      if (restartFields.length > 0)
        logger.warn({ fields: restartFields }, 'these configuration changes apply at the next restart');
      rolesFrom = roleSources(next);
      await reloadRoles();
      const nextClusters = next.proxy?.clusters ?? [];
      if (clusterRegistry) {
        const built = new Map((await buildClusters(context, nextClusters)).map((c) => [c.name, c]));
        const before = new Map(servedClusters.map((c) => [c.name, JSON.stringify(c)]));
        for (const name of before.keys())
          if (!built.has(name)) {
            clusterRegistry.remove(name);
            clusterStatus.delete(name);
          }
        for (const cluster of nextClusters) {
          if (before.get(cluster.name) === JSON.stringify(cluster)) continue;
          clusterRegistry.remove(cluster.name);
          clusterRegistry.add(built.get(cluster.name)!);
        }
        servedClusters = nextClusters;
      }
      if (clusterStore)
        await syncClusterStore(clusterStore, [
          ...(next.auth?.kube_clusters ?? []),
          ...(runsProxy ? nextClusters : []),
        ]);
      logger.info({ clusters: servedClusters.map((c) => c.name) }, 'configuration reloaded');
    };
    return {
      config,
      webUrl,
      authUrl,
      diagUrl,
      hostCaFingerprints: authorities
        ? authorities.hostCa.trustedCas().map((c) => c.fingerprint)
        : proxyHostCaPem
          ? splitPem(proxyHostCaPem).map((pem) => fingerprintOfPem(pem))
          : [],
      hostCaPem: authorities ? authorities.hostCa.trustBundlePem() : proxyHostCaPem,
      joinTokens,
      readiness,
      reloadRoles,
      async reload(next?: ServerConfig) {
        if (next) await applyConfig(next);
        else await reloadRoles();
        for (const { name, run } of reloaders) {
          try {
            await run();
          } catch (error) {
            logger.error({ err: error, part: name }, 'reload failed; that part keeps its previous state');
            throw error;
          }
        }
        logger.info('reloaded');
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
