import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl } from '@remoteler/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addKubeconfigEntries, removeKubeconfigEntries } from '../src/kubeconfig/kubeconfig-edit.js';
import { updateKubeconfigFile } from '../src/kubeconfig/kubeconfig-file.js';

const PROXY = '127.0.0.1:3080';
const ORIGINAL = `apiVersion: v1
# keep me
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
users:
- name: kind
  user:
    token: abc
`;

const ENTRY = {
  name: `${PROXY}-dev`,
  cluster: { server: 'https://127.0.0.1:3026/k8s/dev' },
  user: {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: 'remoteler',
      args: ['kube', 'credentials', '--proxy', PROXY, '--cluster', 'dev'],
      interactiveMode: 'IfAvailable',
      provideClusterInfo: true,
    },
  },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function login(path: string) {
  return updateKubeconfigFile(path, ({ source, isNew }) => {
    const r = addKubeconfigEntries(source, [ENTRY], {
      proxy: PROXY,
      path,
      select: ENTRY.name,
      fileIsNew: isNew,
    });
    return { source: r.source, result: r.state };
  });
}

describe('kubeconfig file updates', () => {
  it('writes through a symlink, keeps the mode, and logout restores the target byte for byte', async () => {
    const target = join(dir, 'real-config');
    const link = join(dir, 'config');
    await writeFile(target, ORIGINAL, { mode: 0o640 });
    await symlink(target, link);
    const state = await login(link);
    expect((await stat(link)).isFile()).toBe(true);
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    expect(await readFile(target, 'utf8')).toContain(`current-context: ${ENTRY.name}`);
    await updateKubeconfigFile(link, ({ source }) => ({
      source: removeKubeconfigEntries(source, state, PROXY),
      result: 0,
    }));
    expect(await readFile(target, 'utf8')).toBe(ORIGINAL);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('creates a new kubeconfig 0600 and logout deletes it again', async () => {
    const path = join(dir, 'nested', 'config');
    const state = await login(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await updateKubeconfigFile(path, ({ source }) => ({
      source: removeKubeconfigEntries(source, state, PROXY),
      result: 0,
    }));
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("waits for kubectl's <file>.lock and fails with RMT_CLIENT_KUBECONFIG_LOCKED when it is never released", async () => {
    const path = join(dir, 'config');
    await writeFile(`${path}.lock`, '');
    await expect(
      updateKubeconfigFile(path, () => ({ source: 'x', result: 0 }), { lockTimeoutMs: 50 }),
    ).rejects.toMatchObject({ code: 'RMT_CLIENT_KUBECONFIG_LOCKED' });
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('releases the lock after writing', async () => {
    const path = join(dir, 'config');
    await login(path);
    await expect(stat(`${path}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('produces entries kubectl 1.33 reads: config view shows them and current-context names ours', async () => {
    const path = join(dir, 'config');
    await writeFile(path, ORIGINAL, { mode: 0o600 });
    await login(path);
    const cacheDir = join(dir, 'cache');
    const current = await runKubectl('1.33', ['config', 'current-context'], { kubeconfig: path, cacheDir });
    expect(current.stdout.trim()).toBe(ENTRY.name);
    const view = await runKubectl('1.33', ['config', 'view', '-o', 'json'], { kubeconfig: path, cacheDir });
    expect(view.code).toBe(0);
    const config = JSON.parse(view.stdout);
    const user = config.users.find((u: { name: string }) => u.name === ENTRY.name);
    expect(user.user.exec).toMatchObject({
      apiVersion: 'client.authentication.k8s.io/v1',
      interactiveMode: 'IfAvailable',
      provideClusterInfo: true,
    });
    expect(config.contexts.map((c: { name: string }) => c.name).sort()).toEqual([ENTRY.name, 'kind'].sort());
  });
});
