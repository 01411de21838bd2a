import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditEvent } from '@remoteler/core';
import {
  describeAuditSinkConformance,
  expectRemotelerError,
  sampleAuditEvents,
} from '@remoteler/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonLinesAuditSink } from '../src/index.js';

describeAuditSinkConformance('JsonLinesAuditSink', {
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'gw-audit-conf-'));
    const sink = await JsonLinesAuditSink.open({ path: join(dir, 'audit.jsonl') });
    return { sink, teardown: () => rm(dir, { recursive: true, force: true }) };
  },
});

async function lines(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

describe('JsonLinesAuditSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gw-audit-'));
  });
  afterEach(async () => {
    await chmod(dir, 0o700).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it('has every accepted event in the file, one JSON object per line, once emit resolved', async () => {
    const path = join(dir, 'audit.jsonl');
    const sink = await JsonLinesAuditSink.open({ path });
    const events = sampleAuditEvents(Date.parse('2026-01-01T00:00:00Z'));
    await Promise.all(events.map((event) => sink.emit(event)));
    expect(await lines(path)).toEqual(events);
    await sink.close();
  });

  it('creates the file 0600 in a new folder, and appends after a restart instead of truncating', async () => {
    const path = join(dir, 'state', 'audit.jsonl');
    const first = await JsonLinesAuditSink.open({ path });
    await first.emit(createAuditEvent('role.created', { user: 'admin', name: 'dev' }));
    await first.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const second = await JsonLinesAuditSink.open({ path });
    await second.emit(createAuditEvent('role.deleted', { user: 'admin', name: 'dev' }));
    await second.close();
    expect((await lines(path)).map((event) => (event as { type: string }).type)).toEqual([
      'role.created',
      'role.deleted',
    ]);
  });

  it('writes every pending event before close resolves', async () => {
    const path = join(dir, 'audit.jsonl');
    const sink = await JsonLinesAuditSink.open({ path, sync: false });
    const emits = Array.from({ length: 20 }, (_, index) =>
      sink.emit(createAuditEvent('role.created', { user: 'admin', name: `role-${index}` })),
    );
    await sink.close();
    await Promise.all(emits);
    expect(await lines(path)).toHaveLength(20);
    await expectRemotelerError(() => sink.flush(), 'RMT_AUDIT_SINK_CLOSED');
  });

  it('rejects the events of a failed write with a code instead of reporting them written', async () => {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    const sink = await JsonLinesAuditSink.open({ path: '/dev/full', sync: false });
    try {
      const error = await expectRemotelerError(
        () => sink.emit(createAuditEvent('role.created', { user: 'admin', name: 'dev' })),
        'RMT_AUDIT_SINK_WRITE_FAILED',
      );
      expect(error.details).toMatchObject({ path: '/dev/full', reason: 'ENOSPC' });
    } finally {
      await sink.close();
    }
  });

  it('refuses events beyond its pending limit instead of queueing without bound', async () => {
    const sink = await JsonLinesAuditSink.open({ path: join(dir, 'audit.jsonl'), maxPendingEvents: 2 });
    const event = () => createAuditEvent('role.created', { user: 'admin', name: 'dev' });
    // The first emit is taken by the writer at once; two more fill the queue.
    const accepted = [sink.emit(event()), sink.emit(event()), sink.emit(event())];
    await expectRemotelerError(() => sink.emit(event()), 'RMT_AUDIT_SINK_FULL');
    await Promise.all(accepted);
    await sink.close();
  });

  it('refuses to open a file it may not write, with a code and the path', async () => {
    if (process.getuid?.() === 0) {
      // root ignores file modes; a directory in place of the file fails for everyone.
      await expectRemotelerError(() => JsonLinesAuditSink.open({ path: dir }), 'RMT_AUDIT_SINK_WRITE_FAILED');
      return;
    }
    await chmod(dir, 0o500);
    await expectRemotelerError(
      () => JsonLinesAuditSink.open({ path: join(dir, 'audit.jsonl') }),
      'RMT_AUDIT_SINK_WRITE_FAILED',
    );
  });
});
