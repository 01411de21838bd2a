import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiSimulator, runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthStack, PASSWORD } from './support/auth-stack.js';
import { runRemoteler } from './support/run-remoteler.js';
import { startWebPortStack, WEB_API_MODES, type WebPortStack } from './support/simulated-proxy.js';

// One address for everything: `remoteler login --proxy <Proxy web port>` signs in through the web API
// the Proxy serves beside Kubernetes, and kubectl then uses the same host and port. Both ways of
// serving the web API are exercised: the Auth service in the Proxy's process (AuthWebApi), and a
// remote Auth service reached over mutual TLS with the Proxy's host certificate (createAuthForwarder).

const PROXY_TOKEN = 'remoteler-proxy-token';

describe.each(WEB_API_MODES)('login through the Proxy web port (%s)', (mode) => {
  let sim: KubeApiSimulator;
  let web: WebPortStack;
  let stack: AuthStack;
  let dir: string;
  let proxyAddress: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmt-web-port-'));
    sim = await KubeApiSimulator.start({
      seed: true,
      tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } },
    });
    sim.allowImpersonation('remoteler-proxy');
    sim.bindClusterRole('developers-edit', 'edit', { kind: 'Group', name: 'developers' });
    web = await startWebPortStack(mode, sim, PROXY_TOKEN);
    stack = web.stack;
    proxyAddress = web.address;
  });

  afterAll(async () => {
    await web?.close();
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs in, writes a kubeconfig naming the same address, and kubectl works through it', async () => {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, stack.hostCaPem);
    const kubeconfig = join(dir, 'config');
    const env = { REMOTELER_HOME: join(dir, 'home'), KUBECONFIG: kubeconfig, HOME: dir };
    const login = await runRemoteler(
      ['login', '--proxy', proxyAddress, '--user', 'alice', '--password-stdin', '--ca-file', caFile, 'dev-1'],
      env,
      PASSWORD,
    );
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(await readFile(kubeconfig, 'utf8')).toContain(`server: https://${proxyAddress}/k8s/dev-1`);

    const ls = await runRemoteler(['kube', 'ls', '--json'], env);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'dev-1' })]),
    );

    // The exec plugin gets its pinned certificate from the reissue endpoint, through the web port.
    const pods = await runKubectl('1.33', ['get', 'pods', '-n', 'default', '-o', 'name'], {
      kubeconfig,
      cacheDir: join(dir, 'cache'),
      env,
    });
    expect(pods.stderr).toBe('');
    expect(pods.code).toBe(0);
    const seen = sim.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/default/pods'));
    expect(seen.at(-1)?.user).toMatchObject({ name: 'alice' });
  });
});
