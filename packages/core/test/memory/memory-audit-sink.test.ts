import { createAuditEvent, MemoryAuditSink, RemotelerError } from '@remoteler/core';
import {
  describeAuditSinkConformance,
  expectRemotelerError,
  sampleAuditEvents,
} from '@remoteler/core/testing';
import { describe, expect, it } from 'vitest';

describeAuditSinkConformance('MemoryAuditSink', { create: () => ({ sink: new MemoryAuditSink() }) });

describe('MemoryAuditSink', () => {
  it('refuses an event when full instead of dropping one', async () => {
    const sink = new MemoryAuditSink({ maxEvents: 2 });
    const [first, second, third] = sampleAuditEvents();
    await sink.emit(first!);
    await sink.emit(second!);
    const error = await expectRemotelerError(() => sink.emit(third!), 'RMT_AUDIT_SINK_FULL');
    expect(error.status).toBe(503);
    expect(sink.snapshot().map((event) => event.id)).toEqual([first!.id, second!.id]);
    await sink.close();
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new MemoryAuditSink({ maxEvents: 0 })).toThrow(RemotelerError);
  });

  it('keeps events of the same time in the order they were emitted', async () => {
    const sink = new MemoryAuditSink();
    const now = Date.parse('2026-01-01T00:00:00Z');
    const events = ['a', 'b', 'c'].map((name) =>
      createAuditEvent('role.created', { user: 'admin', name }, { now }),
    );
    for (const event of events) await sink.emit(event);
    expect(sink.snapshot().map((event) => (event as { name: string }).name)).toEqual(['a', 'b', 'c']);
    await sink.close();
  });
});
