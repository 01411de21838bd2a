import { afterEach, describe, expect, it } from 'vitest';
import type { ResourceStore, ResourceWatchEvent } from '../../src/contracts/resource-store.js';
import { MemoryRoleStore } from '../../src/memory/index.js';
import {
  type AccessCheckerProvider,
  createAccessCheckerProvider,
  type RolesChangedEvent,
} from '../../src/policy/index.js';
import type { Role } from '../../src/roles/index.js';
import { dev, request, role } from './fixtures.js';

const reader = role('reader', {
  kubernetes_labels: { '*': '*' },
  kubernetes_groups: ['viewers'],
  kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['get'] }],
});
const readerWithoutPods = role('reader', { kubernetes_labels: { '*': '*' }, kubernetes_groups: ['viewers'] });
const other = role('other', { kubernetes_labels: { env: 'none' } });
const alice = { username: 'alice', roles: ['reader'], traits: {} };
const getPod = request('GET', '/api/v1/namespaces/a/pods/web');

function nextChange(provider: AccessCheckerProvider): Promise<RolesChangedEvent> {
  return new Promise((resolve) => {
    const off = provider.onRolesChanged((event) => {
      off();
      resolve(event);
    });
  });
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(roles: Role[] = [reader]) {
  const store = new MemoryRoleStore();
  for (const r of roles) await store.create(r);
  const provider = await createAccessCheckerProvider({ roleStore: store });
  cleanups.push(
    () => store.close(),
    () => provider.close(),
  );
  return { store, provider };
}

describe('createAccessCheckerProvider', () => {
  it('builds checkers from the roles the store holds', async () => {
    const { provider } = await setup();
    expect(provider.forIdentity(alice).checkRequest(dev, getPod).allowed).toBe(true);
  });

  it('hands out the same checker for the same identity until its roles change', async () => {
    const { store, provider } = await setup([reader, other]);
    const first = provider.forIdentity(alice);
    expect(provider.forIdentity({ ...alice, traits: {} })).toBe(first);
    const changed = nextChange(provider);
    await store.upsert(other);
    await changed;
    expect(provider.forIdentity(alice)).toBe(first);
  });

  it('applies a role change to the next decision and names the changed role', async () => {
    const { store, provider } = await setup();
    const before = provider.forIdentity(alice);
    const changed = nextChange(provider);
    await store.upsert(readerWithoutPods);
    const event = await changed;
    expect(event.changedRoles).toEqual(['reader']);
    expect(event.generation).toBe(provider.generation);
    expect(provider.forIdentity(alice)).not.toBe(before);
    expect(provider.forIdentity(alice).checkRequest(dev, getPod).allowed).toBe(false);
  });

  it('revokes access when a role is deleted', async () => {
    const { store, provider } = await setup();
    const changed = nextChange(provider);
    await store.delete('reader');
    expect((await changed).changedRoles).toEqual(['reader']);
    expect(provider.forIdentity(alice).canAccessCluster(dev)).toBe(false);
  });

  it('lets a role that is missing from the store grant nothing, until it is created', async () => {
    const { store, provider } = await setup([]);
    expect(provider.forIdentity(alice).canAccessCluster(dev)).toBe(false);
    const changed = nextChange(provider);
    await store.create(reader);
    await changed;
    expect(provider.forIdentity(alice).checkRequest(dev, getPod).allowed).toBe(true);
  });

  it('stops following the store after close(), which is idempotent', async () => {
    const { store, provider } = await setup();
    provider.close();
    provider.close();
    const generation = provider.generation;
    await store.upsert(readerWithoutPods);
    expect(provider.generation).toBe(generation);
  });

  it('reports a throwing listener without stopping the others', async () => {
    const store = new MemoryRoleStore();
    const errors: unknown[] = [];
    const provider = await createAccessCheckerProvider({
      roleStore: store,
      onError: (e) => errors.push(e),
    });
    cleanups.push(
      () => store.close(),
      () => provider.close(),
    );
    provider.onRolesChanged(() => {
      throw new Error('listener bug');
    });
    const changed = nextChange(provider);
    await store.create(reader);
    await changed;
    expect(errors).toHaveLength(1);
  });

  it('treats a stored role that does not validate as missing and reports it', async () => {
    const broken = {
      ...reader,
      spec: { ...reader.spec, allow: { ...reader.spec.allow, kubernetes_labels: { env: '^(bad$' } } },
    } as Role;
    const store = new GatedStore([broken]);
    const errors: unknown[] = [];
    const starting = createAccessCheckerProvider({ roleStore: store, onError: (e) => errors.push(e) });
    store.release();
    const provider = await starting;
    cleanups.push(() => provider.close());
    expect(provider.role('reader')).toBeUndefined();
    expect(provider.forIdentity(alice).canAccessCluster(dev)).toBe(false);
    expect(errors).toEqual([expect.objectContaining({ code: 'RMT_ROLE_INVALID' })]);
  });

  it('replays changes that happen while the first list is running', async () => {
    const store = new GatedStore([reader]);
    const starting = createAccessCheckerProvider({ roleStore: store });
    await store.listStarted;
    store.emit({ type: 'put', resource: readerWithoutPods, previous: reader });
    store.release();
    const provider = await starting;
    cleanups.push(() => provider.close());
    expect(provider.forIdentity(alice).checkRequest(dev, getPod).allowed).toBe(false);
    expect(store.watchers).toBe(1);
    provider.close();
    expect(store.watchers).toBe(0);
  });

  it('closes its watch when the first list fails', async () => {
    const store = new GatedStore([reader], new Error('store down'));
    const starting = createAccessCheckerProvider({ roleStore: store });
    store.release();
    await expect(starting).rejects.toThrow('store down');
    expect(store.watchers).toBe(0);
  });
});

/** A store whose first list() waits for release(), to interleave a change with it. */
class GatedStore implements Pick<ResourceStore<Role>, 'list' | 'watch'> {
  readonly #listeners = new Set<(event: ResourceWatchEvent<Role>) => void>();
  #release!: () => void;
  #started!: () => void;
  readonly listStarted = new Promise<void>((resolve) => {
    this.#started = resolve;
  });
  readonly #gate = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  constructor(
    private readonly roles: Role[],
    private readonly failure?: Error,
  ) {}

  get watchers(): number {
    return this.#listeners.size;
  }

  release(): void {
    this.#release();
  }

  emit(event: ResourceWatchEvent<Role>): void {
    for (const listener of this.#listeners) listener(event);
  }

  async list(): Promise<Role[]> {
    this.#started();
    await this.#gate;
    if (this.failure) throw this.failure;
    return this.roles;
  }

  watch(listener: (event: ResourceWatchEvent<Role>) => void) {
    this.#listeners.add(listener);
    return { close: () => this.#listeners.delete(listener) };
  }
}
