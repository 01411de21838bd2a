import * as k8s from '@kubernetes/client-node';
import { KubeApiSimulator, type WrittenKubeconfig } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('@kubernetes/client-node against the simulator', () => {
  let sim: KubeApiSimulator;
  let kubeconfig: WrittenKubeconfig;
  let kc: k8s.KubeConfig;

  beforeAll(async () => {
    sim = await KubeApiSimulator.start({ seed: true });
    kubeconfig = await sim.adminKubeconfig();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig.path);
  });
  afterAll(() => sim.close());

  it('lists pods with typed results', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'default' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['web-0', 'web-1']);
    expect(pods.items[0]?.status?.phase).toBe('Running');
    expect(pods.metadata?.resourceVersion).toMatch(/^\d+$/);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    expect(deployment.status?.readyReplicas).toBe(2);
  });

  it('creates an object and surfaces a 409 as an ApiException', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const body = { metadata: { name: 'from-client-node' }, data: { a: 'b' } };
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body });
    expect(created.metadata?.uid).toBeTruthy();
    await expect(core.createNamespacedConfigMap({ namespace: 'default', body })).rejects.toMatchObject({
      code: 409,
    });
  });

  it('watches and receives events that happen after the watch starts', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const watch = new k8s.Watch(kc);
    const seen: string[] = [];
    let done!: () => void;
    const gotBoth = new Promise<void>((resolve) => {
      done = resolve;
    });
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: false },
      (type: string, object: k8s.V1ConfigMap) => {
        seen.push(`${type} ${object.metadata?.name}`);
        if (seen.length === 2) done();
      },
      () => {},
    );
    try {
      await sim.waitForRequest(
        (r) => r.verb === 'watch' && r.path === '/api/v1/namespaces/default/configmaps',
      );
      sim.createObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched', namespace: 'default' },
      });
      sim.deleteObject('v1', 'ConfigMap', 'watched');
      await gotBoth;
      expect(seen).toEqual(['ADDED watched', 'DELETED watched']);
    } finally {
      controller.abort();
    }
  });
});
