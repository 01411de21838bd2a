import { KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxy, MemoryClusterRegistry, type RemotelerProxy } from '../src/index.js';
import { DEVELOPER } from './support/proxy-fixture.js';
import { roleAccess } from './support/roles.js';
import { createTestPki, type TestPki } from './support/test-pki.js';

// The startup check: a SelfSubjectAccessReview per cluster, answered by the simulator's RBAC.
let pki: TestPki;
let sim: KubeApiSimulator;

beforeAll(async () => {
  pki = await createTestPki();
  sim = await KubeApiSimulator.start({
    tokens: { 'may-impersonate': { name: 'proxy-ok' }, 'may-not': { name: 'proxy-without-rights' } },
  });
  sim.createObject({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'remoteler-impersonator' },
    rules: [{ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }],
  });
  sim.createObject({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'proxy-ok-impersonates' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'remoteler-impersonator' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'proxy-ok' }],
  });
});

afterAll(async () => {
  await sim?.close();
  await pki?.dispose();
});

describe('checking that the Proxy may impersonate', () => {
  it('reports a cluster whose credentials may not impersonate, at listen and when a cluster is added', async () => {
    const reported: unknown[] = [];
    let notify: () => void = () => {};
    const clusters = new MemoryClusterRegistry([
      {
        name: 'good',
        labels: {},
        upstream: { kind: 'token', server: sim.url, token: 'may-impersonate', ca: sim.caPem },
      },
      {
        name: 'bad',
        labels: {},
        upstream: { kind: 'token', server: sim.url, token: 'may-not', ca: sim.caPem },
      },
    ]);
    const proxy: RemotelerProxy = createProxy({
      tls: { cert: pki.server.cert, key: pki.server.key, userCaBundle: pki.userCa.trustBundlePem() },
      identityDecoder: pki.decoder,
      access: roleAccess(() => [DEVELOPER]),
      clusters,
      onError: (error) => {
        reported.push(error);
        notify();
      },
    });
    try {
      const first = new Promise<void>((resolve) => {
        notify = resolve;
      });
      await proxy.listen();
      await first;
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({
        code: 'RMT_PROXY_IMPERSONATION_UNAUTHORIZED',
        details: { cluster: 'bad', users: false, groups: false },
      });
      expect(await proxy.checkCluster('good')).toEqual({ cluster: 'good', users: true, groups: true });

      const second = new Promise<void>((resolve) => {
        notify = resolve;
      });
      clusters.add({
        name: 'late',
        labels: {},
        upstream: { kind: 'token', server: sim.url, token: 'may-not', ca: sim.caPem },
      });
      await second;
      expect(reported[1]).toMatchObject({
        code: 'RMT_PROXY_IMPERSONATION_UNAUTHORIZED',
        details: { cluster: 'late' },
      });
      await expect(proxy.checkCluster('nope')).rejects.toMatchObject({ code: 'RMT_PROXY_CLUSTER_NOT_FOUND' });
    } finally {
      await proxy.close();
    }
  });
});
