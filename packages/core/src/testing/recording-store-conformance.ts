import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingStore } from '../contracts/recording-store.js';
import type { RecordingChunk, RecordingStart } from '../types/recording.js';
import { expectRemotelerError } from './expect-code.js';

/** A fresh recording store for one test, and how to dispose of it. */
export interface RecordingStoreFixture {
  readonly store: RecordingStore;
  teardown?(): Promise<void> | void;
}

/** Options for {@link describeRecordingStoreConformance}. */
export interface RecordingStoreConformanceOptions {
  /** Returns a fresh, empty store; called before every test. */
  readonly create: () => Promise<RecordingStoreFixture> | RecordingStoreFixture;
}

const encoder = new TextEncoder();

function start(sessionId: string, overrides: Partial<RecordingStart> = {}): RecordingStart {
  return {
    sessionId,
    cluster: 'dev',
    user: 'alice',
    namespace: 'default',
    pod: 'web-0',
    container: 'app',
    command: ['sh', '-c', 'echo hi'],
    tty: true,
    startedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function output(offsetMs: number, text: string): RecordingChunk {
  return { kind: 'stdout', offsetMs, data: encoder.encode(text) };
}

async function collect(chunks: AsyncIterable<RecordingChunk>): Promise<RecordingChunk[]> {
  const out: RecordingChunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

function normalize(chunks: readonly RecordingChunk[]): unknown[] {
  return chunks.map((chunk) => ('data' in chunk ? { ...chunk, data: [...chunk.data] } : { ...chunk }));
}

/**
 * The behaviour every {@link RecordingStore} must have: chunks read back in order with their
 * timing, metadata that adds up, ordered offsets enforced, finished recordings read-only, partial
 * recordings kept on abort, and closed-store behaviour.
 */
export function describeRecordingStoreConformance(
  name: string,
  options: RecordingStoreConformanceOptions,
): void {
  describe(`${name} (RecordingStore conformance)`, () => {
    let fixture: RecordingStoreFixture;
    let store: RecordingStore;

    beforeEach(async () => {
      fixture = await options.create();
      store = fixture.store;
    });

    afterEach(async () => {
      await store.close();
      await fixture.teardown?.();
    });

    it('reads back every chunk in order, and the metadata adds up', async () => {
      const chunks: RecordingChunk[] = [
        output(0, '$ '),
        { kind: 'stdin', offsetMs: 120, data: encoder.encode('ls\r') },
        { kind: 'resize', offsetMs: 130, columns: 120, rows: 40 },
        output(130, 'file-a  file-b\r\n'),
        { kind: 'stderr', offsetMs: 400, data: new Uint8Array([0, 255, 27, 91]) },
      ];
      const writer = await store.create(start('s-1'));
      expect(writer.sessionId).toBe('s-1');
      for (const chunk of chunks) await writer.write(chunk);
      const finished = await writer.finish({ endedAt: '2026-01-01T00:00:01.000Z', exitCode: 0 });
      expect(finished).toMatchObject({
        ...start('s-1'),
        status: 'complete',
        endedAt: '2026-01-01T00:00:01.000Z',
        exitCode: 0,
        chunks: 5,
        size: 2 + 3 + 16 + 4,
      });
      expect(await store.get('s-1')).toEqual(finished);
      expect(normalize(await collect(await store.read('s-1')))).toEqual(normalize(chunks));
    });

    it('streams a long recording back in order', async () => {
      const writer = await store.create(start('long'));
      for (let index = 0; index < 2000; index += 1) await writer.write(output(index, `line ${index}\n`));
      await writer.finish({ endedAt: '2026-01-01T00:01:00.000Z' });
      let expected = 0;
      for await (const chunk of await store.read('long')) {
        expect(chunk.offsetMs).toBe(expected);
        expected += 1;
      }
      expect(expected).toBe(2000);
    });

    it('keeps its own copy of the bytes written', async () => {
      const writer = await store.create(start('copy'));
      const buffer = encoder.encode('secret?');
      await writer.write({ kind: 'stdout', offsetMs: 0, data: buffer });
      buffer.fill(0);
      await writer.finish({ endedAt: '2026-01-01T00:00:01.000Z' });
      const [chunk] = await collect(await store.read('copy'));
      expect(new TextDecoder().decode((chunk as { data: Uint8Array }).data)).toBe('secret?');
    });

    it('keeps unicode users and commands intact', async () => {
      const writer = await store.create(
        start('unicode', { user: 'zoë-用户', command: ['echo', 'héllo 🚀'] }),
      );
      await writer.finish({ endedAt: '2026-01-01T00:00:01.000Z' });
      expect(await store.get('unicode')).toMatchObject({ user: 'zoë-用户', command: ['echo', 'héllo 🚀'] });
    });

    it('refuses a second recording for the same session id', async () => {
      await store.create(start('dup'));
      await expectRemotelerError(() => store.create(start('dup')), 'RMT_RECORDING_EXISTS');
    });

    it('refuses incomplete metadata and records nothing', async () => {
      const { pod: _pod, ...withoutPod } = start('bad');
      await expectRemotelerError(() => store.create(withoutPod as RecordingStart), 'RMT_RECORDING_INVALID');
      await expectRemotelerError(
        () => store.create(start('bad', { startedAt: 'yesterday' })),
        'RMT_RECORDING_INVALID',
      );
      expect(await store.get('bad')).toBeUndefined();
    });

    it('refuses a chunk whose offset goes back in time, and appends nothing', async () => {
      const writer = await store.create(start('order'));
      await writer.write(output(100, 'a'));
      await expectRemotelerError(() => writer.write(output(99, 'b')), 'RMT_RECORDING_CHUNK_INVALID');
      await expectRemotelerError(() => writer.write(output(-1, 'b')), 'RMT_RECORDING_CHUNK_INVALID');
      await writer.write(output(100, 'c'));
      await writer.finish({ endedAt: '2026-01-01T00:00:01.000Z' });
      expect((await collect(await store.read('order'))).map((chunk) => chunk.offsetMs)).toEqual([100, 100]);
      expect(await store.get('order')).toMatchObject({ chunks: 2, size: 2 });
    });

    it('is read-only once finished', async () => {
      const writer = await store.create(start('done'));
      await writer.finish({ endedAt: '2026-01-01T00:00:01.000Z' });
      await expectRemotelerError(() => writer.write(output(0, 'late')), 'RMT_RECORDING_FINISHED');
      await expectRemotelerError(
        () => writer.finish({ endedAt: '2026-01-01T00:00:02.000Z' }),
        'RMT_RECORDING_FINISHED',
      );
      await writer.abort('2026-01-01T00:00:03.000Z');
      expect(await store.get('done')).toMatchObject({
        status: 'complete',
        endedAt: '2026-01-01T00:00:01.000Z',
      });
    });

    it('keeps what was written when a recording is aborted', async () => {
      const writer = await store.create(start('cut'));
      await writer.write(output(0, 'partial'));
      await writer.abort('2026-01-01T00:00:05.000Z');
      await writer.abort('2026-01-01T00:00:06.000Z');
      expect(await store.get('cut')).toMatchObject({ status: 'aborted', chunks: 1, size: 7 });
      expect(await collect(await store.read('cut'))).toHaveLength(1);
      await expectRemotelerError(() => writer.write(output(1, 'more')), 'RMT_RECORDING_FINISHED');
    });

    it('keeps concurrent recordings apart', async () => {
      const writers = await Promise.all(['p-1', 'p-2', 'p-3'].map((id) => store.create(start(id))));
      for (let step = 0; step < 20; step += 1)
        await Promise.all(
          writers.map((writer) => writer.write(output(step, `${writer.sessionId}:${step};`))),
        );
      await Promise.all(writers.map((writer) => writer.finish({ endedAt: '2026-01-01T00:00:01.000Z' })));
      for (const writer of writers) {
        const text = (await collect(await store.read(writer.sessionId)))
          .map((chunk) => new TextDecoder().decode((chunk as { data: Uint8Array }).data))
          .join('');
        expect(text).toBe(Array.from({ length: 20 }, (_, step) => `${writer.sessionId}:${step};`).join(''));
      }
    });

    it('lists recordings oldest first and filters them', async () => {
      await store.create(start('late', { startedAt: '2026-01-03T00:00:00.000Z', user: 'bob' }));
      const early = await store.create(
        start('early', { startedAt: '2026-01-01T00:00:00.000Z', cluster: 'prod' }),
      );
      await store.create(start('middle', { startedAt: '2026-01-02T00:00:00.000Z' }));
      await early.finish({ endedAt: '2026-01-01T00:10:00.000Z' });
      const ids = async (query?: Parameters<RecordingStore['list']>[0]) =>
        (await store.list(query)).map((meta) => meta.sessionId);
      expect(await ids()).toEqual(['early', 'middle', 'late']);
      expect(await ids({ user: 'bob' })).toEqual(['late']);
      expect(await ids({ cluster: 'prod' })).toEqual(['early']);
      expect(await ids({ status: 'recording' })).toEqual(['middle', 'late']);
    });

    it('answers undefined for an unknown session and refuses to read it', async () => {
      expect(await store.get('nope')).toBeUndefined();
      await expectRemotelerError(() => store.read('nope'), 'RMT_RECORDING_NOT_FOUND');
    });

    it('refuses everything after close, including open writers, and closes idempotently', async () => {
      const writer = await store.create(start('open'));
      await store.close();
      await store.close();
      await expectRemotelerError(() => store.create(start('new')), 'RMT_RECORDING_STORE_CLOSED');
      await expectRemotelerError(() => store.get('open'), 'RMT_RECORDING_STORE_CLOSED');
      await expectRemotelerError(() => store.list(), 'RMT_RECORDING_STORE_CLOSED');
      await expectRemotelerError(() => store.read('open'), 'RMT_RECORDING_STORE_CLOSED');
      await expectRemotelerError(() => writer.write(output(0, 'x')), 'RMT_RECORDING_STORE_CLOSED');
    });
  });
}
