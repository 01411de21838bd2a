import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockStoreSource, type RemotelerProxy } from '@remoteler/proxy';
import { KubeApiSimulator, runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USER, type AuthStack, PASSWORD, startAuthStack } from './support/auth-stack.js';
import { runRemoteler } from './support/run-remoteler.js';
import { locksUntil, startSimulatedProxy } from './support/simulated-proxy.js';

// `remoteler admin lock` writes the lock through the Auth admin API; the Proxy follows the same lock
// store through its own LockStoreSource (as a replica watching shared storage would) and refuses the
// locked user's next kubectl request, although its certificate is still valid and cached by the exec
// plugin.

const PROXY_TOKEN = 'remoteler-proxy-token';
let sim: KubeApiSimulator;
let proxy: RemotelerProxy | undefined;
let locks: LockStoreSource | undefined;
let stack: AuthStack;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-admin-lock-'));
  sim = await KubeApiSimulator.start({ seed: true, tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } } });
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('developers-edit', 'edit', { kind: 'Group', name: 'developers' });
  stack = await startAuthStack({
    startProxy: async (parts) => {
      locks = await LockStoreSource.open(parts.locks);
      const started = await startSimulatedProxy(parts, sim, PROXY_TOKEN, locks);
      proxy = started.proxy;
      return started.address;
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await proxy?.close();
  locks?.close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('remoteler admin lock with kubectl through the Proxy', () => {
  it("refuses the locked user's next kubectl request with the lock's message; unlock restores access", {
    timeout: 120_000,
  }, async () => {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, stack.hostCaPem);
    const kubeconfig = join(dir, 'alice-kubeconfig');
    const alice = { REMOTELER_HOME: join(dir, 'alice'), KUBECONFIG: kubeconfig, HOME: dir };
    const admin = {
      REMOTELER_HOME: join(dir, 'admin'),
      KUBECONFIG: join(dir, 'admin-kubeconfig'),
      HOME: dir,
    };
    for (const [user, env] of [
      ['alice', alice],
      [ADMIN_USER, admin],
    ] as const) {
      const login = await runRemoteler(
        ['login', '--proxy', stack.address, '--user', user, '--password-stdin', '--ca-file', caFile],
        env,
        `${PASSWORD}\n`,
      );
      expect(login.stderr).toBe('');
    }
    const kubectl = () =>
      runKubectl('1.33', ['get', 'pods', '-n', 'default', '-o', 'name'], {
        kubeconfig,
        cacheDir: join(dir, 'cache'),
        env: alice,
      });
    const before = await kubectl();
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);

    const locked = await runRemoteler(
      ['admin', 'lock', '--user', 'alice', '--message', 'incident 42, ask #sre', '--json'],
      admin,
    );
    expect(locked.code).toBe(0);
    const name = JSON.parse(locked.stdout).metadata.name as string;
    await locksUntil(locks as LockStoreSource, (all) => all.some((l) => l.metadata.name === name));

    const refused = await kubectl();
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('incident 42, ask #sre');

    expect((await runRemoteler(['admin', 'unlock', name], admin)).code).toBe(0);
    await locksUntil(locks as LockStoreSource, (all) => all.every((l) => l.metadata.name !== name));
    const after = await kubectl();
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
  });
});
