import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeconfigPath, remotelerHome } from '../src/home.js';
import { type Profile, ProfileStore } from '../src/profile.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-home-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PROFILE: Profile = {
  version: 1,
  proxy: '127.0.0.1:3080',
  clusterName: 'root.test',
  username: 'alice',
  roles: ['developer'],
  notAfter: '2030-01-01T00:00:00.000Z',
  kubeAddress: '127.0.0.1:3026',
  trust: { caPem: 'PEM' },
  clusters: [],
};

describe('profile storage', () => {
  it('keeps one profile per proxy with a 0700 directory and 0600 files', async () => {
    const store = new ProfileStore(join(dir, 'home'));
    await store.save(PROFILE);
    await store.saveKeyPair(PROFILE.proxy, 'KEY', 'CERT');
    const paths = store.paths(PROFILE.proxy);
    expect((await stat(join(dir, 'home'))).mode & 0o777).toBe(0o700);
    expect((await stat(paths.dir)).mode & 0o777).toBe(0o700);
    for (const file of [paths.profile, paths.key, paths.certificate])
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await store.load(PROFILE.proxy)).toEqual(PROFILE);
    expect(await store.loadKeyPair(PROFILE.proxy)).toEqual({ keyPem: 'KEY', certificatePem: 'CERT' });
    expect(await readdir(paths.dir)).not.toContainEqual(expect.stringMatching(/\.tmp$/));
  });

  it('resolves the only profile without --proxy and refuses to guess among several', async () => {
    const store = new ProfileStore(dir);
    await expect(store.resolve(undefined)).rejects.toMatchObject({ code: 'RMT_CLIENT_NOT_LOGGED_IN' });
    await store.save(PROFILE);
    expect((await store.resolve(undefined)).proxy).toBe(PROFILE.proxy);
    await store.save({ ...PROFILE, proxy: '[::1]:3080' });
    await expect(store.resolve(undefined)).rejects.toMatchObject({ code: 'RMT_CLIENT_NOT_LOGGED_IN' });
    expect((await store.resolve('[::1]:3080')).proxy).toBe('[::1]:3080');
  });

  it('removes a profile with its key and cached credentials', async () => {
    const store = new ProfileStore(dir);
    await store.save(PROFILE);
    await store.saveKubeCredential(PROFILE.proxy, 'dev', { certificatePem: 'C', notAfter: PROFILE.notAfter });
    await store.remove(PROFILE.proxy);
    expect(await store.list()).toEqual([]);
  });

  it('finds home and kubeconfig from the environment', () => {
    expect(remotelerHome({ REMOTELER_HOME: '/r', HOME: '/h' })).toBe('/r');
    expect(remotelerHome({ HOME: '/h' })).toBe('/h/.remoteler');
    expect(kubeconfigPath({ KUBECONFIG: ':/a:/b', HOME: '/h' }, ':')).toBe('/a');
    expect(kubeconfigPath({ HOME: '/h' }, ':')).toBe('/h/.kube/config');
  });
});
