import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { KubeApiSimulator, runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVICE_ACCOUNT_DIRECTORY } from '../../../../packages/proxy/src/upstream/resolve-upstream.js';
import { parseServerConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/ops/logger.js';
import { loadRoleFiles, roleSources } from '../../src/server/load-roles.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { containers, find, kustomize, type Manifest, SINGLE_POD_DIR } from './support/manifests.js';
import { layOutPodVolumes, reRooted } from './support/pod-filesystem.js';

// The single-pod overlay's pod, booted for real: the overlay is applied to the API server simulator
// (namespace, ServiceAccount, impersonation RBAC), every volume of the Deployment is laid out under
// a temporary root as the kubelet would mount it (the config Secret, the roles ConfigMap with its
// symlinked ..data layout, the projected service-account token, the emptyDirs), the kubelet's
// KUBERNETES_SERVICE_HOST/PORT point at the simulator, and the reference server starts with the
// configuration it finds at its --config path. Only what cannot be on a test machine changes: the
// container's `/` is the temporary root, and listeners take random loopback ports.

let sim: KubeApiSimulator;
let root: string;
let server: RunningServer | undefined;
const logLines: string[] = [];
const savedEnv = {
  host: process.env.KUBERNETES_SERVICE_HOST,
  port: process.env.KUBERNETES_SERVICE_PORT,
};

beforeAll(async () => {
  const [started, rendered] = await Promise.all([
    KubeApiSimulator.start({ seed: true }),
    kustomize(SINGLE_POD_DIR),
  ]);
  sim = started;
  root = await mkdtemp(join(tmpdir(), 'rmt-single-pod-'));
  const admin = await sim.adminKubeconfig();
  const applied = await runKubectl('1.33', ['apply', '-f', '-'], {
    kubeconfig: admin.path,
    input: rendered.yaml,
  });
  expect(applied.stderr).toBe('');

  const deployment = find(rendered.objects, 'Deployment', 'remoteler-proxy');
  const container = containers(deployment)[0]!;
  await layOutPodVolumes(root, rendered.objects, deployment, container, sim);

  // The configuration, read where the container's args say, through the Secret volume's symlinks.
  const args: string[] = container.args;
  const text = await readFile(join(root, args[args.indexOf('--config') + 1]!), 'utf8');
  const raw = reRooted(parse(text), root) as Record<string, Manifest>;
  // in_cluster: {} means the Proxy's default service-account folder, which is now under the root.
  for (const cluster of raw.proxy!.clusters as Manifest[]) {
    expect(cluster.in_cluster).toEqual({});
    cluster.in_cluster = { directory: join(root, SERVICE_ACCOUNT_DIRECTORY) };
  }
  // What the kubelet sets in every container for the `kubernetes` Service.
  process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
  process.env.KUBERNETES_SERVICE_PORT = String(sim.port);
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  server = await startServer(parseServerConfig(raw), {
    logger: createLogger({ destination: sink }),
    closeTimeoutMs: 2_000,
  });
});

afterAll(async () => {
  await server?.close();
  await sim?.close();
  for (const [name, value] of [
    ['KUBERNETES_SERVICE_HOST', savedEnv.host],
    ['KUBERNETES_SERVICE_PORT', savedEnv.port],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the single-pod overlay, booted as the kubelet would mount it', () => {
  it('answers the liveness and readiness probes on the diagnostics port, with the in-cluster cluster ready', async () => {
    expect(server!.diagUrl).toBeDefined();
    const health = await fetch(`${server!.diagUrl}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server!.diagUrl}/readyz`);
    const body = await ready.text();
    expect(ready.status, body).toBe(200);
    expect(server!.readiness().checks).toContainEqual({ name: 'cluster:local', ok: true });
    expect(logLines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it('reaches the API server as its service account, allowed to impersonate by the overlay RBAC', () => {
    const reviews = sim.requests.filter((r) => r.path.endsWith('/selfsubjectaccessreviews'));
    expect(reviews.length).toBeGreaterThanOrEqual(2);
    for (const review of reviews) {
      expect(review.status).toBe(201);
      expect(review.authenticatedUser?.name).toBe('system:serviceaccount:remoteler:remoteler-proxy');
    }
  });

  it('keeps its keys in a private folder it made inside the emptyDir, and reads the roles from the ConfigMap', async () => {
    expect(server!.hostCaFingerprints.length).toBeGreaterThan(0);
    const state = join(root, '/var/lib/remoteler/state');
    const { mode } = await stat(state);
    expect(mode & 0o777).toBe(0o700);
    // The roles the server reads from roles_dir: the ConfigMap's symlinked files, not its ..data folders.
    const roles = await loadRoleFiles({ baseDir: root, env: {} }, roleSources(server!.config));
    expect(roles.map((r) => r.metadata.name).sort()).toEqual(['admin', 'viewer']);
  });
});
