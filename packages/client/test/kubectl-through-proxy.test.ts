import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RemotelerProxy } from '@remoteler/proxy';
import { KubeApiSimulator, runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthStack, PASSWORD, startAuthStack } from './support/auth-stack.js';
import { runRemoteler } from './support/run-remoteler.js';
import { startSimulatedProxy } from './support/simulated-proxy.js';

// The whole path with real processes: `remoteler login` (password) writes the kubeconfig; real
// kubectl 1.33 runs `remoteler kube credentials` as its exec plugin and talks mutual TLS to the
// Remoteler Proxy, which forwards to the testkit API server simulator with impersonation.

const PROXY_TOKEN = 'remoteler-proxy-token';
let sim: KubeApiSimulator;
let proxy: RemotelerProxy;
let stack: AuthStack;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-client-proxy-'));
  sim = await KubeApiSimulator.start({ seed: true, tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } } });
  sim.allowImpersonation('remoteler-proxy');
  sim.bindClusterRole('developers-edit', 'edit', { kind: 'Group', name: 'developers' });
  stack = await startAuthStack({
    startProxy: async (parts) => {
      const started = await startSimulatedProxy(parts, sim, PROXY_TOKEN);
      proxy = started.proxy;
      return started.address;
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await proxy?.close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

// Each case runs remoteler and kubectl processes in sequence: generous on a busy 2-core machine.
describe('kubectl through the Proxy with remoteler credentials', { timeout: 120_000 }, () => {
  it('logs in, runs kubectl get pods through the Proxy, renews an expired certificate, switches clusters without a sign-in, and logs out', async () => {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, stack.hostCaPem);
    const kubeconfig = join(dir, 'config');
    const env = { REMOTELER_HOME: join(dir, 'home'), KUBECONFIG: kubeconfig, HOME: dir };
    const kubectl = (args: string[]) =>
      runKubectl('1.33', args, { kubeconfig, cacheDir: join(dir, 'cache'), env });

    const login = await runRemoteler(
      [
        'login',
        '--proxy',
        stack.address,
        '--user',
        'alice',
        '--password-stdin',
        '--ca-file',
        caFile,
        'dev-1',
      ],
      env,
      PASSWORD,
    );
    expect(login.stderr).toBe('');
    const pods = await kubectl(['get', 'pods', '-n', 'default', '-o', 'name']);
    expect(pods.stderr).toBe('');
    expect(pods.code).toBe(0);
    const dev = sim.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/default/pods'));
    expect(dev.at(-1)?.user).toMatchObject({ name: 'alice' });

    // An expired cached certificate makes the plugin reissue one (the login is still valid).
    const cachePath = join(dir, 'home', 'profiles', stack.address.replace(':', '_3a'), 'kube', 'dev-1.json');
    const cached = JSON.parse(await readFile(cachePath, 'utf8'));
    await writeFile(
      cachePath,
      JSON.stringify({ ...cached, notAfter: new Date(Date.now() - 1000).toISOString() }),
    );
    expect((await kubectl(['get', 'pods', '-n', 'default', '-o', 'name'])).code).toBe(0);
    const renewed = JSON.parse(await readFile(cachePath, 'utf8'));
    expect(renewed.certificatePem).not.toBe(cached.certificatePem);
    expect(Date.parse(renewed.notAfter)).toBeGreaterThan(Date.now());

    expect((await runRemoteler(['kube', 'login', 'staging-1'], env)).code).toBe(0);
    const again = await kubectl(['get', 'pods', '-n', 'default', '-o', 'name']);
    expect(again.code).toBe(0);

    expect((await runRemoteler(['logout'], env)).code).toBe(0);
    const after = await kubectl(['config', 'current-context']);
    expect(after.code).not.toBe(0);
  });

  it('--embed writes pinned certificates and the key into a 0600 kubeconfig that kubectl uses without the command', async () => {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, stack.hostCaPem);
    const kubeconfig = join(dir, 'embedded-config');
    const original = 'apiVersion: v1\nkind: Config\n# mine\npreferences: {}\n';
    await writeFile(kubeconfig, original, { mode: 0o644 });
    const env = { REMOTELER_HOME: join(dir, 'home-embed'), KUBECONFIG: kubeconfig, HOME: dir };
    const login = await runRemoteler(
      [
        'login',
        '--proxy',
        stack.address,
        '--user',
        'alice',
        '--password-stdin',
        '--ca-file',
        caFile,
        '--embed',
        'dev-1',
      ],
      env,
      PASSWORD,
    );
    expect(login.stderr).toBe('');
    const text = await readFile(kubeconfig, 'utf8');
    expect(text).not.toContain('exec:');
    expect(text).toContain('client-key-data:');
    expect((await stat(kubeconfig)).mode & 0o777).toBe(0o600);
    // kubectl alone: no remoteler on PATH.
    const pods = await runKubectl('1.33', ['get', 'pods', '-n', 'default', '-o', 'name'], {
      kubeconfig,
      cacheDir: join(dir, 'cache-embed'),
      env: { PATH: '/nonexistent' },
    });
    expect(pods.stderr).toBe('');
    expect(pods.code).toBe(0);
    expect((await runRemoteler(['logout'], env)).code).toBe(0);
    expect(await readFile(kubeconfig, 'utf8')).toBe(original);
  });
});
