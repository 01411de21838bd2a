import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthStack, PASSWORD, startAuthStack } from './support/auth-stack.js';
import { runRemoteler } from './support/run-remoteler.js';

let stack: AuthStack;
let dir: string;

beforeAll(async () => {
  stack = await startAuthStack({ proxyKubeAddress: '127.0.0.1:3026' });
  dir = await mkdtemp(join(tmpdir(), 'rmt-client-pin-'));
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('--ca-pin', () => {
  it('logs in when the chain holds the pinned CA, and writes that CA into the kubeconfig', async () => {
    const ca = new X509Certificate(stack.hostCaPem);
    const pin = `sha256:${createHash('sha256').update(ca.raw).digest('hex')}`;
    const kubeconfig = join(dir, 'config');
    const env = { REMOTELER_HOME: join(dir, 'home'), KUBECONFIG: kubeconfig, HOME: dir };
    const login = await runRemoteler(
      ['login', '--proxy', stack.address, '--user', 'alice', '--password-stdin', '--ca-pin', pin],
      env,
      PASSWORD,
    );
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    const view = await runKubectl('1.33', ['config', 'view', '--raw', '-o', 'json'], {
      kubeconfig,
      cacheDir: join(dir, 'cache'),
    });
    const data = JSON.parse(view.stdout).clusters[0].cluster['certificate-authority-data'];
    expect(new X509Certificate(Buffer.from(data, 'base64')).fingerprint256).toBe(ca.fingerprint256);
    // Later calls (here: kube ls over mutual TLS) verify against the pinned CA too.
    expect((await runRemoteler(['kube', 'ls'], env)).code).toBe(0);
  });
});
