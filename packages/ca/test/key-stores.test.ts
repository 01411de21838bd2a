import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCaKeyStore, MemoryCaKeyStore, X509CertificateAuthority } from '../src/index.js';
import { expectCode, fullIdentity, HOUR, tempDir, userKeyPair } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('rmt-ca-store-'));
});
afterEach(async () => {
  await cleanup();
});

const open = (keyStore: FileCaKeyStore | MemoryCaKeyStore, kind: 'user' | 'host' = 'user') =>
  X509CertificateAuthority.open({ kind, keyStore, clusterName: 'root.example.com' });

describe('FileCaKeyStore', () => {
  it('creates the directory 0700 and each key file 0600', async () => {
    const directory = join(dir, 'ca');
    const store = new FileCaKeyStore({ directory });
    await open(store, 'user');
    await open(store, 'host');
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    for (const name of ['user-ca.json', 'host-ca.json'])
      expect((await stat(join(directory, name))).mode & 0o777).toBe(0o600);
    // Atomic writes leave no temporary files behind.
    expect((await readdir(directory)).sort()).toEqual(['host-ca.json', 'user-ca.json']);
  });

  it('loads the same CA after a restart, and certificates it signed still verify', async () => {
    const directory = join(dir, 'ca');
    const first = await open(new FileCaKeyStore({ directory }));
    const issued = await first.issueUserCertificate({
      publicKey: { spki: userKeyPair().publicKeyPem },
      identity: fullIdentity(),
      ttlMs: HOUR,
      maxTtlMs: HOUR,
    });
    const second = await open(new FileCaKeyStore({ directory }));
    expect(second.signingCaId).toBe(first.signingCaId);
    expect(second.decodeUserIdentity(issued.certificatePem).caId).toBe(first.signingCaId);
  });

  it('refuses a key file that group or others can read', async () => {
    const directory = join(dir, 'ca');
    const store = new FileCaKeyStore({ directory });
    await open(store);
    for (const mode of [0o640, 0o604, 0o660]) {
      await chmod(store.pathOf('user'), mode);
      const error = await expectCode(() => store.load('user'), 'RMT_CA_KEY_FILE_PERMISSIONS');
      expect(error.message).toContain(mode.toString(8));
      expect(error.message).not.toContain('PRIVATE KEY');
    }
  });

  it('refuses a directory that others can write to', async () => {
    const directory = join(dir, 'ca');
    const store = new FileCaKeyStore({ directory });
    await open(store);
    await chmod(directory, 0o777);
    await expectCode(() => store.load('user'), 'RMT_CA_KEY_FILE_PERMISSIONS');
  });

  it('refuses a symbolic link in place of the key file', async () => {
    const directory = join(dir, 'ca');
    const store = new FileCaKeyStore({ directory });
    await open(store);
    const elsewhere = join(dir, 'elsewhere.json');
    await writeFile(elsewhere, await readFile(store.pathOf('user')), { mode: 0o600 });
    const { rm } = await import('node:fs/promises');
    await rm(store.pathOf('user'));
    await symlink(elsewhere, store.pathOf('user'));
    await expectCode(() => store.load('user'), 'RMT_CA_KEY_FILE_PERMISSIONS');
  });

  it('reports a damaged key file as corrupt', async () => {
    const directory = join(dir, 'ca');
    await mkdir(directory, { mode: 0o700 });
    const store = new FileCaKeyStore({ directory });
    await writeFile(store.pathOf('user'), '{ "privateKeyPem": "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG', {
      mode: 0o600,
    });
    const error = await expectCode(() => store.load('user'), 'RMT_CA_KEY_STORE_CORRUPT');
    // Nothing of the file's content reaches the message or the cause (both can end up in logs).
    expect(`${error.message} ${String(error.cause)}`).not.toContain('MIGHAgEA');
    await writeFile(store.pathOf('user'), JSON.stringify({ kind: 'user', keys: [] }), { mode: 0o600 });
    await expectCode(() => store.load('user'), 'RMT_CA_KEY_STORE_CORRUPT');
  });

  it('reports a key file whose certificate does not match its key as corrupt', async () => {
    const directory = join(dir, 'ca');
    const store = new FileCaKeyStore({ directory });
    await open(store, 'user');
    await open(new FileCaKeyStore({ directory: join(dir, 'other') }), 'user');
    const ours = JSON.parse(await readFile(store.pathOf('user'), 'utf8'));
    const theirs = JSON.parse(await readFile(join(dir, 'other', 'user-ca.json'), 'utf8'));
    ours.keys[0].certificatePem = theirs.keys[0].certificatePem;
    await writeFile(store.pathOf('user'), JSON.stringify(ours), { mode: 0o600 });
    await expectCode(() => open(store), 'RMT_CA_KEY_STORE_CORRUPT');
  });

  it('returns nothing for a CA that was never created', async () => {
    expect(await new FileCaKeyStore({ directory: join(dir, 'missing') }).load('host')).toBeUndefined();
  });
});

describe('MemoryCaKeyStore', () => {
  it('keeps user and host sets apart and returns frozen copies', async () => {
    const store = new MemoryCaKeyStore();
    const user = await open(store, 'user');
    const host = await open(store, 'host');
    const userSet = await store.load('user');
    expect(userSet?.signingKeyId).toBe(user.signingCaId);
    expect((await store.load('host'))?.signingKeyId).toBe(host.signingCaId);
    expect(Object.isFrozen(userSet)).toBe(true);
    expect(user.signingCaId).not.toBe(host.signingCaId);
  });

  it('refuses to store a malformed set', async () => {
    const store = new MemoryCaKeyStore();
    await expectCode(() => store.save({ kind: 'user' } as never), 'RMT_CA_KEY_STORE_CORRUPT');
  });

  it('reopens a CA from the same store, and refuses one of another cluster', async () => {
    const store = new MemoryCaKeyStore();
    const first = await open(store);
    expect((await open(store)).signingCaId).toBe(first.signingCaId);
    await expectCode(
      () => X509CertificateAuthority.open({ kind: 'user', keyStore: store, clusterName: 'other' }),
      'RMT_CONFIG_INVALID',
    );
  });
});

// The CaKeyStore contract, run against every implementation in this package. (A later etcd store
// should run the same specs; they belong in @remoteler/core/testing once that suite exists.)
describe.each([
  ['MemoryCaKeyStore', () => new MemoryCaKeyStore()],
  ['FileCaKeyStore', () => new FileCaKeyStore({ directory: join(dir, 'contract') })],
] as const)('%s honours the CaKeyStore contract', (_name, makeStore) => {
  async function sampleSet(kind: 'user' | 'host') {
    const source = new MemoryCaKeyStore();
    await X509CertificateAuthority.open({ kind, keyStore: source, clusterName: 'root.example.com' });
    return (await source.load(kind))!;
  }

  it('loads nothing before the first save, then exactly what was saved', async () => {
    const store = makeStore();
    expect(await store.load('user')).toBeUndefined();
    const { revision: _theirs, ...set } = await sampleSet('user');
    const saved = await store.save(set);
    expect(saved).toMatchObject(set);
    expect(await store.load('user')).toEqual(saved);
    expect(await store.load('host')).toBeUndefined();
  });

  it('replaces the set of one kind without touching the other', async () => {
    const store = makeStore();
    const user = await sampleSet('user');
    const host = await sampleSet('host');
    await store.save(user);
    const hostSaved = await store.save(host);
    const rotated = {
      ...user,
      phase: 'init' as const,
      keys: [...user.keys, (await sampleSet('user')).keys[0]!],
    };
    await store.save(rotated);
    expect(await store.load('user')).toMatchObject({ phase: 'init', keys: rotated.keys });
    expect(await store.load('host')).toEqual(hostSaved);
  });

  it('is not affected by later changes to the object it was given', async () => {
    const store = makeStore();
    const set = structuredClone(await sampleSet('user')) as { clusterName: string };
    await store.save(set as never);
    set.clusterName = 'changed';
    expect((await store.load('user'))?.clusterName).toBe('root.example.com');
  });

  it('refuses a set whose signing key it does not hold', async () => {
    const store = makeStore();
    const set = await sampleSet('user');
    await expectCode(
      () => store.save({ ...set, signingKeyId: 'user-0000000000000000' }),
      'RMT_CA_KEY_STORE_CORRUPT',
    );
  });

  it('creates only when nothing is stored, given expectedRevision null', async () => {
    const store = makeStore();
    const first = await store.save(await sampleSet('user'), { expectedRevision: null });
    await expectCode(() => store.save(first, { expectedRevision: null }), 'RMT_CA_KEY_STORE_CONFLICT');
    expect(await store.load('user')).toEqual(first);
  });

  it('replaces only the revision it was told, and gives every write a new revision', async () => {
    const store = makeStore();
    const first = await store.save(await sampleSet('user'));
    const second = await store.save({ ...first, phase: 'init' }, { expectedRevision: first.revision! });
    expect(second.revision).not.toBe(first.revision);
    await expectCode(
      () => store.save({ ...first, phase: 'update-clients' }, { expectedRevision: first.revision! }),
      'RMT_CA_KEY_STORE_CONFLICT',
    );
    expect((await store.load('user'))?.phase).toBe('init');
  });

  it('closes more than once', async () => {
    const store = makeStore();
    await store.close();
    await store.close();
  });
});
