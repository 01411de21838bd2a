import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditSink } from '../contracts/audit-sink.js';
import { type AuditEvent, createAuditEvent } from '../types/audit-event.js';
import { expectRemotelerError } from './expect-code.js';
import { sampleAuditEvents } from './sample-audit-events.js';

/** A fresh sink for one test, and how to dispose of it. */
export interface AuditSinkFixture {
  readonly sink: AuditSink;
  teardown?(): Promise<void> | void;
}

/** Options for {@link describeAuditSinkConformance}. */
export interface AuditSinkConformanceOptions {
  /** Returns a fresh, empty sink; called before every test. */
  readonly create: () => Promise<AuditSinkFixture> | AuditSinkFixture;
}

const BASE = Date.parse('2026-01-01T00:00:00.000Z');

function requestEvent(user: string, at: number): AuditEvent {
  return createAuditEvent(
    'kube.request',
    {
      user,
      cluster: 'dev',
      method: 'GET',
      path: '/api',
      verb: 'get',
      allowed: true,
      status: 200,
      kubernetesUsers: [user],
      kubernetesGroups: ['system:authenticated'],
    },
    { now: at },
  );
}

/**
 * The behaviour every {@link AuditSink} must have: every event is either accepted or refused with
 * a code (never dropped), invalid envelopes are refused, closed sinks refuse, and, for sinks that
 * declare search, filtering, ordering and paging.
 */
export function describeAuditSinkConformance(name: string, options: AuditSinkConformanceOptions): void {
  describe(`${name} (AuditSink conformance)`, () => {
    let fixture: AuditSinkFixture;
    let sink: AuditSink;

    beforeEach(async () => {
      fixture = await options.create();
      sink = fixture.sink;
    });

    afterEach(async () => {
      await sink.close();
      await fixture.teardown?.();
    });

    it('declares search exactly when it has a search method', () => {
      expect(typeof sink.search === 'function').toBe(sink.capabilities.search);
      expect(typeof sink.capabilities.durable).toBe('boolean');
    });

    it('accepts one event of every type and flushes', async () => {
      for (const event of sampleAuditEvents(BASE)) await sink.emit(event);
      await sink.flush();
    });

    it('refuses an event whose code does not belong to its type', async () => {
      const event = { ...requestEvent('alice', BASE), code: 'R1000I' } as unknown as AuditEvent;
      await expectRemotelerError(() => sink.emit(event), 'RMT_AUDIT_EVENT_INVALID');
    });

    it('refuses an event without an id or with an unreadable time', async () => {
      await expectRemotelerError(
        () => sink.emit({ ...requestEvent('alice', BASE), id: '' }),
        'RMT_AUDIT_EVENT_INVALID',
      );
      await expectRemotelerError(
        () => sink.emit({ ...requestEvent('alice', BASE), time: 'yesterday' }),
        'RMT_AUDIT_EVENT_INVALID',
      );
    });

    it('refuses events after close instead of dropping them, and closes idempotently', async () => {
      await sink.close();
      await sink.close();
      await expectRemotelerError(() => sink.emit(requestEvent('alice', BASE)), 'RMT_AUDIT_SINK_CLOSED');
    });

    it('finds every event it accepted, oldest first (when it declares search)', async () => {
      if (!sink.search) return;
      const events = sampleAuditEvents(BASE, 1000);
      // Emitted out of time order: the sink orders by time, not arrival.
      for (const event of [...events].reverse()) await sink.emit(event);
      await sink.flush();
      const found = await sink.search({ limit: 1000 });
      expect(found.events.map((event) => event.id)).toEqual(events.map((event) => event.id));
      expect(found.events).toEqual(events);
      expect(found.nextCursor).toBeUndefined();
    });

    it('filters by type, user and time range, and orders newest first on request (when it declares search)', async () => {
      if (!sink.search) return;
      const events = [
        requestEvent('alice', BASE),
        requestEvent('bob', BASE + 1000),
        requestEvent('alice', BASE + 2000),
        createAuditEvent('role.created', { user: 'alice', name: 'dev' }, { now: BASE + 3000 }),
      ];
      for (const event of events) await sink.emit(event);
      await sink.flush();
      const ids = async (query: Parameters<NonNullable<AuditSink['search']>>[0]) =>
        (await sink.search!(query)).events.map((event) => event.id);
      expect(await ids({ user: 'alice', types: ['kube.request'] })).toEqual([events[0]!.id, events[2]!.id]);
      expect(
        await ids({ from: new Date(BASE + 1000).toISOString(), to: new Date(BASE + 3000).toISOString() }),
      ).toEqual([events[1]!.id, events[2]!.id]);
      expect(await ids({ order: 'desc' })).toEqual(events.map((event) => event.id).reverse());
    });

    it('pages through results with cursors, without gaps or repeats (when it declares search)', async () => {
      if (!sink.search) return;
      const events = Array.from({ length: 25 }, (_, index) => requestEvent(`user-${index}`, BASE + index));
      for (const event of events) await sink.emit(event);
      await sink.flush();
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await sink.search({ limit: 10, order, ...(cursor === undefined ? {} : { cursor }) });
          expect(page.events.length).toBeLessThanOrEqual(10);
          seen.push(...page.events.map((event) => event.id));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        const expected = events.map((event) => event.id);
        expect(seen).toEqual(order === 'asc' ? expected : expected.reverse());
      }
    });

    it('refuses a search with an invalid limit, range or cursor (when it declares search)', async () => {
      if (!sink.search) return;
      await expectRemotelerError(() => sink.search!({ limit: 0 }), 'RMT_AUDIT_SEARCH_INVALID');
      await expectRemotelerError(() => sink.search!({ limit: 100_000 }), 'RMT_AUDIT_SEARCH_INVALID');
      await expectRemotelerError(() => sink.search!({ from: 'not a time' }), 'RMT_AUDIT_SEARCH_INVALID');
      await expectRemotelerError(
        () => sink.search!({ from: new Date(BASE + 1).toISOString(), to: new Date(BASE).toISOString() }),
        'RMT_AUDIT_SEARCH_INVALID',
      );
      await expectRemotelerError(
        () => sink.search!({ cursor: '%%%not-a-cursor' }),
        'RMT_AUDIT_SEARCH_INVALID',
      );
    });

    it('accepts many concurrent emits and keeps them all (when it declares search)', async () => {
      const events = Array.from({ length: 50 }, (_, index) =>
        requestEvent('ünïcødé-用户', BASE + (index % 5)),
      );
      await Promise.all(events.map((event) => sink.emit(event)));
      await sink.flush();
      if (!sink.search) return;
      const found = await sink.search({ limit: 1000, user: 'ünïcødé-用户' });
      expect(new Set(found.events.map((event) => event.id))).toEqual(
        new Set(events.map((event) => event.id)),
      );
    });

    it('keeps what it stored when the caller mutates the event afterwards (when it declares search)', async () => {
      const event = requestEvent('alice', BASE) as AuditEvent & { user: string };
      await sink.emit(event);
      event.user = 'mallory';
      await sink.flush();
      if (!sink.search) return;
      expect((await sink.search({})).events[0]).toMatchObject({ user: 'alice' });
    });
  });
}
