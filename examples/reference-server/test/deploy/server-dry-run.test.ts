import { KubeApiSimulator, runKubectl, type WrittenKubeconfig } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BASE_DIR, kustomize, type Rendered, SINGLE_POD_DIR } from './support/manifests.js';

// `kubectl apply --dry-run=server` sends every rendered object through the API server's decoding,
// defaulting, validation and admission without storing it (dryRun=All). Here the server is the
// testkit simulator, which answers dry runs as kube-apiserver does.

let sim: KubeApiSimulator;
let admin: WrittenKubeconfig;
let base: Rendered;
let single: Rendered;

beforeAll(async () => {
  [sim, base, single] = await Promise.all([
    KubeApiSimulator.start(),
    kustomize(BASE_DIR),
    kustomize(SINGLE_POD_DIR),
  ]);
  admin = await sim.adminKubeconfig();
});

afterAll(async () => {
  await sim?.close();
});

const dryRun = (yaml: string) =>
  runKubectl('1.33', ['apply', '--dry-run=server', '-f', '-'], { kubeconfig: admin.path, input: yaml });

/** What the simulator holds for the deployment's kinds, by kind/namespace/name. */
function stored(): string[] {
  const kinds: [string, string][] = [
    ['v1', 'ServiceAccount'],
    ['v1', 'Secret'],
    ['v1', 'ConfigMap'],
    ['v1', 'Service'],
    ['apps/v1', 'Deployment'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
    ['v1', 'Namespace'],
  ];
  return kinds.flatMap(([apiVersion, kind]) =>
    sim
      .listObjects(apiVersion, kind)
      .map((o) => `${kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`),
  );
}

describe('kubectl apply --dry-run=server of the rendered manifests', () => {
  it('cannot place objects in a namespace that the same dry run only pretended to create (as on a real cluster)', async () => {
    const before = stored();
    const result = await dryRun(base.yaml);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('namespace/remoteler created (server dry run)');
    expect(result.stderr).toContain('namespaces "remoteler" not found');
    expect(stored()).toEqual(before);
  });

  it('accepts every object of the base and of the single-pod overlay once the namespace exists, and stores none of them', async () => {
    const created = await runKubectl('1.33', ['create', 'namespace', 'remoteler', '--save-config'], {
      kubeconfig: admin.path,
    });
    expect(created.stderr).toBe('');
    const before = stored();
    sim.clearRequests();

    for (const rendered of [base, single]) {
      const result = await dryRun(rendered.yaml);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      // One line per object: created, or (the namespace made above, with --save-config as apply
      // expects) configured, each a dry run.
      expect(lines).toHaveLength(rendered.objects.length);
      for (const line of lines) expect(line).toMatch(/^\S+\/\S+ (created|configured) \(server dry run\)$/);
      for (const o of rendered.objects)
        expect(result.stdout).toContain(
          `/${o.metadata.name} ${o.kind === 'Namespace' ? 'configured' : 'created'}`,
        );
    }

    // Every write carried dryRun=All, and the store is as it was.
    const writes = sim.requests.filter((r) => r.method !== 'GET');
    expect(writes.length).toBeGreaterThan(0);
    for (const write of writes) expect(write.query.dryRun).toEqual(['All']);
    expect(stored()).toEqual(before);
  });

  it('refuses a manifest the API server would refuse, so the dry run is a real check', async () => {
    // Typical editing slips, each a 422 Invalid from kube-apiserver: a mount of a volume that was
    // renamed, a selector that no longer matches the pod labels.
    const broken = base.objects
      .map((o) => {
        if (o.kind !== 'Deployment') return stringify(o);
        const copy = structuredClone(o);
        const pod = copy.spec.template.spec;
        if (o.metadata.name === 'remoteler-proxy')
          pod.volumes.find((v: { name: string }) => v.name === 'kube-api-access').name = 'sa-token';
        else copy.spec.template.metadata.labels['app.kubernetes.io/component'] = 'authn';
        return stringify(copy);
      })
      .join('---\n');
    const result = await dryRun(broken);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Deployment.apps "remoteler-proxy" is invalid');
    expect(result.stderr).toMatch(
      /spec\.template\.spec\.containers\[0\]\.volumeMounts\[\d\]\.name: Not found: "kube-api-access"/,
    );
    expect(result.stderr).toContain('Deployment.apps "remoteler-auth" is invalid');
    expect(result.stderr).toContain('`selector` does not match template `labels`');
  });
});
