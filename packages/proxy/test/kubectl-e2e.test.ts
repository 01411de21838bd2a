import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import {
  KubeApiSimulator,
  type KubectlRunOptions,
  runKubectl,
  startKubectl,
  type WrittenKubeconfig,
  writeKubeconfig,
} from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProxy,
  MemoryClusterRegistry,
  type ProxyAuditEvent,
  type RemotelerProxy,
} from '../src/index.js';
import { EVERYTHING, role, roleAccess } from './support/roles.js';
import { createTestPki, type TestPki } from './support/test-pki.js';

// Real kubectl binaries -> Remoteler Proxy (mTLS, user certificate from @remoteler/ca) -> the
// testkit API server simulator, which authenticates the Proxy by its own token and records who
// each request was impersonated as.

const PROXY_TOKEN = 'remoteler-proxy-token';
let pki: TestPki;
let sim: KubeApiSimulator;
let proxy: RemotelerProxy;
let dir: string;
let prefixed: WrittenKubeconfig;
let pinnedOnly: WrittenKubeconfig;
let viewerConfig: WrittenKubeconfig;
let clusterLimitedConfig: WrittenKubeconfig;
const audits: ProxyAuditEvent[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  sim = await KubeApiSimulator.start({ seed: true, tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } } });
  // The Proxy may impersonate; alice's group `developers` may edit. Nothing else.
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('developers-edit', 'edit', { kind: 'Group', name: 'developers' });
  sim.bindClusterRole('sim-viewers-view', 'view', { kind: 'Group', name: 'sim-viewers' });
  proxy = createProxy({
    tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
    identityDecoder: pki.decoder,
    access: roleAccess(() => [
      role('developer', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_users: ['alice'],
        kubernetes_groups: ['developers'],
        kubernetes_resources: EVERYTHING,
      }),
      // Remoteler allows everything; the cluster's own RBAC (group sim-viewers -> view) does not allow exec.
      role('cluster-limited', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_users: ['alice'],
        kubernetes_groups: ['sim-viewers'],
        kubernetes_resources: EVERYTHING,
      }),
      role('viewer', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_users: ['alice'],
        kubernetes_groups: ['developers'],
        kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['get', 'list', 'watch'] }],
      }),
    ]),
    clusters: new MemoryClusterRegistry([
      {
        name: 'dev',
        labels: { env: 'dev' },
        upstream: { kind: 'token', server: sim.url, token: PROXY_TOKEN, ca: sim.caPem },
      },
    ]),
    closeTimeoutMs: 2_000,
    checkImpersonation: false,
    onAudit: (event) => audits.push(event),
  });
  const { port } = await proxy.listen();
  dir = await mkdtemp(join(pki.dir, 'e2e-'));
  const alice = await pki.user('alice', { pin: 'dev' });
  const clientCertificate = { certPem: alice.cert, keyPem: alice.key };
  // What `remoteler kube login` writes: the server URL carries the cluster prefix.
  prefixed = await writeKubeconfig({
    server: `https://127.0.0.1:${port}/k8s/dev`,
    caPem: pki.proxyTrust,
    clientCertificate,
    path: join(dir, 'prefixed'),
  });
  const viewer = await pki.user('alice', { pin: 'dev', roles: ['viewer'] });
  viewerConfig = await writeKubeconfig({
    server: `https://127.0.0.1:${port}/k8s/dev`,
    caPem: pki.proxyTrust,
    clientCertificate: { certPem: viewer.cert, keyPem: viewer.key },
    path: join(dir, 'viewer'),
  });
  const limited = await pki.user('alice', { pin: 'dev', roles: ['cluster-limited'] });
  clusterLimitedConfig = await writeKubeconfig({
    server: `https://127.0.0.1:${port}/k8s/dev`,
    caPem: pki.proxyTrust,
    clientCertificate: { certPem: limited.cert, keyPem: limited.key },
    path: join(dir, 'cluster-limited'),
  });
  pinnedOnly = await writeKubeconfig({
    server: `https://127.0.0.1:${port}`,
    caPem: pki.proxyTrust,
    clientCertificate,
    path: join(dir, 'pinned'),
  });
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
  await pki?.dispose();
});

function expectImpersonatedAlice(request: {
  user?: { name: string; groups?: readonly string[] };
  authenticatedUser?: { name: string };
}) {
  expect(request.authenticatedUser?.name).toBe('remoteler-proxy');
  expect(request.user?.name).toBe('alice');
  expect([...(request.user?.groups ?? [])].sort()).toEqual(['developers', 'system:authenticated']);
}

describe.each(['1.27', '1.30', '1.33'])('kubectl %s through the Proxy', (version) => {
  const ns = `proxy-${version.replace('.', '-')}`;
  let cacheDir: string;
  const options = (kubeconfig: WrittenKubeconfig = prefixed): KubectlRunOptions => ({
    kubeconfig: kubeconfig.path,
    cacheDir,
    timeoutMs: 30_000,
  });
  const kubectl = (args: string[], kubeconfig?: WrittenKubeconfig) =>
    runKubectl(version, args, options(kubeconfig));
  // kubectl get -w lists, then prints a pod created once its watch request reached the API server.
  // Resolves with that watch request as the simulator recorded it.
  const watchSeesNewPod = async (runOptions: KubectlRunOptions, name: string) => {
    sim.clearRequests();
    const watch = await startKubectl(version, ['get', 'pods', '-n', ns, '-w'], runOptions);
    try {
      await watch.waitForOutput('web-0');
      const watching = await sim.waitForRequest(
        (r) => r.verb === 'watch' && r.path === `/api/v1/namespaces/${ns}/pods`,
      );
      sim.createObject({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns },
        spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
      });
      await watch.waitForOutput(new RegExp(`${name}\\s+1/1\\s+Running`));
      return watching;
    } finally {
      await watch.stop();
    }
  };
  // kubectl 1.27 validates apply against the protobuf /openapi/v2 the simulator does not serve.
  const validate = version === '1.27' ? ['--validate=false'] : [];

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(dir, `cache-${version}-`));
    sim.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    sim.createObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: ns, labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    });
  });

  afterAll(async () => {
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('get prints the server-side Table, and the API server saw alice impersonated by the Proxy', async () => {
    sim.clearRequests();
    const result = await kubectl(['get', 'pods', '-n', ns]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(result.stdout).toMatch(/web-0\s+1\/1\s+Running/);
    const list = sim.requests.find((r) => r.path === `/api/v1/namespaces/${ns}/pods`);
    expect(list).toBeDefined();
    for (const request of sim.requests) expectImpersonatedAlice(request);
  });

  it('get --raw /api reaches the pinned cluster although kubectl drops the server path', async () => {
    sim.clearRequests();
    const result = await kubectl(['get', '--raw', '/api'], prefixed);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const direct = await kubectl(['get', '--raw', '/api/v1/namespaces'], pinnedOnly);
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout).kind).toBe('NamespaceList');
    expect(sim.requests.map((r) => r.path)).toEqual(['/api', '/api/v1/namespaces']);
    for (const request of sim.requests) expectImpersonatedAlice(request);
  });

  it('get -w prints an object created after the watch started', async () => {
    const watching = await watchSeesNewPod(options(), 'late-1');
    expectImpersonatedAlice(watching);
  });

  it('apply creates and then configures a ConfigMap, and delete removes it', async () => {
    const file = join(dir, `cm-${version}.yaml`);
    const manifest = (value: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: ${ns}\ndata:\n  mode: ${value}\n`;
    await writeFile(file, manifest('one'));
    const created = await kubectl(['apply', ...validate, '-f', file]);
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('configmap/app-config created');
    await writeFile(file, manifest('two'));
    const configured = await kubectl(['apply', ...validate, '-f', file]);
    expect(configured.stdout.trim()).toBe('configmap/app-config configured');
    expect(sim.getObject('v1', 'ConfigMap', 'app-config', ns)?.data).toEqual({ mode: 'two' });
    sim.clearRequests();
    const deleted = await kubectl(['delete', 'configmap', 'app-config', '-n', ns]);
    expect(deleted.stdout.trim()).toBe('configmap "app-config" deleted');
    expect(sim.getObject('v1', 'ConfigMap', 'app-config', ns)).toBeUndefined();
    const deletion = sim.requests.find((r) => r.method === 'DELETE');
    expect(deletion).toBeDefined();
    expectImpersonatedAlice(deletion!);
  });

  it('exec relays stdout, stderr and the exit code (SPDY for 1.27, WebSocket for 1.30+)', async () => {
    sim.clearRequests();
    const result = await kubectl([
      'exec',
      'web-0',
      '-n',
      ns,
      '-c',
      'app',
      '--',
      'sh',
      '-c',
      'echo to-stdout; echo to-stderr >&2; exit 7',
    ]);
    expect(result.stdout).toBe('to-stdout\n');
    expect(result.stderr).toContain('to-stderr\n');
    expect(result.stderr).toContain('command terminated with exit code 7');
    expect(result.code).toBe(7);
    const upgrade = sim.requests.find((r) => r.upgrade && r.path.endsWith('/exec'));
    expect(upgrade?.status).toBe(101);
    expect(upgrade?.method).toBe(version === '1.27' ? 'POST' : 'GET');
    expectImpersonatedAlice(upgrade!);
  });

  it('exec -i carries 1 MiB of stdin through the relay and back', async () => {
    const input = Buffer.alloc(1024 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789\n');
    const result = await runKubectl(version, ['exec', '-i', 'web-0', '-n', ns, '--', 'cat'], {
      ...options(),
      input,
    });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(input.length);
  });

  it('port-forward makes a TCP round trip through the Proxy', async () => {
    const forward = await startKubectl(version, ['port-forward', '-n', ns, 'pod/web-0', ':80'], options());
    try {
      const line = await forward.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+) -> 80/);
      const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(line)![1]);
      const echoed = await new Promise<string>((resolve, reject) => {
        const socket = tcpConnect(localPort, '127.0.0.1', () => socket.write('round trip'));
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString();
          if (received === 'round trip') {
            socket.end();
            resolve(received);
          }
        });
        socket.on('error', reject);
      });
      expect(echoed).toBe('round trip');
    } finally {
      await forward.stop();
    }
  });

  it('exec is refused over WebSocket and over SPDY when the role lacks the exec verb', async () => {
    sim.clearRequests();
    const result = await kubectl(['exec', 'web-0', '-n', ns, '--', 'echo', 'hi'], viewerConfig);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error from server (Forbidden)');
    expect(result.stderr).toContain('exec');
    expect(sim.requests.filter((r) => r.upgrade)).toHaveLength(0);
  });

  it('passes the API server’s own refusal of an upgrade through unchanged, so kubectl falls back and prints it', async () => {
    sim.clearRequests();
    const result = await kubectl(['exec', 'web-0', '-n', ns, '--', 'echo', 'hi'], clusterLimitedConfig);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error from server (Forbidden)');
    expect(result.stderr).toContain('cannot create resource "pods/exec"');
    const upgrades = sim.requests.filter((r) => r.upgrade && r.path.endsWith('/exec'));
    // 1.30+ try WebSocket (GET) first and fall back to SPDY (POST) on the 403; 1.27 speaks SPDY only.
    expect(upgrades.map((r) => [r.method, r.status])).toEqual(
      version === '1.27'
        ? [['POST', 403]]
        : [
            ['GET', 403],
            ['POST', 403],
          ],
    );
    for (const upgrade of upgrades) expect(upgrade.user?.groups).toContain('sim-viewers');
  });

  it('speaks HTTP/2 to the Proxy when it may, and get and get -w work over HTTP/1.1 when client-go’s HTTP/2 is off (DISABLE_HTTP2)', async () => {
    const versionsOf = (path: string) =>
      audits.filter((event) => event.path.endsWith(path)).map((event) => event.httpVersion);
    audits.length = 0;
    expect((await kubectl(['get', 'pods', '-n', ns])).code).toBe(0);
    expect(versionsOf(`/namespaces/${ns}/pods`)).toEqual(['2.0']);

    audits.length = 0;
    // client-go's own switch (k8s.io/apimachinery util/net): no `h2` in its ALPN offer.
    const http1 = { ...options(), env: { DISABLE_HTTP2: '1' } };
    expect((await runKubectl(version, ['get', 'pods', '-n', ns], http1)).code).toBe(0);
    expect(versionsOf(`/namespaces/${ns}/pods`)).toEqual(['1.1']);
    expectImpersonatedAlice(await watchSeesNewPod(http1, 'late-h1'));
    expect(new Set(audits.map((event) => event.httpVersion))).toEqual(new Set(['1.1']));
  });

  it('--as for a user the roles do not allow is refused by the Proxy before the API server', async () => {
    sim.clearRequests();
    const result = await kubectl(['get', 'pods', '-n', ns, '--as', 'system:admin']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error from server (Forbidden)');
    expect(result.stderr).toContain('RMT_POLICY_IMPERSONATION_DENIED');
    expect(sim.requests).toHaveLength(0);
  });
});
