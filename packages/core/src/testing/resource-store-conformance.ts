import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceStore, ResourceWatchEvent, StoredResource } from '../contracts/resource-store.js';
import { compareCodePoints } from '../memory/compare-code-points.js';
import { expectRemotelerError } from './expect-code.js';

/** A fresh store for one test, and how to dispose of it. */
export interface ResourceStoreFixture<T extends StoredResource> {
  readonly store: ResourceStore<T>;
  /** Called after the test (after `store.close()`), e.g. to delete an etcd prefix. */
  teardown?(): Promise<void> | void;
}

/** Options for {@link describeResourceStoreConformance}. */
export interface ResourceStoreConformanceOptions<T extends StoredResource> {
  /** Returns a fresh, empty store; called before every test. */
  readonly create: () => Promise<ResourceStoreFixture<T>> | ResourceStoreFixture<T>;
  /**
   * A valid resource named `name`. Different `generation`s must give different content, so that
   * the suite can tell versions apart.
   */
  readonly makeResource: (name: string, generation: number) => T;
  /** A value with this name that the store's validator refuses (omit if it validates nothing but names). */
  readonly makeInvalid?: (name: string) => unknown;
  /** Whether the store's kind accepts non-ASCII names. Default true. */
  readonly unicodeNames?: boolean;
  /** How many concurrent writers the race tests use. Default 16. */
  readonly concurrency?: number;
}

/** Collects watch events and lets a test await a number of them (no sleeping). */
class EventLog<T extends StoredResource> {
  readonly events: Array<ResourceWatchEvent<T>> = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];
  readonly listener = (event: ResourceWatchEvent<T>) => {
    this.events.push(event);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.events.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };
  until(count: number): Promise<void> {
    if (this.events.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}

function describeEvent<T extends StoredResource>(event: ResourceWatchEvent<T>): string {
  return event.type === 'put'
    ? `put ${event.resource.metadata.name} (previous ${event.previous === undefined ? 'none' : 'some'})`
    : `delete ${event.name}`;
}

function withoutRevision<T extends StoredResource>(value: T): unknown {
  const { revision: _revision, ...metadata } = value.metadata;
  return { ...value, metadata };
}

/**
 * The behaviour every {@link ResourceStore} must have, as a vitest suite: CRUD, optimistic
 * concurrency with no half-applied writes, watch order, concurrent writers, unicode names and
 * closed-store behaviour. Run it from a test file of the implementation with a factory that
 * returns a fresh store.
 */
export function describeResourceStoreConformance<T extends StoredResource>(
  name: string,
  options: ResourceStoreConformanceOptions<T>,
): void {
  const make = options.makeResource;
  const concurrency = options.concurrency ?? 16;

  describe(`${name} (ResourceStore conformance)`, () => {
    let fixture: ResourceStoreFixture<T>;
    let store: ResourceStore<T>;

    beforeEach(async () => {
      fixture = await options.create();
      store = fixture.store;
    });

    afterEach(async () => {
      await store.close();
      await fixture.teardown?.();
    });

    describe('reading and writing', () => {
      it('creates a resource and returns it with a revision', async () => {
        const created = await store.create(make('alpha', 1));
        expect(created.metadata.name).toBe('alpha');
        expect(typeof created.metadata.revision).toBe('string');
        expect(created.metadata.revision).not.toBe('');
      });

      it('reads back exactly what create returned', async () => {
        const created = await store.create(make('alpha', 1));
        expect(await store.get('alpha')).toEqual(created);
      });

      it('answers undefined for a name it does not hold', async () => {
        expect(await store.get('missing')).toBeUndefined();
      });

      it('lists every resource sorted by name', async () => {
        for (const resourceName of ['delta', 'alpha', 'charlie', 'bravo'])
          await store.create(make(resourceName, 1));
        const names = (await store.list()).map((resource) => resource.metadata.name);
        expect(names).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
      });

      it('lists nothing when empty', async () => {
        expect(await store.list()).toEqual([]);
      });

      it('does not confuse names that share a prefix', async () => {
        for (const resourceName of ['dev', 'dev-1', 'dev2', 'de']) await store.create(make(resourceName, 1));
        expect((await store.get('dev'))?.metadata.name).toBe('dev');
        await store.delete('dev');
        expect((await store.list()).map((resource) => resource.metadata.name)).toEqual([
          'de',
          'dev-1',
          'dev2',
        ]);
      });

      it('ignores a revision that the caller put on a new resource', async () => {
        const input = make('alpha', 1);
        const forged = { ...input, metadata: { ...input.metadata, revision: '999999' } } as T;
        const created = await store.create(forged);
        // The store assigns revisions; a forged one must not become a valid expectedRevision by accident.
        await expect(store.get('alpha')).resolves.toEqual(created);
      });

      it('does not let callers change stored state by mutating objects', async () => {
        const input = make('alpha', 1) as T & { metadata: { labels?: Record<string, string> } };
        const created = await store.create(input);
        const snapshot = structuredClone(created);
        try {
          (input.metadata as { name: string }).name = 'changed';
          (created.metadata as { name: string }).name = 'changed';
          const read = await store.get('alpha');
          (read!.metadata as { name: string }).name = 'changed';
        } catch {
          // Frozen values are fine too: they cannot be mutated at all.
        }
        expect(await store.get('alpha')).toEqual(snapshot);
      });
    });

    describe('conflicts and errors', () => {
      it('refuses to create a name that exists and keeps the original', async () => {
        const original = await store.create(make('alpha', 1));
        await expectRemotelerError(() => store.create(make('alpha', 2)), 'RMT_STORE_ALREADY_EXISTS');
        expect(await store.get('alpha')).toEqual(original);
      });

      it('updates with the current revision and assigns a new one', async () => {
        const created = await store.create(make('alpha', 1));
        const updated = await store.update(make('alpha', 2), {
          expectedRevision: created.metadata.revision!,
        });
        expect(updated.metadata.revision).not.toBe(created.metadata.revision);
        expect(withoutRevision(updated)).not.toEqual(withoutRevision(created));
        expect(await store.get('alpha')).toEqual(updated);
      });

      it('refuses an update with a stale revision and changes nothing', async () => {
        const first = await store.create(make('alpha', 1));
        const second = await store.update(make('alpha', 2), { expectedRevision: first.metadata.revision! });
        await expectRemotelerError(
          () => store.update(make('alpha', 3), { expectedRevision: first.metadata.revision! }),
          'RMT_STORE_REVISION_CONFLICT',
        );
        expect(await store.get('alpha')).toEqual(second);
      });

      it('updates without an expected revision (last writer wins)', async () => {
        await store.create(make('alpha', 1));
        const updated = await store.update(make('alpha', 2));
        expect(await store.get('alpha')).toEqual(updated);
      });

      it('refuses to update a resource that does not exist', async () => {
        await expectRemotelerError(() => store.update(make('ghost', 1)), 'RMT_STORE_NOT_FOUND');
        expect(await store.get('ghost')).toBeUndefined();
      });

      it('upserts: creates when missing, updates when present', async () => {
        const created = await store.upsert(make('alpha', 1));
        const updated = await store.upsert(make('alpha', 2));
        expect(updated.metadata.revision).not.toBe(created.metadata.revision);
        expect(await store.get('alpha')).toEqual(updated);
      });

      it('refuses an upsert with a stale revision and changes nothing', async () => {
        const created = await store.create(make('alpha', 1));
        const updated = await store.upsert(make('alpha', 2), {
          expectedRevision: created.metadata.revision!,
        });
        await expectRemotelerError(
          () => store.upsert(make('alpha', 3), { expectedRevision: created.metadata.revision! }),
          'RMT_STORE_REVISION_CONFLICT',
        );
        expect(await store.get('alpha')).toEqual(updated);
      });

      it('deletes a resource, and refuses to delete a missing one', async () => {
        await store.create(make('alpha', 1));
        await store.delete('alpha');
        expect(await store.get('alpha')).toBeUndefined();
        await expectRemotelerError(() => store.delete('alpha'), 'RMT_STORE_NOT_FOUND');
      });

      it('refuses a delete with a stale revision and keeps the resource', async () => {
        const first = await store.create(make('alpha', 1));
        const second = await store.update(make('alpha', 2));
        await expectRemotelerError(
          () => store.delete('alpha', { expectedRevision: first.metadata.revision! }),
          'RMT_STORE_REVISION_CONFLICT',
        );
        expect(await store.get('alpha')).toEqual(second);
        await store.delete('alpha', { expectedRevision: second.metadata.revision! });
        expect(await store.get('alpha')).toBeUndefined();
      });

      it('never reuses a revision for a name deleted and created again', async () => {
        const first = await store.create(make('alpha', 1));
        await store.delete('alpha');
        const again = await store.create(make('alpha', 1));
        expect(again.metadata.revision).not.toBe(first.metadata.revision);
        await expectRemotelerError(
          () => store.update(make('alpha', 2), { expectedRevision: first.metadata.revision! }),
          'RMT_STORE_REVISION_CONFLICT',
        );
      });

      it('refuses names that are empty, contain "/" or control characters', async () => {
        for (const badName of ['', 'a/b', 'line\nbreak', 'nul\u0000', '..']) {
          await expectRemotelerError(() => store.create(make(badName, 1)), 'RMT_STORE_INVALID');
        }
        expect(await store.list()).toEqual([]);
      });

      if (options.makeInvalid) {
        const makeInvalid = options.makeInvalid;
        it('refuses an invalid resource with its problems and stores nothing', async () => {
          const error = await expectRemotelerError(
            () => store.create(makeInvalid('broken') as T),
            'RMT_STORE_INVALID',
          );
          expect(error.message.length).toBeGreaterThan(0);
          expect(await store.get('broken')).toBeUndefined();
        });

        it('refuses an invalid update and keeps the previous version', async () => {
          const created = await store.create(make('broken', 1));
          await expectRemotelerError(() => store.update(makeInvalid('broken') as T), 'RMT_STORE_INVALID');
          expect(await store.get('broken')).toEqual(created);
        });
      }
    });

    if (options.unicodeNames ?? true) {
      describe('unicode names', () => {
        it('stores, reads and deletes resources with non-ASCII names', async () => {
          const names = ['rôle-été', 'команда', '开发者', 'emoji-🚀'];
          for (const resourceName of names) await store.create(make(resourceName, 1));
          for (const resourceName of names)
            expect((await store.get(resourceName))?.metadata.name).toBe(resourceName);
          await store.delete('开发者');
          expect(await store.get('开发者')).toBeUndefined();
        });

        it('lists names in Unicode code point order (the UTF-8 byte order of key-value stores)', async () => {
          // U+FF5E sorts before U+1F680 by code point, but after it by UTF-16 code unit.
          const names = ['z', 'é', '\uFF5E', '🚀', 'a'];
          for (const resourceName of names) await store.create(make(resourceName, 1));
          const listed = (await store.list()).map((resource) => resource.metadata.name);
          expect(listed).toEqual([...names].sort(compareCodePoints));
          expect(listed).toEqual(['a', 'z', 'é', '\uFF5E', '🚀']);
        });
      });
    }

    describe('watch', () => {
      it('delivers puts and deletes in commit order, with previous values', async () => {
        const log = new EventLog<T>();
        const watch = store.watch(log.listener);
        const created = await store.create(make('alpha', 1));
        const updated = await store.update(make('alpha', 2));
        await store.create(make('bravo', 1));
        await store.delete('alpha');
        await log.until(4);
        watch.close();
        expect(log.events.map(describeEvent)).toEqual([
          'put alpha (previous none)',
          'put alpha (previous some)',
          'put bravo (previous none)',
          'delete alpha',
        ]);
        const [first, second, , fourth] = log.events;
        expect(first).toMatchObject({ type: 'put', resource: created });
        expect(second).toMatchObject({ type: 'put', resource: updated, previous: created });
        expect(fourth).toMatchObject({ type: 'delete', name: 'alpha', previous: updated });
      });

      it('delivers only the changes made after watch() was called', async () => {
        await store.create(make('before', 1));
        const log = new EventLog<T>();
        const watch = store.watch(log.listener);
        await store.create(make('after', 1));
        await log.until(1);
        watch.close();
        expect(log.events.map(describeEvent)).toEqual(['put after (previous none)']);
      });

      it('delivers nothing to a closed watch or one whose signal was aborted', async () => {
        const closed = new EventLog<T>();
        const aborted = new EventLog<T>();
        const witness = new EventLog<T>();
        const controller = new AbortController();
        const closedWatch = store.watch(closed.listener);
        store.watch(aborted.listener, { signal: controller.signal });
        const witnessWatch = store.watch(witness.listener);
        closedWatch.close();
        closedWatch.close();
        controller.abort();
        await store.create(make('alpha', 1));
        // The witness, opened at the same time, proves the change was delivered.
        await witness.until(1);
        witnessWatch.close();
        expect(closed.events).toEqual([]);
        expect(aborted.events).toEqual([]);
      });

      it('keeps delivering to a watcher whose listener threw', async () => {
        const seen: string[] = [];
        const log = new EventLog<T>();
        const watch = store.watch((event) => {
          log.listener(event);
          seen.push(describeEvent(event));
          if (seen.length === 1) throw new Error('listener bug (expected by the conformance suite)');
        });
        await store.create(make('alpha', 1));
        await store.create(make('bravo', 1));
        await log.until(2);
        watch.close();
        expect(seen).toEqual(['put alpha (previous none)', 'put bravo (previous none)']);
      });

      it('gives every watcher the same commit order when a listener writes from its callback', async () => {
        const writer = new EventLog<T>();
        const observer = new EventLog<T>();
        const watches = [
          store.watch((event) => {
            writer.listener(event);
            if (event.type === 'put' && event.resource.metadata.name === 'alpha')
              void store.create(make('bravo', 1));
          }),
          store.watch(observer.listener),
        ];
        await store.create(make('alpha', 1));
        await writer.until(2);
        await observer.until(2);
        for (const watch of watches) watch.close();
        expect(writer.events.map(describeEvent)).toEqual([
          'put alpha (previous none)',
          'put bravo (previous none)',
        ]);
        expect(observer.events.map(describeEvent)).toEqual(writer.events.map(describeEvent));
      });
    });

    describe('concurrent writers', () => {
      it('lets exactly one of many concurrent conditional updates win', async () => {
        const created = await store.create(make('contended', 0));
        const results = await Promise.allSettled(
          Array.from({ length: concurrency }, (_, index) =>
            store.update(make('contended', index + 1), { expectedRevision: created.metadata.revision! }),
          ),
        );
        const winners = results.filter((result) => result.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const result of results)
          if (result.status === 'rejected')
            expect(result.reason).toMatchObject({ code: 'RMT_STORE_REVISION_CONFLICT' });
        expect(await store.get('contended')).toEqual((winners[0] as PromiseFulfilledResult<T>).value);
      });

      it('lets exactly one of many concurrent creates of one name win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: concurrency }, (_, index) => store.create(make('contended', index))),
        );
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        for (const result of results)
          if (result.status === 'rejected')
            expect(result.reason).toMatchObject({ code: 'RMT_STORE_ALREADY_EXISTS' });
      });

      it('keeps every resource of many concurrent creates of distinct names', async () => {
        const names = Array.from(
          { length: concurrency },
          (_, index) => `item-${String(index).padStart(3, '0')}`,
        );
        await Promise.all(names.map((resourceName) => store.create(make(resourceName, 1))));
        expect((await store.list()).map((resource) => resource.metadata.name)).toEqual(names);
      });

      it('gives every committed write of a name a distinct revision', async () => {
        await store.create(make('counter', 0));
        const results = await Promise.all(
          Array.from({ length: concurrency }, (_, index) => store.update(make('counter', index + 1))),
        );
        expect(new Set(results.map((result) => result.metadata.revision)).size).toBe(concurrency);
      });
    });

    describe('close', () => {
      it('is idempotent', async () => {
        await store.close();
        await store.close();
      });

      it('fails every operation afterwards with RMT_STORE_CLOSED', async () => {
        await store.create(make('alpha', 1));
        await store.close();
        await expectRemotelerError(() => store.get('alpha'), 'RMT_STORE_CLOSED');
        await expectRemotelerError(() => store.list(), 'RMT_STORE_CLOSED');
        await expectRemotelerError(() => store.create(make('bravo', 1)), 'RMT_STORE_CLOSED');
        await expectRemotelerError(() => store.update(make('alpha', 2)), 'RMT_STORE_CLOSED');
        await expectRemotelerError(() => store.upsert(make('alpha', 2)), 'RMT_STORE_CLOSED');
        await expectRemotelerError(() => store.delete('alpha'), 'RMT_STORE_CLOSED');
        await expectRemotelerError(() => store.watch(() => {}), 'RMT_STORE_CLOSED');
      });

      it('ends open watches', async () => {
        const log = new EventLog<T>();
        const watch = store.watch(log.listener);
        await store.close();
        watch.close();
        expect(log.events).toEqual([]);
      });
    });
  });
}
