import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, Role } from '@remoteler/core';
import { AUDIT_SINK, createContainer, LOCK_STORE } from '@remoteler/core/di';
import { KubeApiSimulator, runKubectl, writeKubeconfig } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, type Gateway, JsonLinesAuditSink, startGateway } from '../src/index.js';
import { ObservedAuditSink } from './support/observed-audit-sink.js';
import { passwordLogin } from './support/password-login.js';
import { runRemoteler } from './support/run-remoteler.js';

// The whole path with real parts: the gateway (Auth + Proxy composed in one process), a host user
// signing in with an API key through the custom connector, real kubectl 1.33 talking mutual TLS to
// the Proxy, the testkit API server simulator behind it, and the JSON-lines audit file.

const UPSTREAM_TOKEN = 'gateway-upstream-token';
const alice = createApiKey();
const mallory = createApiKey();

const developer: Role = {
  kind: 'role',
  version: 'v1',
  metadata: { name: 'developer' },
  spec: {
    options: { max_session_ttl: '1h' },
    allow: {
      kubernetes_labels: { env: 'dev' },
      // The host's teams (the connector's `groups` claim) become the Kubernetes groups.
      kubernetes_groups: ['{{external.groups}}'],
      kubernetes_resources: [
        { kind: 'pod', namespace: 'default', name: '*', verbs: ['get', 'list', 'watch', 'exec'] },
      ],
    },
    deny: {},
  },
};

let dir: string;
let sim: KubeApiSimulator;
let gateway: Gateway;
let audit: ObservedAuditSink;
let auditFile: string;
let kubeconfig: string;
const errors: unknown[] = [];

type EventOf<T extends AuditEvent['type']> = Extract<AuditEvent, { type: T }>;
const isType =
  <T extends AuditEvent['type']>(type: T, match: (event: EventOf<T>) => boolean = () => true) =>
  (event: AuditEvent): event is EventOf<T> =>
    event.type === type && match(event as EventOf<T>);

function kubectl(args: string[]) {
  return runKubectl('1.33', args, { kubeconfig, cacheDir: join(dir, 'kube-cache') });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'custom-gateway-'));
  sim = await KubeApiSimulator.start({ seed: true, tokens: { [UPSTREAM_TOKEN]: { name: 'gateway' } } });
  sim.allowImpersonation('gateway');
  sim.bindClusterRole('platform-edit', 'edit', { kind: 'Group', name: 'platform' });
  const upstream = await writeKubeconfig({
    server: sim.url,
    caPem: sim.caPem,
    token: UPSTREAM_TOKEN,
    path: join(dir, 'dev.kubeconfig'),
  });

  // The host overrides one registration (the audit sink) in its own container; the gateway
  // composes into a child of it and uses the host's sink instead of opening its own.
  auditFile = join(dir, 'audit', 'gateway.jsonl');
  audit = new ObservedAuditSink(await JsonLinesAuditSink.open({ path: auditFile }));
  const host = createContainer().registerValue(AUDIT_SINK, audit);

  const accounts = new Map([
    ['alice', { username: 'alice', apiKeyDigests: [alice.digest], teams: ['platform'] }],
    ['mallory', { username: 'mallory', apiKeyDigests: [mallory.digest], teams: ['marketing'] }],
  ]);
  gateway = await startGateway({
    stateDir: join(dir, 'state'),
    accounts: (username) => accounts.get(username),
    roles: [developer],
    claimsToRoles: [{ claim: 'groups', value: 'platform', roles: ['developer'] }],
    clusters: [{ name: 'dev', labels: { env: 'dev' }, kubeconfig: upstream.path }],
    container: host,
    onError: (error) => errors.push(error),
  });
});

afterAll(async () => {
  await gateway?.close();
  await audit?.close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the custom gateway', () => {
  it('signs a host user in with an API key and issues a certificate pinned to the cluster', async () => {
    const login = await passwordLogin(gateway.authAddress, gateway.hostCaPem, {
      username: 'alice',
      password: alice.key,
      kubernetesCluster: 'dev',
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ username: 'alice', roles: ['developer'], kubernetesCluster: 'dev' });
    kubeconfig = (
      await writeKubeconfig({
        server: `https://${gateway.proxyAddress}`,
        caPem: gateway.hostCaPem,
        clientCertificate: { certPem: login.body.certificatePem as string, keyPem: login.keyPem },
        path: join(dir, 'alice.kubeconfig'),
      })
    ).path;
    expect(await audit.waitFor(isType('login.success', (e) => e.user === 'alice'))).toMatchObject({
      connectorId: 'api-keys',
      userType: 'sso',
      roles: ['developer'],
    });
    expect(await audit.waitFor(isType('cert.issued', (e) => e.user === 'alice'))).toMatchObject({
      kubernetesCluster: 'dev',
      serial: login.body.serialNumber,
    });
  });

  it('lets kubectl 1.33 list pods through the Proxy, impersonating the user and their teams', async () => {
    const pods = await kubectl(['get', 'pods', '-n', 'default', '-o', 'name']);
    // Success is the exit status (stderr goes into the failure message).
    expect(pods.code, pods.stderr).toBe(0);
    expect(pods.stdout.split('\n')).toEqual(expect.arrayContaining(['pod/web-0', 'pod/web-1']));
    const upstream = sim.requests.filter((r) => r.path === '/api/v1/namespaces/default/pods');
    expect(upstream.at(-1)?.user).toMatchObject({
      name: 'alice',
      groups: expect.arrayContaining(['platform']),
    });
    expect(upstream.at(-1)?.authenticatedUser).toMatchObject({ name: 'gateway' });

    const listed = await audit.waitFor(
      isType('kube.request', (e) => e.path === '/api/v1/namespaces/default/pods' && e.method === 'GET'),
    );
    expect(listed).toMatchObject({
      user: 'alice',
      cluster: 'dev',
      verb: 'list',
      resource: 'pods',
      namespace: 'default',
      allowed: true,
      status: 200,
      kubernetesUsers: ['alice'],
      kubernetesGroups: expect.arrayContaining(['platform', 'system:authenticated']),
      clientIp: '127.0.0.1',
    });
  });

  it('refuses a request the roles do not allow, without asking the cluster, and audits the refusal', async () => {
    const before = sim.requests.length;
    const secrets = await kubectl(['get', 'secrets', '-n', 'default']);
    expect(secrets.code).not.toBe(0);
    expect(secrets.stderr).toMatch(/forbidden/i);
    expect(sim.requests.slice(before).some((r) => r.path.includes('/secrets'))).toBe(false);
    const refused = await audit.waitFor(
      isType('kube.request', (e) => e.resource === 'secrets' && e.user === 'alice'),
    );
    expect(refused).toMatchObject({
      cluster: 'dev',
      verb: 'list',
      allowed: false,
      status: 403,
      errorCode: expect.stringMatching(/^RMT_POLICY_/),
    });
  });

  it('audits a request without a client certificate too, as refused and anonymous', async () => {
    const [host, port] = gateway.proxyAddress.split(':') as [string, string];
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host,
          port: Number(port),
          path: '/api/v1/namespaces/default/secrets',
          ca: gateway.hostCaPem,
          servername: 'localhost',
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
    expect(
      await audit.waitFor(isType('kube.request', (e) => e.errorCode === 'RMT_PROXY_UNAUTHENTICATED')),
    ).toMatchObject({
      user: '',
      cluster: '',
      allowed: false,
      status: 401,
      path: '/api/v1/namespaces/default/secrets',
    });
  });

  it('audits kubectl exec as a session with its command and exit code', async () => {
    const exec = await kubectl(['exec', 'web-0', '-n', 'default', '-c', 'app', '--', 'echo', 'hello']);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toBe('hello\n');
    const end = await audit.waitFor(isType('session.end', (e) => e.pod === 'web-0' && e.user === 'alice'));
    expect(end).toMatchObject({
      cluster: 'dev',
      namespace: 'default',
      command: ['echo', 'hello'],
      exitCode: 0,
    });
    expect(await audit.waitFor(isType('session.start', (e) => e.sessionId === end.sessionId))).toMatchObject({
      container: 'app',
      tty: false,
    });
    expect(
      await audit.waitFor(isType('kube.request', (e) => e.verb === 'exec' && e.name === 'web-0')),
    ).toMatchObject({ subresource: 'exec', allowed: true, status: 101 });
  });

  it('refuses a wrong API key and a user whose teams map to no role, auditing both without the key', async () => {
    const wrong = await passwordLogin(gateway.authAddress, gateway.hostCaPem, {
      username: 'alice',
      password: mallory.key,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: 'RMT_AUTH_INVALID_CREDENTIALS' });
    const unmapped = await passwordLogin(gateway.authAddress, gateway.hostCaPem, {
      username: 'mallory',
      password: mallory.key,
    });
    expect(unmapped.body).toMatchObject({ code: 'RMT_AUTH_NO_ROLES' });
    await audit.waitFor(
      isType('login.failure', (e) => e.user === 'alice' && e.errorCode === 'RMT_AUTH_INVALID_CREDENTIALS'),
    );
    await audit.waitFor(
      isType('login.failure', (e) => e.user === 'mallory' && e.errorCode === 'RMT_AUTH_NO_ROLES'),
    );
  });

  it('works with the stock remoteler client: the API key on stdin, then plain kubectl through its exec plugin', async () => {
    const caFile = join(dir, 'host-ca.pem');
    await writeFile(caFile, gateway.hostCaPem);
    const env = {
      REMOTELER_HOME: join(dir, 'remoteler-home'),
      KUBECONFIG: join(dir, 'client.kubeconfig'),
      HOME: dir,
    };
    const login = await runRemoteler(
      [
        'login',
        '--proxy',
        gateway.authAddress,
        '--user',
        'alice',
        '--password-stdin',
        '--ca-file',
        caFile,
        'dev',
      ],
      env,
      alice.key,
    );
    expect(login.code, login.stderr).toBe(0);
    const pods = await runKubectl('1.33', ['get', 'pods', '-n', 'default', '-o', 'name'], {
      kubeconfig: env.KUBECONFIG,
      cacheDir: join(dir, 'client-cache'),
      env,
    });
    expect(pods.code, pods.stderr).toBe(0);
    expect(pods.stdout.split('\n')).toContain('pod/web-0');
    expect((await runRemoteler(['logout'], env)).code).toBe(0);
  });

  it('refuses every request of a user an admin locked, at once and with the lock message', async () => {
    const locks = gateway.container.resolve(LOCK_STORE);
    await locks.create({
      kind: 'lock',
      version: 'v1',
      metadata: { name: 'alice-offboarding' },
      spec: { target: { user: 'alice' }, message: 'left the platform team' },
    });
    try {
      const pods = await kubectl(['get', 'pods', '-n', 'default']);
      expect(pods.code).not.toBe(0);
      expect(pods.stderr).toContain('left the platform team');
      expect(
        await audit.waitFor(isType('kube.request', (e) => e.errorCode === 'RMT_PROXY_LOCKED')),
      ).toMatchObject({ user: 'alice', allowed: false, status: 403 });
    } finally {
      await locks.delete('alice-offboarding');
    }
    expect((await kubectl(['get', 'pods', '-n', 'default', '-o', 'name'])).code).toBe(0);
  });

  it('has every event in the JSON-lines file, and no API key in it', async () => {
    await audit.flush();
    const text = await readFile(auditFile, 'utf8');
    expect(text).not.toContain(alice.key);
    expect(text).not.toContain(mallory.key);
    const types = new Set(
      text
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as AuditEvent).type),
    );
    for (const type of [
      'login.success',
      'login.failure',
      'cert.issued',
      'kube.request',
      'session.start',
      'session.end',
    ])
      expect(types).toContain(type);
    expect(errors).toEqual([]);
  });
});
