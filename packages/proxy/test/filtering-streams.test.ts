import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FilterableObject, ObjectFilter } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import { createListFilter, createWatchFilter, negotiateFilteredRequest } from '../src/index.js';

// Pods in team-a are visible, others hidden.
const TEAM_A: ObjectFilter = { needed: true, test: (o: FilterableObject) => o.namespace === 'team-a' };

const pod = (namespace: string, name: string) => ({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { namespace, name, annotations: { note: 'braces } ] { [ and "quotes" \\ and ünïcödé' } },
});

/** Runs a transform over `input` split into chunks of `size` bytes and returns the output text. */
async function run(transform: NodeJS.ReadWriteStream, input: string, size: number): Promise<string> {
  const bytes = Buffer.from(input);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    transform,
    new Writable({
      write(chunk, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out).toString('utf8');
}

const list = {
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '42', continue: 'token-2', remainingItemCount: 7 },
  items: [pod('team-a', 'a-0'), pod('team-b', 'b-0'), pod('team-a', 'a-1'), pod('team-b', 'b-1')],
};

describe('list filtering', () => {
  it.each([1, 2, 7, 64, 100_000])(
    'keeps only allowed items whatever the chunk size (%i bytes)',
    async (size) => {
      const output = JSON.parse(
        await run(createListFilter({ filter: TEAM_A }), JSON.stringify(list, null, 1), size),
      );
      expect(output.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
        'a-0',
        'a-1',
      ]);
      expect(output.items[0]).toEqual(pod('team-a', 'a-0'));
    },
  );

  it('passes metadata.continue and drops remainingItemCount, which would count hidden objects', async () => {
    const output = JSON.parse(await run(createListFilter({ filter: TEAM_A }), JSON.stringify(list), 5));
    expect(output.metadata).toEqual({ resourceVersion: '42', continue: 'token-2' });
    expect(output.kind).toBe('PodList');
  });

  it('filters Table rows by the metadata of their object and hides rows without one', async () => {
    const table = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '9' },
      columnDefinitions: [{ name: 'Name', type: 'string', format: 'name' }],
      rows: [
        {
          cells: ['a-0'],
          object: { kind: 'PartialObjectMetadata', metadata: { namespace: 'team-a', name: 'a-0' } },
        },
        {
          cells: ['b-0'],
          object: { kind: 'PartialObjectMetadata', metadata: { namespace: 'team-b', name: 'b-0' } },
        },
        { cells: ['no-object'] },
      ],
    };
    const output = JSON.parse(await run(createListFilter({ filter: TEAM_A }), JSON.stringify(table), 3));
    expect(output.rows.map((r: { cells: string[] }) => r.cells[0])).toEqual(['a-0']);
    expect(output.columnDefinitions).toEqual(table.columnDefinitions);
  });

  it('answers an empty list when nothing is allowed', async () => {
    const output = JSON.parse(
      await run(createListFilter({ filter: { needed: true, test: () => false } }), JSON.stringify(list), 9),
    );
    expect(output.items).toEqual([]);
  });

  it('fails instead of passing a truncated or malformed answer on', async () => {
    const text = JSON.stringify(list);
    await expect(
      run(createListFilter({ filter: TEAM_A }), text.slice(0, text.length - 20), 8),
    ).rejects.toMatchObject({ code: 'RMT_PROXY_FILTER_RESPONSE_INVALID' });
    await expect(run(createListFilter({ filter: TEAM_A }), '[1,2]', 8)).rejects.toMatchObject({
      code: 'RMT_PROXY_FILTER_RESPONSE_INVALID',
    });
  });

  it('holds at most one object in memory: a larger one is refused', async () => {
    await expect(
      run(createListFilter({ filter: TEAM_A, maxObjectBytes: 64 }), JSON.stringify(list), 16),
    ).rejects.toMatchObject({ code: 'RMT_PROXY_FILTER_RESPONSE_INVALID' });
  });
});

describe('watch filtering', () => {
  const events = [
    { type: 'ADDED', object: pod('team-a', 'a-0') },
    { type: 'ADDED', object: pod('team-b', 'b-0') },
    { type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '50' } } },
    { type: 'MODIFIED', object: pod('team-a', 'a-0') },
    { type: 'DELETED', object: pod('team-b', 'b-0') },
    {
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 },
    },
  ];
  const stream = events.map((e) => JSON.stringify(e)).join('\n');

  it.each([1, 3, 50, 100_000])(
    'passes allowed events, BOOKMARK and ERROR, one per line (%i-byte chunks)',
    async (size) => {
      const output = await run(createWatchFilter({ filter: TEAM_A }), `${stream}\n`, size);
      const lines = output.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((l) => JSON.parse(l).type)).toEqual(['ADDED', 'BOOKMARK', 'MODIFIED', 'ERROR']);
      expect(JSON.parse(lines[0]!)).toEqual(events[0]);
    },
  );

  it('splits on object boundaries, not lines (events without newlines between them)', async () => {
    const output = await run(
      createWatchFilter({ filter: TEAM_A }),
      events.map((e) => JSON.stringify(e)).join(''),
      4,
    );
    expect(output.trim().split('\n')).toHaveLength(4);
  });

  it('drops Table watch events whose row is hidden', async () => {
    const row = (namespace: string, name: string) => ({
      type: 'ADDED',
      object: {
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: '1' },
        rows: [{ cells: [name], object: { kind: 'PartialObjectMetadata', metadata: { namespace, name } } }],
      },
    });
    const input = [row('team-b', 'b-0'), row('team-a', 'a-0')].map((e) => JSON.stringify(e)).join('\n');
    const output = await run(createWatchFilter({ filter: TEAM_A }), input, 11);
    expect(
      output
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).object.rows[0].cells[0]),
    ).toEqual(['a-0']);
  });

  it('moves the column definitions of a dropped first Table event to the next event sent', async () => {
    const columnDefinitions = [{ name: 'Name', type: 'string', format: 'name' }];
    const event = (namespace: string, name: string, withColumns: boolean) => ({
      type: 'ADDED',
      object: {
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: '1' },
        ...(withColumns && { columnDefinitions }),
        rows: [{ cells: [name], object: { kind: 'PartialObjectMetadata', metadata: { namespace, name } } }],
      },
    });
    const input = [event('team-b', 'b-0', true), event('team-a', 'a-0', false), event('team-a', 'a-1', false)]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const output = (await run(createWatchFilter({ filter: TEAM_A }), input, 13)).trim().split('\n');
    expect(output.map((l) => JSON.parse(l).object.columnDefinitions)).toEqual([columnDefinitions, undefined]);
  });

  it('fails when the stream ends inside an event', async () => {
    await expect(run(createWatchFilter({ filter: TEAM_A }), stream.slice(0, -3), 10)).rejects.toMatchObject({
      code: 'RMT_PROXY_FILTER_RESPONSE_INVALID',
    });
  });

  it('respects backpressure: a client that reads nothing stops the upstream read', async () => {
    const filter = createWatchFilter({ filter: TEAM_A });
    const line = `${JSON.stringify(events[0])}\n`;
    let written = 0;
    // Write until the filter says stop; with no reader its buffers fill and write() returns false.
    while (filter.write(line)) written++;
    expect(written).toBeLessThan(10_000);
    filter.destroy();
  });
});

describe('negotiating a filterable answer', () => {
  it("keeps kubectl's Table Accept and asks for rows with metadata when includeObject=None", () => {
    const accept =
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    expect(negotiateFilteredRequest(accept, 'limit=500')).toEqual({
      accept,
      query: 'limit=500&includeObject=Metadata',
    });
    expect(negotiateFilteredRequest(accept, 'includeObject=None').query).toBe('includeObject=Metadata');
    expect(negotiateFilteredRequest(accept, 'includeObject=Object').query).toBe('includeObject=Object');
  });

  it('drops protobuf ranges, turns */* into JSON, and leaves plain JSON queries alone', () => {
    expect(negotiateFilteredRequest('application/vnd.kubernetes.protobuf, */*', 'watch=true').accept).toBe(
      'application/json',
    );
    expect(negotiateFilteredRequest(undefined, 'limit=1')).toEqual({
      accept: 'application/json',
      query: 'limit=1',
    });
  });

  it('refuses a client that accepts no JSON with RMT_PROXY_FILTER_UNSUPPORTED (406)', () => {
    expect(() => negotiateFilteredRequest('application/vnd.kubernetes.protobuf', '')).toThrow(
      expect.objectContaining({ code: 'RMT_PROXY_FILTER_UNSUPPORTED', status: 406 }),
    );
  });
});
