import { createPrivateKey, X509Certificate } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuthStack, PASSWORD, startAuthStack } from './support/auth-stack.js';
import { runRemoteler } from './support/run-remoteler.js';

const ORIGINAL = `apiVersion: v1
# my own clusters, do not touch
clusters:
- cluster:
    server: https://kind.local:6443
  name: kind
contexts:
- context:
    cluster: kind
    user: kind
  name: kind
current-context: kind
kind: Config
preferences: {}
users:
- name: kind
  user:
    token: abc   # a comment on a secret
`;

let stack: AuthStack;
let dir: string;
let env: Record<string, string>;
let kubeconfig: string;
let caFile: string;

beforeAll(async () => {
  stack = await startAuthStack({ proxyKubeAddress: '127.0.0.1:3026' });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-client-e2e-'));
  kubeconfig = join(dir, 'kube', 'config');
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, stack.hostCaPem);
  env = { REMOTELER_HOME: join(dir, 'home'), KUBECONFIG: kubeconfig, HOME: dir };
  return () => rm(dir, { recursive: true, force: true });
});

function loginArgs(...extra: string[]): string[] {
  return [
    'login',
    '--proxy',
    stack.address,
    '--user',
    'alice',
    '--password-stdin',
    '--ca-file',
    caFile,
    ...extra,
  ];
}

async function kubectl(args: string[]) {
  return runKubectl('1.33', args, { kubeconfig, cacheDir: join(dir, 'cache'), env });
}

describe('remoteler login, kube credentials and logout (real processes)', () => {
  it('logs in with a password and writes contexts kubectl sees, the chosen one current', async () => {
    await mkdir(join(dir, 'kube'));
    await writeFile(kubeconfig, ORIGINAL, { mode: 0o600 });
    const result = await runRemoteler(loginArgs('staging-1'), env, `${PASSWORD}\n`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Logged in as:  alice');
    const current = await kubectl(['config', 'current-context']);
    expect(current.stdout.trim()).toBe(`${stack.address}-staging-1`);
    const view = JSON.parse((await kubectl(['config', 'view', '-o', 'json'])).stdout);
    expect(view.contexts.map((c: { name: string }) => c.name).sort()).toEqual(
      [`${stack.address}-dev-1`, `${stack.address}-staging-1`, 'kind'].sort(),
    );
    const user = view.users.find((u: { name: string }) => u.name === `${stack.address}-dev-1`);
    expect(user.user.exec).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      args: ['kube', 'credentials', '--proxy', stack.address, '--cluster', 'dev-1'],
      interactiveMode: 'IfAvailable',
      provideClusterInfo: true,
    });
    const cluster = view.clusters.find((c: { name: string }) => c.name === `${stack.address}-dev-1`);
    expect(cluster.cluster.server).toBe('https://127.0.0.1:3026/k8s/dev-1');
  });

  it('stores the private key 0600 in a 0700 profile and never sends it: the certificate is for that key', async () => {
    expect((await runRemoteler(loginArgs(), env, PASSWORD)).code).toBe(0);
    const profileDir = join(env.REMOTELER_HOME as string, 'profiles', stack.address.replace(':', '_3a'));
    expect((await stat(env.REMOTELER_HOME as string)).mode & 0o777).toBe(0o700);
    expect((await stat(join(profileDir, 'key.pem'))).mode & 0o777).toBe(0o600);
    const key = await readFile(join(profileDir, 'key.pem'), 'utf8');
    const cert = new X509Certificate(await readFile(join(profileDir, 'cert.pem'), 'utf8'));
    expect(cert.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect((await stat(kubeconfig)).mode & 0o777).toBe(0o600);
  });

  it('kube credentials answers an ExecCredential with a certificate pinned to the cluster, then serves it from cache', async () => {
    expect((await runRemoteler(loginArgs(), env, PASSWORD)).code).toBe(0);
    const first = await runRemoteler(
      ['kube', 'credentials', '--proxy', stack.address, '--cluster', 'dev-1'],
      env,
    );
    expect(first.stderr).toBe('');
    const credential = JSON.parse(first.stdout);
    expect(credential).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
    });
    expect(credential.status.clientKeyData).toContain('PRIVATE KEY');
    expect(Date.parse(credential.status.expirationTimestamp)).toBeGreaterThan(Date.now());
    const decoded = await stack.decoder.decodeUserCertificate(credential.status.clientCertificateData);
    expect(decoded.identity.kubernetesCluster).toBe('dev-1');
    const second = await runRemoteler(
      ['kube', 'credentials', '--proxy', stack.address, '--cluster', 'dev-1'],
      env,
    );
    expect(JSON.parse(second.stdout).status.clientCertificateData).toBe(
      credential.status.clientCertificateData,
    );
  });

  it('refuses credentials for a cluster the roles do not allow, with an RMT code and the next step', async () => {
    expect((await runRemoteler(loginArgs(), env, PASSWORD)).code).toBe(0);
    const denied = await runRemoteler(
      ['kube', 'credentials', '--proxy', stack.address, '--cluster', 'prod-1'],
      env,
    );
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(/^RMT_CLIENT_CLUSTER_NOT_FOUND: .*remoteler kube ls/);
  });

  it('ten parallel credential calls reissue once and all get the same certificate', async () => {
    expect((await runRemoteler(loginArgs(), env, PASSWORD)).code).toBe(0);
    const runs = await Promise.all(
      Array.from({ length: 10 }, () =>
        runRemoteler(['kube', 'credentials', '--proxy', stack.address, '--cluster', 'staging-1'], env),
      ),
    );
    expect(runs.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    const certificates = new Set(runs.map((r) => JSON.parse(r.stdout).status.clientCertificateData));
    expect(certificates.size).toBe(1);
  });

  it('fails fast with RMT_CLIENT_LOGIN_REQUIRED when the login expired and kubectl is not interactive', async () => {
    expect((await runRemoteler(loginArgs('--ttl', '60s'), env, PASSWORD)).code).toBe(0);
    // Expiry without waiting: the profile says the login certificate ended a second ago.
    const home = env.REMOTELER_HOME as string;
    const profilePath = join(home, 'profiles', stack.address.replace(':', '_3a'), 'profile.json');
    const profile = JSON.parse(await readFile(profilePath, 'utf8'));
    await writeFile(
      profilePath,
      JSON.stringify({ ...profile, notAfter: new Date(Date.now() - 1000).toISOString() }),
    );
    const result = await runRemoteler(
      ['kube', 'credentials', '--proxy', stack.address, '--cluster', 'dev-1'],
      {
        ...env,
        KUBERNETES_EXEC_INFO: JSON.stringify({ kind: 'ExecCredential', spec: { interactive: false } }),
      },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('RMT_CLIENT_LOGIN_REQUIRED');
    expect(result.stderr).toContain(`remoteler login --proxy ${stack.address}`);
  });

  it('kube ls lists the allowed clusters with labels and marks the current one; kube login switches', async () => {
    expect((await runRemoteler(loginArgs('dev-1'), env, PASSWORD)).code).toBe(0);
    const ls = JSON.parse((await runRemoteler(['kube', 'ls', '--json'], env)).stdout);
    expect(ls).toEqual([
      expect.objectContaining({ name: 'dev-1', labels: { env: 'dev' }, selected: true }),
      expect.objectContaining({ name: 'staging-1', labels: { env: 'staging' }, selected: false }),
    ]);
    const switched = await runRemoteler(['kube', 'login', 'staging-1'], env);
    expect(switched.code).toBe(0);
    expect((await kubectl(['config', 'current-context'])).stdout.trim()).toBe(`${stack.address}-staging-1`);
    const status = JSON.parse((await runRemoteler(['status', '--json'], env)).stdout);
    expect(status[0]).toMatchObject({ username: 'alice', roles: ['developer'], currentCluster: 'staging-1' });
  });

  it('logout leaves the kubeconfig byte for byte as before login, also after repeated logins and a switch', async () => {
    await mkdir(join(dir, 'kube'));
    await writeFile(kubeconfig, ORIGINAL, { mode: 0o640 });
    expect((await runRemoteler(loginArgs('dev-1'), env, PASSWORD)).code).toBe(0);
    expect((await runRemoteler(loginArgs('dev-1'), env, PASSWORD)).code).toBe(0);
    expect((await runRemoteler(['kube', 'login', 'staging-1'], env)).code).toBe(0);
    const out = await runRemoteler(['logout'], env);
    expect(out.code).toBe(0);
    expect(await readFile(kubeconfig, 'utf8')).toBe(ORIGINAL);
    expect((await stat(kubeconfig)).mode & 0o777).toBe(0o640);
    expect((await kubectl(['config', 'current-context'])).stdout.trim()).toBe('kind');
    const status = await runRemoteler(['status'], env);
    expect(status.code).toBe(3);
  });

  it('logout through a symlinked kubeconfig restores the target byte for byte and keeps the symlink', async () => {
    await mkdir(join(dir, 'kube'));
    const target = join(dir, 'dotfiles-kubeconfig');
    await writeFile(target, ORIGINAL, { mode: 0o600 });
    await symlink(target, kubeconfig);
    expect((await runRemoteler(loginArgs('dev-1'), env, PASSWORD)).code).toBe(0);
    expect(await readFile(target, 'utf8')).toContain(`current-context: ${stack.address}-dev-1`);
    expect((await lstat(kubeconfig)).isSymbolicLink()).toBe(true);
    expect((await runRemoteler(['logout', '--proxy', stack.address], env)).code).toBe(0);
    expect(await readFile(target, 'utf8')).toBe(ORIGINAL);
    expect((await lstat(kubeconfig)).isSymbolicLink()).toBe(true);
  });

  it('refuses a proxy whose certificate does not verify, sending no password', async () => {
    const other = join(dir, 'other-ca.pem');
    await writeFile(other, stack.userCa.trustBundlePem());
    const result = await runRemoteler(
      ['login', '--proxy', stack.address, '--user', 'alice', '--password-stdin', '--ca-file', other],
      env,
      PASSWORD,
    );
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('RMT_CLIENT_PROXY_UNREACHABLE');
  });

  it('refuses a proxy that does not match --ca-pin before sending anything', async () => {
    const pin = `sha256:${'0'.repeat(64)}`;
    const result = await runRemoteler(
      ['login', '--proxy', stack.address, '--user', 'alice', '--password-stdin', '--ca-pin', pin],
      env,
      PASSWORD,
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^RMT_CLIENT_CA_PIN_MISMATCH: /);
  });

  it('says on every use of --insecure that nothing is verified', async () => {
    const result = await runRemoteler(
      ['login', '--proxy', stack.address, '--user', 'alice', '--password-stdin', '--insecure'],
      env,
      PASSWORD,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('--insecure: the proxy certificate is NOT verified');
    const view = JSON.parse((await kubectl(['config', 'view', '-o', 'json'])).stdout);
    expect(view.clusters[0].cluster['insecure-skip-tls-verify']).toBe(true);
  });

  it('answers usage errors with exit code 2 and RMT_CLIENT_USAGE, as JSON with --json', async () => {
    const plain = await runRemoteler(['login', '--user', 'alice'], env);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^RMT_CLIENT_USAGE: login needs --proxy/);
    const json = await runRemoteler(['kube', 'frobnicate', '--json'], env);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'RMT_CLIENT_USAGE', status: 400 } });
  });

  it('refuses a wrong password with the Auth code', async () => {
    const result = await runRemoteler(loginArgs(), env, 'wrong');
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^RMT_AUTH_/);
  });
});
