import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiSimulator } from '@remoteler/testkit';
import { type ServerProcess, startServerProcess } from './server-process.js';

/** A developer role on clusters labelled env=dev, as the tests' configurations name it (`roles.yaml`). */
export const DEVELOPER_ROLE_YAML = `kind: role
version: v1
metadata: { name: developer }
spec:
  allow:
    kubernetes_labels: { env: dev }
    kubernetes_groups: [developers]
    kubernetes_resources: [{ kind: "*", namespace: "*", name: "*", verbs: ["*"] }]
`;

/** A port that was free a moment ago (for configs that must name the Proxy's port before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A temporary folder with the files configurations refer to, a simulated cluster, and the servers started there. */
export interface ServerWorkspace {
  readonly dir: string;
  readonly sim: KubeApiSimulator;
  /** `remoteler-server start --config FILE` (HOME is the workspace); resolves with its "started" log line. */
  startConfigured(file: string): Promise<{ process: ServerProcess; started: Record<string, unknown> }>;
  /** Stops every server started here, the simulator, and removes the folder. */
  close(): Promise<void>;
}

/**
 * Makes a workspace: a seeded simulator that lets the Proxy's token impersonate and binds group
 * `developers` to `clusterRole`, with `sim-token` (0600), `sim-ca.pem` and `roles.yaml` written for
 * configurations to name.
 */
export async function startServerWorkspace(
  prefix: string,
  simToken: string,
  clusterRole: 'view' | 'edit' = 'view',
): Promise<ServerWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const sim = await KubeApiSimulator.start({
    seed: true,
    tokens: { [simToken]: { name: 'remoteler-proxy' } },
  });
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole(`developers-${clusterRole}`, clusterRole, { kind: 'Group', name: 'developers' });
  await writeFile(join(dir, 'sim-token'), `${simToken}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'sim-ca.pem'), sim.caPem);
  await writeFile(join(dir, 'roles.yaml'), DEVELOPER_ROLE_YAML);
  const processes: ServerProcess[] = [];
  return {
    dir,
    sim,
    async startConfigured(file) {
      const server = startServerProcess(['start', '--config', file], { HOME: dir });
      processes.push(server);
      const [line] = await server.waitFor(/^.*"msg":"remoteler-server started".*$/m);
      return { process: server, started: JSON.parse(line) };
    },
    async close() {
      await Promise.all(processes.map((p) => p.stop()));
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
