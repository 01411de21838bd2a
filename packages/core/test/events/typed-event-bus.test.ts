import { createEventBus } from '@remoteler/core';
import { describe, expect, it } from 'vitest';

interface Events {
  [event: string]: unknown;
  started: { readonly id: number };
  stopped: { readonly reason: string };
}

describe('typed event bus', () => {
  it('delivers payloads to listeners in subscription order', () => {
    const bus = createEventBus<Events>();
    const seen: string[] = [];
    bus.on('started', ({ id }) => seen.push(`a${id}`));
    bus.on('started', ({ id }) => seen.push(`b${id}`));
    expect(bus.emit('started', { id: 1 })).toBe(true);
    expect(bus.emit('stopped', { reason: 'none listening' })).toBe(false);
    expect(seen).toEqual(['a1', 'b1']);
  });

  it('keeps instances apart: there is no global bus', () => {
    const first = createEventBus<Events>();
    const second = createEventBus<Events>();
    const seen: number[] = [];
    first.on('started', ({ id }) => seen.push(id));
    second.emit('started', { id: 2 });
    expect(seen).toEqual([]);
  });

  it('unsubscribes with the returned function, idempotently', () => {
    const bus = createEventBus<Events>();
    const seen: number[] = [];
    const off = bus.on('started', ({ id }) => seen.push(id));
    bus.emit('started', { id: 1 });
    off();
    off();
    bus.emit('started', { id: 2 });
    expect(seen).toEqual([1]);
    expect(bus.listenerCount('started')).toBe(0);
  });

  it('calls a once() listener a single time, even when it throws', () => {
    const errors: unknown[] = [];
    const bus = createEventBus<Events>({ onListenerError: (error) => errors.push(error) });
    let calls = 0;
    bus.once('started', () => {
      calls += 1;
      throw new Error('once');
    });
    bus.emit('started', { id: 1 });
    bus.emit('started', { id: 2 });
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('keeps calling the other listeners when one throws, and reports the error', () => {
    const reported: Array<[string, string]> = [];
    const bus = createEventBus<Events>({
      onListenerError: (error, event) => reported.push([event, (error as Error).message]),
    });
    const seen: number[] = [];
    bus.on('started', () => {
      throw new Error('faulty listener');
    });
    bus.on('started', ({ id }) => seen.push(id));
    expect(() => bus.emit('started', { id: 7 })).not.toThrow();
    expect(seen).toEqual([7]);
    expect(reported).toEqual([['started', 'faulty listener']]);
  });

  it('surfaces a listener error as an uncaught exception when no handler is configured', async () => {
    const bus = createEventBus<Events>();
    bus.on('stopped', () => {
      throw new Error('nobody handles me');
    });
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    bus.emit('stopped', { reason: 'test' });
    expect(((await uncaught) as Error).message).toBe('nobody handles me');
  });
});
