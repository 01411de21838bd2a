import {
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  type KubeCluster,
  type Lock,
  MemoryResourceStore,
  RemotelerError,
  type StoredResource,
  type User,
} from '@remoteler/core';
import { describeResourceStoreConformance } from '@remoteler/core/testing';
import { describe, expect, it } from 'vitest';

interface Note extends StoredResource {
  readonly kind: 'note';
  readonly metadata: { readonly name: string; readonly revision?: string };
  readonly spec: { readonly text: string };
}

const note = (name: string, generation: number): Note => ({
  kind: 'note',
  metadata: { name },
  spec: { text: `version ${generation}` },
});

describeResourceStoreConformance<Note>('MemoryResourceStore', {
  create: () => ({ store: new MemoryResourceStore<Note>({ kind: 'note' }) }),
  makeResource: note,
});

describeResourceStoreConformance<User>('memory user store', {
  create: () => ({ store: createMemoryUserStore() }),
  makeResource: (name, generation) => ({
    kind: 'user',
    version: 'v1',
    metadata: { name },
    spec: {
      type: 'local',
      roles: [`role-${generation}`],
      traits: { groups: ['devs'] },
      status: { state: 'active' },
    },
  }),
  makeInvalid: (name) => ({ kind: 'user', version: 'v1', metadata: { name }, spec: { type: 'robot' } }),
});

describeResourceStoreConformance<KubeCluster>('memory cluster store', {
  create: () => ({ store: createMemoryClusterStore() }),
  makeResource: (name, generation) => ({
    kind: 'kube_cluster',
    version: 'v1',
    metadata: { name, labels: { generation: String(generation) } },
    spec: {
      upstream: { type: 'token', server: 'https://127.0.0.1:6443', token: { file: '/etc/remoteler/token' } },
    },
  }),
  makeInvalid: (name) => ({
    kind: 'kube_cluster',
    version: 'v1',
    metadata: { name },
    spec: { upstream: { type: 'token', server: 'https://127.0.0.1:6443', token: 'inline-secret' } },
  }),
});

describeResourceStoreConformance<Lock>('memory lock store', {
  create: () => ({ store: createMemoryLockStore() }),
  makeResource: (name, generation) => ({
    kind: 'lock',
    version: 'v1',
    metadata: { name },
    spec: { target: { user: 'mallory' }, message: `locked ${generation}` },
  }),
  makeInvalid: (name) => ({
    kind: 'lock',
    version: 'v1',
    metadata: { name },
    spec: { target: { user: 'mallory', role: 'admin' } },
  }),
});

describe('MemoryResourceStore specifics', () => {
  it('assigns revisions that only grow', async () => {
    const store = new MemoryResourceStore<Note>({ kind: 'note' });
    const revisions: number[] = [];
    revisions.push(Number((await store.create(note('a', 1))).metadata.revision));
    revisions.push(Number((await store.update(note('a', 2))).metadata.revision));
    await store.delete('a');
    revisions.push(Number((await store.create(note('a', 3))).metadata.revision));
    expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
    expect(new Set(revisions).size).toBe(3);
    await store.close();
  });

  it("reports a watch listener's error on its event bus", async () => {
    const store = new MemoryResourceStore<Note>({ kind: 'note' });
    const reported: unknown[] = [];
    store.events.on('watch-listener-error', ({ kind, error }) =>
      reported.push([kind, (error as Error).message]),
    );
    store.watch(() => {
      throw new Error('boom');
    });
    await store.create(note('a', 1));
    expect(reported).toEqual([['note', 'boom']]);
    await store.close();
  });

  it("passes the validator's problems on as RMT_STORE_INVALID details", async () => {
    const store = createMemoryClusterStore();
    const error = await store
      .create({
        kind: 'kube_cluster',
        version: 'v1',
        metadata: { name: 'prod' },
        spec: { upstream: { type: 'token', server: 'http://10.0.0.1', token: 'hunter2' } },
      } as never)
      .catch((caught: unknown) => caught);
    expect(RemotelerError.hasCode(error, 'RMT_STORE_INVALID')).toBe(true);
    const problems = (error as RemotelerError).details?.problems as Array<{ path: string }>;
    expect(problems.map((problem) => problem.path)).toEqual(['spec.upstream.server', 'spec.upstream.token']);
    expect((error as RemotelerError).message).not.toContain('hunter2');
    await store.close();
  });
});
