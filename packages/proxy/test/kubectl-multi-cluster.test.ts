import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeApiSimulator, runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createProxy, MemoryClusterRegistry, type RemotelerProxy } from '../src/index.js';
import { EVERYTHING, role, roleAccess } from './support/roles.js';
import { createTestPki, type TestPki } from './support/test-pki.js';

// Two API servers behind one Proxy, chosen by kubeconfig context. `dev` is reached with a bearer
// token, `staging` with the Proxy's client certificate; each must see only its own traffic.
let pki: TestPki;
let dev: KubeApiSimulator;
let staging: KubeApiSimulator;
let proxy: RemotelerProxy;
let kubeconfig: string;

function allowProxyToImpersonate(sim: KubeApiSimulator): void {
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('developers-edit', 'edit', { kind: 'Group', name: 'developers' });
}

beforeAll(async () => {
  pki = await createTestPki();
  [dev, staging] = await Promise.all([
    KubeApiSimulator.start({ seed: true, tokens: { 'dev-proxy-token': { name: 'remoteler-proxy' } } }),
    KubeApiSimulator.start({ seed: true }),
  ]);
  allowProxyToImpersonate(dev);
  allowProxyToImpersonate(staging);
  const proxyCert = await staging.issueClientCertificate('remoteler-proxy');
  proxy = createProxy({
    tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
    identityDecoder: pki.decoder,
    access: roleAccess(() => [
      role('developer', {
        kubernetes_labels: { '*': '*' },
        kubernetes_users: ['alice'],
        kubernetes_groups: ['developers'],
        kubernetes_resources: EVERYTHING,
      }),
    ]),
    clusters: new MemoryClusterRegistry([
      {
        name: 'dev',
        labels: {},
        upstream: { kind: 'token', server: dev.url, token: 'dev-proxy-token', ca: dev.caPem },
      },
      {
        name: 'staging',
        labels: {},
        upstream: {
          kind: 'client-certificate',
          server: staging.url,
          cert: proxyCert.certPem,
          key: proxyCert.keyPem,
          ca: staging.caPem,
        },
      },
    ]),
    closeTimeoutMs: 2_000,
    checkImpersonation: false,
  });
  const { port } = await proxy.listen();
  const alice = await pki.user('alice');
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const dir = await mkdtemp(join(pki.dir, 'multi-'));
  kubeconfig = join(dir, 'config');
  // The shape `remoteler kube login` writes: one cluster, user and context per Kubernetes cluster.
  const names = ['dev', 'staging'];
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: names.map((name) => ({
        name: `proxy-${name}`,
        cluster: {
          server: `https://127.0.0.1:${port}/k8s/${name}`,
          'certificate-authority-data': b64(pki.proxyTrust),
        },
      })),
      users: [
        {
          name: 'alice',
          user: { 'client-certificate-data': b64(alice.cert), 'client-key-data': b64(alice.key) },
        },
      ],
      contexts: names.map((name) => ({
        name: `proxy-${name}`,
        context: { cluster: `proxy-${name}`, user: 'alice' },
      })),
      'current-context': 'proxy-dev',
    }),
    { mode: 0o600 },
  );
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([dev?.close(), staging?.close()]);
  await pki?.dispose();
});

describe('two clusters behind one Proxy', () => {
  it('sends each kubeconfig context to its own cluster, and each cluster sees only its own traffic', async () => {
    dev.createObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'only-in-dev', namespace: 'default' },
    });
    staging.createObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'only-in-staging', namespace: 'default' },
    });
    dev.clearRequests();
    staging.clearRequests();
    const options = { kubeconfig, timeoutMs: 30_000 };
    const fromDev = await runKubectl('1.33', ['get', 'configmaps', '--context', 'proxy-dev'], options);
    expect(fromDev.stderr).toBe('');
    expect(fromDev.stdout).toContain('only-in-dev');
    expect(fromDev.stdout).not.toContain('only-in-staging');
    const devRequests = dev.requests.length;
    expect(staging.requests).toHaveLength(0);

    const fromStaging = await runKubectl(
      '1.33',
      ['get', 'configmaps', '--context', 'proxy-staging'],
      options,
    );
    expect(fromStaging.stderr).toBe('');
    expect(fromStaging.stdout).toContain('only-in-staging');
    expect(fromStaging.stdout).not.toContain('only-in-dev');
    expect(dev.requests).toHaveLength(devRequests);
    for (const request of [...dev.requests, ...staging.requests]) {
      expect(request.authenticatedUser?.name).toBe('remoteler-proxy');
      expect(request.user?.name).toBe('alice');
    }
  });
});
