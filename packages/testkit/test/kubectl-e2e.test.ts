import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KubeApiSimulator,
  type KubectlRunOptions,
  runKubectl,
  startKubectl,
  type WrittenKubeconfig,
} from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// One simulator for the whole file; each kubectl version gets its own namespace, cache directory
// and object names, so the versions never see each other's objects.
let sim: KubeApiSimulator;
let dir: string;
let admin: WrittenKubeconfig;
let viewer: WrittenKubeconfig;
let impersonator: WrittenKubeconfig;

beforeAll(async () => {
  sim = await KubeApiSimulator.start({ seed: true });
  dir = await mkdtemp(join(tmpdir(), 'testkit-e2e-'));
  admin = await sim.adminKubeconfig();
  // viewer: `view` in every namespace through a group binding; may not impersonate.
  viewer = await sim.kubeconfig({ clientCertificate: await sim.issueClientCertificate('vera', ['viewers']) });
  sim.createObject({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'viewers-view' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'Group', name: 'viewers' }],
  });
  // impersonator: may impersonate user alice and group devs, nothing else.
  impersonator = await sim.kubeconfig({ clientCertificate: await sim.issueClientCertificate('ivan') });
  sim.createObject({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'impersonate-alice' },
    rules: [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['alice'] },
      {
        apiGroups: [''],
        resources: ['groups'],
        verbs: ['impersonate'],
        resourceNames: ['devs', 'system:authenticated'],
      },
    ],
  });
  sim.createObject({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'ivan-impersonates' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonate-alice' },
    subjects: [{ kind: 'User', name: 'ivan' }],
  });
  sim.createObject({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'devs-view' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'Group', name: 'devs' }],
  });
});

afterAll(async () => {
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(['1.27', '1.30', '1.33'])('kubectl %s against the simulator', (version) => {
  const ns = `v${version.replace('.', '-')}`;
  let cacheDir: string;
  const as = (kubeconfig: WrittenKubeconfig): KubectlRunOptions => ({
    kubeconfig: kubeconfig.path,
    cacheDir,
    timeoutMs: 30_000,
  });
  const kubectl = (args: string[], options: Partial<KubectlRunOptions> = {}) =>
    runKubectl(version, args, { ...as(admin), ...options });
  // kubectl 1.27 (and 1.28) validate `apply` against the protobuf /openapi/v2, which the simulator
  // does not serve (k8s-protocols §1.5); 1.29+ validate with the OpenAPI v3 documents it does serve.
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

  it('prints pods as the server-side Table, with wide columns only for -o wide', async () => {
    const plain = await kubectl(['get', 'pods', '-n', ns]);
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(plain.stdout).toMatch(/web-0\s+1\/1\s+Running\s+0\s+\d+s/);
    expect(plain.stdout).not.toContain('NODE');
    const wide = await kubectl(['get', 'pods', '-n', ns, '-o', 'wide', '--show-labels']);
    expect(wide.stdout).toMatch(/IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\s+LABELS/);
    expect(wide.stdout).toMatch(/sim-node-1.*app=web/);
  });

  it('lists every namespace with -A, taking NAMESPACE from the row objects', async () => {
    const result = await kubectl(['get', 'pods', '-A']);
    expect(result.stdout).toMatch(new RegExp(`${ns}\\s+web-0\\s+1/1\\s+Running`));
    expect(result.stdout).toMatch(/team-a\s+api-0/);
  });

  it('pages with limit/continue when asked for small chunks, and prints every object once', async () => {
    sim.clearRequests();
    const chunked = await kubectl(['get', 'namespaces', '--chunk-size=2', '-o', 'name']);
    const all = await kubectl(['get', 'namespaces', '-o', 'name']);
    expect(chunked.stdout).toBe(all.stdout);
    expect(chunked.stdout.trim().split('\n').length).toBeGreaterThan(4);
    const pages = sim.requests.filter((r) => r.path === '/api/v1/namespaces' && r.query.limit?.[0] === '2');
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.slice(1).every((r) => r.query.continue?.[0])).toBe(true);
  });

  it('get -w prints an object created after the watch started', async () => {
    const watch = await startKubectl(version, ['get', 'pods', '-n', ns, '-w'], as(admin));
    try {
      await watch.waitForOutput('web-0');
      // The watch request itself is what the new object must reach.
      await sim.waitForRequest((r) => r.verb === 'watch' && r.path === `/api/v1/namespaces/${ns}/pods`);
      sim.createObject({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'late-1', namespace: ns },
        spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
      });
      const output = await watch.waitForOutput(/late-1\s+1\/1\s+Running/);
      expect(output).not.toMatch(/<unknown>/);
    } finally {
      await watch.stop();
    }
  });

  it('apply creates, then configures, a ConfigMap', async () => {
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
    const stored = sim.getObject('v1', 'ConfigMap', 'app-config', ns)!;
    expect(stored.data).toEqual({ mode: 'two' });
    expect(stored.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain(
      '"two"',
    );
  });

  it('apply --dry-run=server reports the change and stores nothing', async () => {
    const file = join(dir, `dry-${version}.yaml`);
    await writeFile(
      file,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry-run\n  namespace: ${ns}\ndata:\n  a: b\n`,
    );
    const result = await kubectl(['apply', '--dry-run=server', ...validate, '-f', file]);
    expect(result.stdout.trim()).toBe('configmap/dry-run created (server dry run)');
    expect(sim.getObject('v1', 'ConfigMap', 'dry-run', ns)).toBeUndefined();
  });

  it('apply --server-side applies, detects a conflict, and wins it with --force-conflicts', async () => {
    const file = join(dir, `deploy-${version}.yaml`);
    const manifest = (replicas: number) =>
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: api',
        `  namespace: ${ns}`,
        'spec:',
        `  replicas: ${replicas}`,
        '  selector: { matchLabels: { app: api } }',
        '  template:',
        '    metadata: { labels: { app: api } }',
        '    spec: { containers: [ { name: app, image: "ghcr.io/example/api:1.0" } ] }',
        '',
      ].join('\n');
    await writeFile(file, manifest(2));
    const applied = await kubectl(['apply', '--server-side', ...validate, '-f', file]);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('deployment.apps/api serverside-applied');
    const deployment = sim.getObject('apps/v1', 'Deployment', 'api', ns)!;
    expect(deployment.metadata?.managedFields).toEqual([
      expect.objectContaining({ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' }),
    ]);

    // Another manager changes replicas; applying a different value then conflicts.
    const scaled = await kubectl(['scale', 'deployment/api', '-n', ns, '--replicas=5']);
    expect(scaled.stdout.trim()).toBe('deployment.apps/api scaled');
    await writeFile(file, manifest(3));
    const conflict = await kubectl(['apply', '--server-side', ...validate, '-f', file]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/conflict/i);
    expect(conflict.stderr).toContain('.spec.replicas');
    const forced = await kubectl(['apply', '--server-side', '--force-conflicts', ...validate, '-f', file]);
    expect(forced.stdout.trim()).toBe('deployment.apps/api serverside-applied');
    expect((sim.getObject('apps/v1', 'Deployment', 'api', ns)!.spec as { replicas: number }).replicas).toBe(
      3,
    );
  });

  it('patch works with strategic, merge and JSON patches', async () => {
    sim.createObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'patch-me', namespace: ns },
      data: { a: '1' },
    });
    const merge = await kubectl([
      'patch',
      'configmap',
      'patch-me',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"data":{"b":"2"}}',
    ]);
    expect(merge.stdout.trim()).toBe('configmap/patch-me patched');
    const json = await kubectl([
      'patch',
      'configmap',
      'patch-me',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/data/a"}]',
    ]);
    expect(json.stdout.trim()).toBe('configmap/patch-me patched');
    expect(sim.getObject('v1', 'ConfigMap', 'patch-me', ns)!.data).toEqual({ b: '2' });
    const strategic = await kubectl([
      'patch',
      'pod',
      'web-0',
      '-n',
      ns,
      '-p',
      '{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}',
    ]);
    expect(strategic.stdout.trim()).toBe('pod/web-0 patched');
    const pod = sim.getObject('v1', 'Pod', 'web-0', ns)!;
    expect((pod.spec as { containers: { name: string; image: string }[] }).containers).toEqual([
      expect.objectContaining({ name: 'app', image: 'nginx:1.28' }),
    ]);
  });

  it('delete removes the object and waits for it to be gone', async () => {
    sim.createObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'doomed', namespace: ns } });
    const deleted = await kubectl(['delete', 'configmap', 'doomed', '-n', ns]);
    expect(deleted.stdout.trim()).toBe('configmap "doomed" deleted');
    expect(sim.getObject('v1', 'ConfigMap', 'doomed', ns)).toBeUndefined();
    const missing = await kubectl(['delete', 'configmap', 'doomed', '-n', ns]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): configmaps "doomed" not found');
  });

  it('logs -f prints what the container wrote and what it writes later, and ends with the container', async () => {
    sim.appendLog(ns, 'web-0', 'app', 'first line\n');
    const logs = await startKubectl(version, ['logs', '-f', 'web-0', '-n', ns], as(admin));
    try {
      await logs.waitForOutput('first line\n');
      sim.appendLog(ns, 'web-0', 'app', 'second line\n');
      await logs.waitForOutput('first line\nsecond line\n');
      sim.endLog(ns, 'web-0', 'app');
      const result = await logs.exited;
      expect(result.code).toBe(0);
    } finally {
      await logs.stop();
    }
    const tail = await kubectl(['logs', 'web-0', '-n', ns, '--tail=1']);
    expect(tail.stdout).toBe('second line\n');
  });

  it('auth can-i answers yes and no from RBAC, and --list shows the rules', async () => {
    sim.clearRequests();
    const yes = await runKubectl(version, ['auth', 'can-i', 'list', 'pods', '-n', ns], as(viewer));
    expect(yes).toMatchObject({ code: 0, stdout: 'yes\n' });
    // kubectl 1.32+ send the review as protobuf (k8s-protocols §9.1); the JSON answer is accepted.
    const review = await sim.waitForRequest((r) => r.path.endsWith('/selfsubjectaccessreviews'));
    expect(review.headers['content-type']).toBe(
      version === '1.33' ? 'application/vnd.kubernetes.protobuf' : 'application/json',
    );
    const no = await runKubectl(version, ['auth', 'can-i', 'delete', 'pods', '-n', ns], as(viewer));
    expect(no.code).toBe(1);
    expect(no.stdout).toBe('no\n');
    const list = await runKubectl(version, ['auth', 'can-i', '--list', '-n', ns], as(viewer));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    expect(list.stdout).toMatch(/deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]/);
    expect(list.stdout).toMatch(
      /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/,
    );
  });

  it('auth whoami reports the certificate identity', async () => {
    const result = await runKubectl(version, ['auth', 'whoami'], as(viewer));
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/Username\s+vera/);
    expect(result.stdout).toMatch(/Groups\s+\[viewers system:authenticated\]/);
  });

  it('--as/--as-group impersonate when RBAC allows it, and the API server sees the impersonated user', async () => {
    sim.clearRequests();
    const result = await runKubectl(
      version,
      ['get', 'pods', '-n', ns, '--as', 'alice', '--as-group', 'devs'],
      as(impersonator),
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('web-0');
    const seen = await sim.waitForRequest((r) => r.path === `/api/v1/namespaces/${ns}/pods`);
    expect(seen.user).toMatchObject({ name: 'alice', groups: ['devs', 'system:authenticated'] });
    expect(seen.authenticatedUser?.name).toBe('ivan');
    expect(seen.impersonation).toMatchObject({ user: 'alice', groups: ['devs'] });
    const whoami = await runKubectl(
      version,
      ['auth', 'whoami', '--as', 'alice', '--as-group', 'devs'],
      as(impersonator),
    );
    expect(whoami.stdout).toMatch(/Username\s+alice/);
  });

  it('create namespace/configmap work, including the protobuf bodies of 1.32+ typed clients', async () => {
    sim.clearRequests();
    const namespace = await kubectl(['create', 'namespace', `${ns}-extra`]);
    expect(namespace.stdout.trim()).toBe(`namespace/${ns}-extra created`);
    const cm = await kubectl(['create', 'configmap', 'from-literal', '-n', ns, '--from-literal=k=v']);
    expect(cm.stdout.trim()).toBe('configmap/from-literal created');
    expect(sim.getObject('v1', 'ConfigMap', 'from-literal', ns)?.data).toEqual({ k: 'v' });
    const post = await sim.waitForRequest((r) => r.method === 'POST' && r.path === '/api/v1/namespaces');
    const protobuf = post.headers['content-type'] === 'application/vnd.kubernetes.protobuf';
    expect(protobuf).toBe(version === '1.33');
  });

  it('create deployment/service/role/rolebinding store what kubectl meant, and the binding grants access', async () => {
    const run = async (args: string[]) => {
      const result = await kubectl([...args, '-n', ns]);
      expect(result.stderr).toBe('');
      return result.stdout.trim();
    };
    expect(
      await run(['create', 'deployment', 'made', '--image=nginx:1.27', '--port=8080', '--replicas=2']),
    ).toBe('deployment.apps/made created');
    const deployment = sim.getObject('apps/v1', 'Deployment', 'made', ns)!;
    expect(deployment.spec).toMatchObject({
      replicas: 2,
      selector: { matchLabels: { app: 'made' } },
      template: {
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
      },
    });
    expect(await run(['create', 'service', 'clusterip', 'made', '--tcp=80:8080'])).toBe(
      'service/made created',
    );
    expect((sim.getObject('v1', 'Service', 'made', ns)!.spec as { ports: unknown[] }).ports).toEqual([
      expect.objectContaining({ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' }),
    ]);
    expect(await run(['create', 'role', 'secret-reader', '--verb=get,list', '--resource=secrets'])).toBe(
      'role.rbac.authorization.k8s.io/secret-reader created',
    );
    expect(await run(['create', 'rolebinding', 'vera-reads', '--role=secret-reader', '--user=vera'])).toBe(
      'rolebinding.rbac.authorization.k8s.io/vera-reads created',
    );
    expect(sim.getObject('rbac.authorization.k8s.io/v1', 'RoleBinding', 'vera-reads', ns)).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'vera' }],
    });
    const canRead = await runKubectl(version, ['auth', 'can-i', 'list', 'secrets', '-n', ns], as(viewer));
    expect(canRead.stdout).toBe('yes\n');
  });

  it('prints the Table columns of deployments, services and nodes', async () => {
    const result = await kubectl(['get', 'deploy,svc,nodes', '-n', 'default']);
    expect(result.stdout).toMatch(/deployment\.apps\/web\s+2\/2\s+2\s+2\s+\d+s/);
    expect(result.stdout).toMatch(/service\/web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP/);
    expect(result.stdout).toMatch(/node\/sim-node-1\s+Ready\s+control-plane/);
  });

  it('passes kubeconfig impersonation of uid and extras, with the extra key percent-encoded by kubectl', async () => {
    const kubeconfig = await sim.adminKubeconfig({
      impersonate: { user: 'alice', groups: ['devs'], uid: 'u-1', extra: { 'example.com/Team': ['a'] } },
    });
    try {
      sim.clearRequests();
      const result = await runKubectl(version, ['auth', 'whoami'], as(kubeconfig));
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/Username\s+alice/);
      expect(result.stdout).toMatch(/UID\s+u-1/);
      expect(result.stdout).toMatch(/Extra: example\.com\/team\s+\[a\]/);
      const seen = await sim.waitForRequest((r) => r.path.endsWith('/selfsubjectreviews'));
      expect(seen.impersonation?.extra).toEqual({ 'example.com/team': ['a'] });
      expect(seen.user).toMatchObject({
        name: 'alice',
        uid: 'u-1',
        groups: ['devs', 'system:authenticated'],
      });
    } finally {
      await kubeconfig.cleanup();
    }
  });

  it('--as is refused with 403 when the caller may not impersonate that user', async () => {
    const other = await runKubectl(version, ['get', 'pods', '-n', ns, '--as', 'bob'], as(impersonator));
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      'users "bob" is forbidden: User "ivan" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    const notAllowed = await runKubectl(version, ['get', 'pods', '-n', ns, '--as', 'alice'], as(viewer));
    expect(notAllowed.code).toBe(1);
    expect(notAllowed.stderr).toContain('User "vera" cannot impersonate resource "users"');
  });
});

// kubectl 1.27/1.28 read `explain` from the protobuf /openapi/v2 only (k8s-protocols §1.5), which the
// simulator does not serve; 1.29+ read the OpenAPI v3 documents it does serve.
describe.each(['1.30', '1.33'])('kubectl %s explain', (version) => {
  it('prints field documentation from the OpenAPI v3 schemas', async () => {
    const result = await runKubectl(version, ['explain', 'pods.spec.containers'], {
      kubeconfig: admin.path,
      timeoutMs: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/FIELD:\s+containers <\[\]Container>/);
    expect(result.stdout).toMatch(/name\s+<string> -required-/);
  });
});
