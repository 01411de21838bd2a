import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Role } from '@remoteler/core';
import {
  KubeApiSimulator,
  type KubectlRunOptions,
  runKubectl,
  startKubectl,
  type WrittenKubeconfig,
  writeKubeconfig,
} from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxy, MemoryClusterRegistry, type RemotelerProxy } from '../src/index.js';
import { role, roleAccess } from './support/roles.js';
import { createTestPki, type TestPki } from './support/test-pki.js';

// Real kubectl -> Proxy -> simulator, with a role that allows pods in `allowed-*` namespaces only.
// The cluster's own RBAC (group developers -> view) allows reading everything but no writes, so
// `auth can-i` shows both halves of the combined answer.

const PROXY_TOKEN = 'remoteler-proxy-token';
const NAMESPACE_SCOPED = role('team', {
  kubernetes_labels: { env: 'dev' },
  kubernetes_users: ['alice'],
  kubernetes_groups: ['developers'],
  kubernetes_resources: [
    { kind: 'pod', namespace: 'allowed-*', name: '*', verbs: ['get', 'list', 'watch', 'delete'] },
  ],
});
const WIDENED = role('team', {
  kubernetes_labels: { env: 'dev' },
  kubernetes_users: ['alice'],
  kubernetes_groups: ['developers'],
  kubernetes_resources: [{ kind: 'pod', namespace: '*', name: '*', verbs: ['get', 'list', 'watch'] }],
});

let pki: TestPki;
let sim: KubeApiSimulator;
let proxy: RemotelerProxy;
let kubeconfig: WrittenKubeconfig;
let roles: readonly Role[] = [NAMESPACE_SCOPED];

function pod(name: string, namespace: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

beforeAll(async () => {
  pki = await createTestPki();
  sim = await KubeApiSimulator.start({ seed: true, tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } } });
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('developers-view', 'view', { kind: 'Group', name: 'developers' });
  proxy = createProxy({
    tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
    identityDecoder: pki.decoder,
    access: roleAccess(() => roles),
    clusters: new MemoryClusterRegistry([
      {
        name: 'dev',
        labels: { env: 'dev' },
        upstream: { kind: 'token', server: sim.url, token: PROXY_TOKEN, ca: sim.caPem },
      },
    ]),
    closeTimeoutMs: 2_000,
    checkImpersonation: false,
  });
  const { port } = await proxy.listen();
  const alice = await pki.user('alice', { pin: 'dev', roles: ['team'] });
  kubeconfig = await writeKubeconfig({
    server: `https://127.0.0.1:${port}/k8s/dev`,
    caPem: pki.proxyTrust,
    clientCertificate: { certPem: alice.cert, keyPem: alice.key },
    path: join(pki.dir, 'filtering-kubeconfig'),
  });
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
  await pki?.dispose();
});

describe.each(['1.27', '1.30', '1.33'])('kubectl %s through a filtering Proxy', (version) => {
  const suffix = version.replace('.', '');
  const allowed = `allowed-${suffix}`;
  const hidden = `hidden-${suffix}`;
  let cacheDir: string;
  const options = (): KubectlRunOptions => ({ kubeconfig: kubeconfig.path, cacheDir, timeoutMs: 30_000 });
  const kubectl = (args: string[]) => runKubectl(version, args, options());

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(pki.dir, `filtering-cache-${suffix}-`));
    for (const namespace of [allowed, hidden]) {
      sim.createObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      for (const name of ['web-0', 'web-1', 'web-2'])
        sim.createObject(pod(`${namespace}-${name}`, namespace));
    }
  });

  afterAll(async () => {
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('get pods -A prints a Table with only the pods of allowed namespaces', async () => {
    sim.clearRequests();
    const result = await kubectl(['get', 'pods', '-A']);
    // The Proxy asked for Table rows carrying each object's metadata, to judge them.
    const list = sim.requests.find((r) => r.path === '/api/v1/pods');
    expect(list?.query.includeObject).toEqual(['Metadata']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS/);
    for (const name of ['web-0', 'web-1', 'web-2'])
      expect(result.stdout).toMatch(new RegExp(`${allowed}\\s+${allowed}-${name}\\s+1/1\\s+Running`));
    expect(result.stdout).not.toContain('hidden-');
  });

  it('get pods -A -w shows a pod created in an allowed namespace and never one in a forbidden namespace', async () => {
    const watch = await startKubectl(version, ['get', 'pods', '-A', '-w'], options());
    try {
      await watch.waitForOutput(`${allowed}-web-2`);
      await sim.waitForRequest((r) => r.verb === 'watch' && r.path === '/api/v1/pods');
      // Events arrive in order on one stream: once the later allowed pod shows, the forbidden one
      // before it has been read and dropped.
      sim.createObject(pod(`${hidden}-late`, hidden));
      sim.createObject(pod(`${allowed}-late`, allowed));
      await watch.waitForOutput(new RegExp(`${allowed}\\s+${allowed}-late`));
      expect(watch.stdout).not.toContain('hidden-');
    } finally {
      await watch.stop();
    }
  });

  it('get pods -n <forbidden> is a 403 naming the verb and the resource', async () => {
    const result = await kubectl(['get', 'pods', '-n', hidden]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Error from server (Forbidden)');
    expect(result.stderr).toMatch(/\blist\b/);
    expect(result.stderr).toContain('pods');
  });

  it('--chunk-size pages through the filtered list with continue tokens', async () => {
    sim.clearRequests();
    const result = await kubectl(['get', 'pods', '-A', '--chunk-size=2', '-o', 'name']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const names = result.stdout.trim().split('\n');
    for (const name of ['web-0', 'web-1', 'web-2']) expect(names).toContain(`pod/${allowed}-${name}`);
    expect(names.some((n) => n.includes('hidden-'))).toBe(false);
    const pages = sim.requests.filter((r) => r.path === '/api/v1/pods');
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.slice(1).every((r) => r.query.continue !== undefined)).toBe(true);
  });

  it('auth can-i answers yes only where both the roles and the cluster allow', async () => {
    const canI = async (...args: string[]) => {
      const result = await kubectl(['auth', 'can-i', ...args]);
      return result.stdout.trim().split(' ')[0];
    };
    // Roles and cluster both allow.
    expect(await canI('get', 'pods', '-n', allowed)).toBe('yes');
    // The roles forbid the namespace (the cluster would allow reading it).
    expect(await canI('get', 'pods', '-n', hidden)).toBe('no');
    const reason = await kubectl(['auth', 'can-i', 'get', 'pods', '-n', hidden]);
    expect(reason.stdout).toContain('Remoteler roles');
    // The roles allow delete, the cluster's view role does not.
    expect(await canI('delete', 'pods', '-n', allowed)).toBe('no');
    // Neither allows create.
    expect(await canI('create', 'pods', '-n', allowed)).toBe('no');
  });

  it('auth can-i --list shows the cluster rules narrowed to what the roles allow', async () => {
    const result = await kubectl(['auth', 'can-i', '--list', '-n', allowed]);
    expect(result.code).toBe(0);
    const rows = result.stdout.split('\n').filter((line) => line.trim() !== '');
    expect(rows[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    const pods = rows.find((line) => /^pods\s/.test(line));
    expect(pods).toMatch(/\[get list watch\]/);
    // The cluster's view role also grants services, configmaps…; the roles do not.
    expect(rows.some((line) => /^(?:services|configmaps)\s/.test(line))).toBe(false);
  });

  it('a role change applies to the next request', async () => {
    expect((await kubectl(['get', 'pods', '-n', hidden, '-o', 'name'])).code).not.toBe(0);
    roles = [WIDENED];
    try {
      const widened = await kubectl(['get', 'pods', '-n', hidden, '-o', 'name']);
      expect(widened.stderr).toBe('');
      expect(widened.stdout).toContain(`pod/${hidden}-web-0`);
      expect(await kubectl(['auth', 'can-i', 'get', 'pods', '-n', hidden]).then((r) => r.stdout.trim())).toBe(
        'yes',
      );
    } finally {
      roles = [NAMESPACE_SCOPED];
    }
    expect((await kubectl(['get', 'pods', '-n', hidden, '-o', 'name'])).code).not.toBe(0);
  });
});
