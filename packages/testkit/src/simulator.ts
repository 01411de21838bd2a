import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RemotelerError } from '@remoteler/core';
import { handleApiRequest } from './api/api-handler.js';
import { bootstrapObjects, bootstrapPolicy, seedObjects } from './api/bootstrap.js';
import { Registry } from './api/registry.js';
import {
  type KubeObject,
  RESOURCE_TYPES,
  type ResourceType,
  typeFor,
  typeForKind,
} from './api/resource-types.js';
import { authenticate } from './auth/authenticate.js';
import { type ImpersonationHeaders, impersonate, readImpersonationHeaders } from './auth/impersonation.js';
import { authorize, type RbacSource, type RequestAttributes } from './auth/rbac.js';
import { type IssuedServiceAccountToken, ServiceAccountTokens } from './auth/service-account-tokens.js';
import type { TokenUser, UserInfo } from './auth/user-info.js';
import {
  type WriteKubeconfigOptions,
  type WrittenKubeconfig,
  writeKubeconfig,
} from './helpers/kubeconfig.js';
import { failure, type KubeStatus, StatusError, statusErrors } from './http/status.js';
import { LogStore } from './logs/log-store.js';
import {
  type CertificateAndKey,
  createTestCertificateAuthority,
  type TestCertificateAuthority,
} from './pki/test-ca.js';
import {
  type AnyRequest,
  type AnyResponse,
  type DualProtocolServer,
  startDualProtocolServer,
} from './server/dual-protocol-server.js';
import { routePodUpgrade, writeRawAnswer } from './server/pod-upgrade.js';
import {
  type RecordedRequest,
  RequestLog,
  redactHeaders,
  type WaitForRequestOptions,
} from './server/request-log.js';
import { ObjectStore } from './store/object-store.js';
import { type ContainerRuntime, PodStreamServer, type PodStreamServerOptions } from './streams/index.js';

/** Options for {@link KubeApiSimulator.start}. */
export interface KubeApiSimulatorOptions {
  /** Port on 127.0.0.1. Default 0: a free port. */
  readonly port?: number;
  /** The `gitVersion` that `/version` reports. Default `v1.33.1` (kubectl's dispatcher then picks a WebSocket-capable kubectl). */
  readonly version?: string;
  /** Bearer tokens and the users they stand for. More can be added with {@link KubeApiSimulator.addToken}. */
  readonly tokens?: Readonly<Record<string, TokenUser>>;
  /** Extra PEM CA certificates whose client certificates are accepted (e.g. a proxy's own CA). */
  readonly clientCaPem?: string | readonly string[];
  /** Add demo content (namespaces team-a/team-b, pods web-0/web-1…, a deployment). Default false. */
  readonly seed?: boolean;
  /** Watch bookmark period for watches with `allowWatchBookmarks=true`, in ms. Default 1000. */
  readonly bookmarkIntervalMs?: number;
  /** Watch events kept for resumption; older resourceVersions get 410 Expired. Default 1000. */
  readonly historyLimit?: number;
  /** Largest accepted request body, in bytes. Default 3 MiB (the API server's limit). */
  readonly maxBodyBytes?: number;
  /** How many requests {@link KubeApiSimulator.requests} keeps (oldest dropped first). Default 10 000. */
  readonly maxRecordedRequests?: number;
  /** Options of the exec/attach/port-forward layer and its fake container runtime. */
  readonly streams?: PodStreamServerOptions;
}

/** What a handler needs from the simulator; internal to the package. */
export interface SimulatorContext {
  readonly registry: Registry;
  readonly store: ObjectStore;
  readonly logs: LogStore;
  readonly gitVersion: string;
  readonly serverAddress: string;
  readonly bookmarkIntervalMs: number;
  readonly maxBodyBytes: number;
  authorize(attrs: RequestAttributes): boolean;
  rbac: RbacSource;
  /** Issues TokenRequest tokens into the simulator's token table. */
  readonly serviceAccountTokens: ServiceAccountTokens;
  /** Registers something to end at close(); returns the unregister function. */
  track(end: () => void): () => void;
}

/** Per-request state handed to the API handler. */
export interface RequestContext {
  readonly user: UserInfo;
  readonly url: URL;
  /** Completes the request record with the answer's status. */
  recordStatus(status: number, verb?: string): void;
}

const ADMIN = { name: 'kubernetes-admin', groups: ['system:masters'] } as const;

/**
 * A Kubernetes API server simulator that real kubectl 1.27–1.33 and @kubernetes/client-node accept:
 * TLS on 127.0.0.1 with its own test CA, HTTP/2 and HTTP/1.1 on one port, client certificate and
 * bearer token authentication, impersonation, RBAC, discovery, OpenAPI v3, CRUD with watches, and
 * pod log/exec/attach/port-forward.
 *
 * ```ts
 * const sim = await KubeApiSimulator.start();
 * const { path } = await sim.adminKubeconfig();
 * // … run kubectl --kubeconfig path …
 * await sim.close();
 * ```
 */
export class KubeApiSimulator {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The CA that signed the serving certificate and the certificates of {@link issueClientCertificate}. */
  readonly caPem: string;

  private readonly tracked = new Set<() => void>();
  private readonly cleanups: (() => Promise<void>)[] = [];
  private closing: Promise<void> | undefined;
  /** The exec / attach / port-forward layer; one per simulator so that state is shared across sessions. */
  readonly podStreams: PodStreamServer;

  private constructor(
    private readonly server: DualProtocolServer,
    private readonly ca: TestCertificateAuthority,
    private readonly tokens: Map<string, TokenUser>,
    private readonly context: SimulatorContext & { registry: Registry },
    private readonly adminCredentials: CertificateAndKey,
    podStreams: PodStreamServer,
    private readonly log: RequestLog,
  ) {
    this.podStreams = podStreams;
    this.port = server.port;
    this.url = `https://127.0.0.1:${server.port}`;
    this.caPem = ca.certPem;
  }

  /** Starts a simulator on a random port (or `options.port`). */
  static async start(options: KubeApiSimulatorOptions = {}): Promise<KubeApiSimulator> {
    const version = options.version ?? 'v1.33.1';
    if (!/^v\d+\.\d+\.\d+/.test(version)) {
      throw new RemotelerError(
        'RMT_TESTKIT_OPTIONS_INVALID',
        `version must look like v1.33.1, got "${version}"`,
      );
    }
    // Validates the streams options too, before anything listens.
    const podStreams = new PodStreamServer(options.streams ?? {});
    const ca = await createTestCertificateAuthority('remoteler-kube-sim-ca');
    const [serving, admin] = await Promise.all([
      ca.issue({ commonName: 'kube-apiserver', usage: 'server' }),
      ca.issue({ commonName: ADMIN.name, organizations: ADMIN.groups, usage: 'client' }),
    ]);
    const store = new ObjectStore({
      ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
    });
    const registry = new Registry(store);
    const logs = new LogStore();
    const tokens = new Map(Object.entries(options.tokens ?? {}));
    const rbac: RbacSource = {
      list: (group, resource, namespace) => {
        const t = typeFor(group, resource);
        return t ? registry.list(t, namespace) : [];
      },
      get: (group, resource, namespace, name) => {
        const t = typeFor(group, resource);
        return t ? registry.find(t, namespace, name) : undefined;
      },
    };
    const extraCas =
      options.clientCaPem === undefined
        ? []
        : typeof options.clientCaPem === 'string'
          ? [options.clientCaPem]
          : [...options.clientCaPem];

    let sim: KubeApiSimulator | undefined;
    const context = {
      registry,
      store,
      logs,
      gitVersion: version,
      serverAddress: '',
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
      maxBodyBytes: options.maxBodyBytes ?? 3 * 1024 * 1024,
      authorize: (attrs: RequestAttributes) => authorize(rbac, attrs).allowed,
      rbac,
      serviceAccountTokens: new ServiceAccountTokens(tokens),
      track: (end: () => void) => sim!.track(end),
    };
    const server = await startDualProtocolServer({
      key: serving.keyPem,
      cert: serving.certPem,
      clientCa: [ca.certPem, ...extraCas],
      ...(options.port !== undefined ? { port: options.port } : {}),
      onRequest: (req, res) => void sim!.onRequest(req, res),
      onUpgrade: (req, socket, head) => sim!.onUpgrade(req, socket, head),
    });
    (context as { serverAddress: string }).serverAddress = `127.0.0.1:${server.port}`;
    sim = new KubeApiSimulator(
      server,
      ca,
      tokens,
      context,
      admin,
      podStreams,
      new RequestLog(options.maxRecordedRequests ?? 10_000),
    );

    // A deleted pod's logs go with it, and its `logs -f` streams end, however it was deleted.
    store.watch(store.resourceVersion, (event) => {
      if (event.type === 'DELETED' && event.typeKey === '/pods')
        logs.forget(event.namespace, event.object.metadata?.name ?? '');
    });
    registry.onNamespaceRemoved = (namespace) => {
      for (const t of RESOURCE_TYPES) {
        if (!t.namespaced || !t.stored) continue;
        for (const o of registry.list(t, namespace)) registry.remove(t, namespace, o.metadata!.name!);
      }
    };
    for (const o of [...bootstrapObjects(), ...bootstrapPolicy(), ...(options.seed ? seedObjects() : [])])
      sim.createObject(o);
    if (options.seed) {
      for (const name of ['web-0', 'web-1'])
        logs.append('default', name, 'app', `hello from ${name}\nserving on :80\n`);
    }
    return sim;
  }

  // ---------------------------------------------------------------- identities and kubeconfigs

  /** Accepts `token` as a bearer token for `user` from now on. */
  addToken(token: string, user: TokenUser): void {
    this.tokens.set(token, user);
  }

  /**
   * Issues a bound token for an existing ServiceAccount, as the TokenRequest API does for the
   * kubelet's projected `serviceAccountToken` volumes: it authenticates as
   * `system:serviceaccount:<namespace>:<name>` (groups `system:serviceaccounts`,
   * `system:serviceaccounts:<namespace>`) until it expires.
   *
   * @param expirationSeconds lifetime in seconds; default 3600, at least 600.
   * @throws RemotelerError `RMT_TESTKIT_OPTIONS_INVALID` when the ServiceAccount does not exist or the lifetime is below 600 s.
   */
  createServiceAccountToken(
    namespace: string,
    name: string,
    expirationSeconds = 3600,
  ): IssuedServiceAccountToken {
    this.ensureOpen();
    const account = this.getObject('v1', 'ServiceAccount', name, namespace);
    if (!account)
      throw new RemotelerError(
        'RMT_TESTKIT_OPTIONS_INVALID',
        `serviceaccount ${namespace}/${name} does not exist; create it (or apply its manifest) first`,
      );
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < 600)
      throw new RemotelerError(
        'RMT_TESTKIT_OPTIONS_INVALID',
        `expirationSeconds must be an integer of at least 600 (the TokenRequest minimum), got ${expirationSeconds}`,
      );
    return this.context.serviceAccountTokens.issue(namespace, name, account.metadata?.uid, expirationSeconds);
  }

  /** Issues a client certificate (CN = user, one O per group) signed by the simulator's CA. */
  issueClientCertificate(user: string, groups: readonly string[] = []): Promise<CertificateAndKey> {
    return this.ca.issue({ commonName: user, organizations: groups, usage: 'client' });
  }

  /**
   * Writes a kubeconfig for the admin (`kubernetes-admin`, group `system:masters`) into a new
   * temporary directory (0600). Remove it with the returned `cleanup()`; close() also removes it.
   */
  async adminKubeconfig(
    options: Partial<Pick<WriteKubeconfigOptions, 'path' | 'namespace' | 'impersonate'>> = {},
  ): Promise<WrittenKubeconfig> {
    return this.kubeconfig({ clientCertificate: this.adminCredentials, ...options });
  }

  /**
   * Writes a kubeconfig for this simulator with the given credentials (a client certificate from
   * {@link issueClientCertificate} or a token from {@link addToken}).
   */
  async kubeconfig(options: Omit<WriteKubeconfigOptions, 'server' | 'caPem'>): Promise<WrittenKubeconfig> {
    this.ensureOpen();
    const written = await writeKubeconfig({ server: this.url, caPem: this.caPem, ...options });
    if (!options.path) this.cleanups.push(written.cleanup);
    return written;
  }

  /** The fake containers behind exec/attach/port-forward: programs, files, port handlers, session records. */
  get runtime(): ContainerRuntime {
    return this.podStreams.runtime;
  }

  /** The admin client certificate (`kubernetes-admin`, `system:masters`), e.g. for a proxy's upstream credentials. */
  get adminCertificate(): CertificateAndKey {
    return this.adminCredentials;
  }

  // ---------------------------------------------------------------- recorded requests

  /** Every request so far (oldest first, at most `maxRecordedRequests`), with effective and original identity. */
  get requests(): readonly RecordedRequest[] {
    return this.log.entries;
  }

  /** Forgets the recorded requests. */
  clearRequests(): void {
    this.log.clear();
  }

  /** Resolves with the first recorded request (already seen or future) that matches. */
  waitForRequest(
    predicate: (r: RecordedRequest) => boolean,
    options: WaitForRequestOptions = {},
  ): Promise<RecordedRequest> {
    return this.log.waitFor(predicate, options);
  }

  private record(entry: RecordedRequest): void {
    this.log.add(entry);
  }

  // ---------------------------------------------------------------- objects and logs (as the admin, no HTTP)

  private typeOf(object: KubeObject): ResourceType {
    const t = typeForKind(String(object.apiVersion ?? ''), String(object.kind ?? ''));
    if (!t)
      throw new RemotelerError(
        'RMT_TESTKIT_OPTIONS_INVALID',
        `the simulator does not serve ${String(object.apiVersion)} ${String(object.kind)}`,
      );
    return t;
  }

  private typeOfKind(apiVersion: string, kind: string): ResourceType {
    return this.typeOf({ apiVersion, kind });
  }

  /** Creates an object directly in the store (defaults and status applied as for a POST). */
  createObject(object: KubeObject): KubeObject {
    this.ensureOpen();
    const t = this.typeOf(object);
    return this.context.registry.create(t, object.metadata?.namespace ?? 'default', structuredClone(object));
  }

  /**
   * Binds a ClusterRole to a user or group cluster-wide, as `kubectl create clusterrolebinding NAME
   * --clusterrole ROLE --user|--group SUBJECT` would.
   */
  bindClusterRole(
    name: string,
    clusterRole: string,
    subject: { readonly kind: 'User' | 'Group'; readonly name: string },
  ): KubeObject {
    return this.createObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', ...subject }],
    });
  }

  /**
   * Lets `user` impersonate users and groups and nothing else: the permission a Remoteler Proxy's
   * own identity is given in a cluster (the ClusterRole `remoteler-impersonator`, bound as
   * `<user>-impersonates`).
   */
  allowImpersonation(user: string): void {
    if (!this.getObject('rbac.authorization.k8s.io/v1', 'ClusterRole', 'remoteler-impersonator'))
      this.createObject({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'remoteler-impersonator' },
        rules: [{ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }],
      });
    this.bindClusterRole(`${user}-impersonates`, 'remoteler-impersonator', { kind: 'User', name: user });
  }

  /** Replaces an object (no resourceVersion check unless the object carries one). */
  replaceObject(object: KubeObject): KubeObject {
    this.ensureOpen();
    const t = this.typeOf(object);
    const ns = object.metadata?.namespace ?? 'default';
    return this.context.registry.update(t, ns, object.metadata?.name ?? '', structuredClone(object));
  }

  /** Replaces an object's status (for example a pod's phase). */
  replaceStatus(object: KubeObject): KubeObject {
    this.ensureOpen();
    const t = this.typeOf(object);
    const ns = object.metadata?.namespace ?? 'default';
    return this.context.registry.update(t, ns, object.metadata?.name ?? '', structuredClone(object), {
      subresource: 'status',
    });
  }

  /** Reads an object, or undefined. */
  getObject(apiVersion: string, kind: string, name: string, namespace = 'default'): KubeObject | undefined {
    return this.context.registry.find(this.typeOfKind(apiVersion, kind), namespace, name);
  }

  /** Lists objects of a kind (all namespaces when `namespace` is omitted). */
  listObjects(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    return this.context.registry.list(this.typeOfKind(apiVersion, kind), namespace);
  }

  /** Deletes an object; true when it existed. */
  deleteObject(apiVersion: string, kind: string, name: string, namespace = 'default'): boolean {
    return this.context.registry.remove(this.typeOfKind(apiVersion, kind), namespace, name) !== undefined;
  }

  /** Appends text to a container's log; `kubectl logs -f` followers receive it at once. */
  appendLog(namespace: string, pod: string, container: string, text: string): void {
    this.context.logs.append(namespace, pod, container, text);
  }

  /** Ends `logs -f` streams of a container (or of every container of the pod). */
  endLog(namespace: string, pod: string, container?: string): void {
    this.context.logs.end(namespace, pod, container);
  }

  /** Drops the watch history, so that every older resourceVersion gets 410 Expired. */
  compactHistory(): void {
    this.context.store.compact();
  }

  /** The latest resourceVersion. */
  get resourceVersion(): string {
    return String(this.context.store.resourceVersion);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Refuses work on a closed simulator, whose listener and streams are gone. */
  private ensureOpen(): void {
    if (this.closing)
      throw new RemotelerError('RMT_TESTKIT_CLOSED', `the simulator at ${this.url} is closed`);
  }

  private track(end: () => void): () => void {
    this.tracked.add(end);
    return () => this.tracked.delete(end);
  }

  /** Ends every watch, log stream and connection and stops listening. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const end of [...this.tracked]) end();
      this.tracked.clear();
      this.context.logs.endAll();
      this.context.store.stopAllWatches();
      this.podStreams.close();
      await this.server.close();
      await Promise.all(this.cleanups.map((c) => c()));
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------- request pipeline

  private parseUrl(req: AnyRequest): URL {
    return new URL(req.url ?? '/', 'https://simulator.invalid');
  }

  /** authn → impersonation; returns the identity or an early answer. */
  private identify(
    req: AnyRequest,
    url: URL,
  ):
    | { ok: true; user: UserInfo; authenticated: UserInfo; impersonation: ImpersonationHeaders | undefined }
    | {
        ok: false;
        status: number;
        body: KubeStatus | string;
        authenticated: UserInfo | undefined;
        impersonation: ImpersonationHeaders | undefined;
      } {
    this.context.serviceAccountTokens.expire();
    const authenticated = authenticate({ headers: req.headers, socket: req.socket }, this.tokens);
    const impersonation = readImpersonationHeaders(req.rawHeaders);
    if (!authenticated)
      return {
        ok: false,
        status: 401,
        body: statusErrors.unauthorized().status,
        authenticated,
        impersonation,
      };
    if (!impersonation) return { ok: true, user: authenticated, authenticated, impersonation };
    const result = impersonate(
      authenticated,
      impersonation,
      (attrs) => this.context.authorize(attrs),
      `${url.pathname}${url.search}`,
    );
    if ('user' in result) return { ok: true, user: result.user, authenticated, impersonation };
    const f = result.failure;
    if (f.kind === 'internal')
      return { ok: false, status: 500, body: f.message, authenticated, impersonation };
    return {
      ok: false,
      status: 403,
      body: failure(403, 'Forbidden', f.message, { name: f.name, group: f.group, kind: f.resource }),
      authenticated,
      impersonation,
    };
  }

  private baseRecord(req: AnyRequest, url: URL, upgrade: boolean) {
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) query[k] = [...(query[k] ?? []), v];
    return {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      protocol: (req.httpVersion === '2.0' ? 'h2' : 'http/1.1') as 'h2' | 'http/1.1',
      upgrade,
      ...(typeof req.headers['user-agent'] === 'string' ? { userAgent: req.headers['user-agent'] } : {}),
      headers: redactHeaders(req.headers),
    };
  }

  /** Records the exchange once, with the first status reported (answers can end in several ways). */
  private statusRecorder(
    req: AnyRequest,
    url: URL,
    identity: ReturnType<KubeApiSimulator['identify']>,
    upgrade: boolean,
  ): (status: number, verb?: string) => void {
    const base = this.baseRecord(req, url, upgrade);
    let recorded = false;
    return (status, verb) => {
      if (recorded) return;
      recorded = true;
      this.record({
        ...base,
        user: identity.ok ? identity.user : undefined,
        authenticatedUser: identity.authenticated,
        impersonation: identity.impersonation,
        status,
        ...(verb ? { verb } : {}),
      });
    };
  }

  private async onRequest(req: AnyRequest, res: AnyResponse): Promise<void> {
    const url = this.parseUrl(req);
    const identity = this.identify(req, url);
    const recordStatus = this.statusRecorder(req, url, identity, false);
    res.on('close', () => recordStatus(res.statusCode));
    if (!identity.ok) {
      recordStatus(identity.status);
      writeAnswer(res, identity.status, identity.body);
      return;
    }
    try {
      await handleApiRequest(this.context, { user: identity.user, url, recordStatus }, req, res);
    } catch (error) {
      const status =
        error instanceof StatusError
          ? error.status
          : statusErrors.internal(error instanceof Error ? error.message : String(error)).status;
      recordStatus(status.code);
      if (res.headersSent) {
        res.end();
        return;
      }
      writeAnswer(res, status.code, status);
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): undefined {
    const url = this.parseUrl(req);
    const identity = this.identify(req, url);
    const recordStatus = this.statusRecorder(req, url, identity, true);
    socket.on('error', () => socket.destroy());
    const untrack = this.track(() => socket.destroy());
    socket.once('close', untrack);
    const answer = (status: number, body: KubeStatus | string): undefined => {
      recordStatus(status);
      writeRawAnswer(socket, status, body);
    };
    if (!identity.ok) return answer(identity.status, identity.body);

    routePodUpgrade({
      req,
      socket,
      head,
      path: url.pathname,
      user: identity.user,
      context: this.context,
      podStreams: this.podStreams,
      recordStatus,
    });
  }
}

/** Writes a Status (JSON) or a plain-text body. */
export function writeAnswer(res: AnyResponse, status: number, body: KubeStatus | string): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  (res as import('node:http').ServerResponse).writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache, private',
  });
  res.end(text);
}
export type { RecordedRequest, WaitForRequestOptions };
