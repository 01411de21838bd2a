import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger, createShutdown, type SignalSource } from '../../src/ops/index.js';
import { captureLog } from './support/log-capture.js';

function setup(deadlineMs = 5_000) {
  const capture = captureLog();
  const logger = createLogger({ destination: capture.stream });
  const signals = new EventEmitter();
  const exits: number[] = [];
  let exited: (code: number) => void = () => {};
  const exitedOnce = new Promise<number>((resolve) => {
    exited = resolve;
  });
  const shutdown = createShutdown({
    deadlineMs,
    logger,
    signals: signals as unknown as SignalSource,
    exit: (code) => {
      exits.push(code);
      exited(code);
    },
  });
  return { shutdown, signals, exits, exitedOnce, capture };
}

describe('createShutdown', () => {
  it('runs the steps on SIGTERM in reverse order of adding, then exits 0', async () => {
    const { shutdown, signals, exitedOnce } = setup();
    const order: string[] = [];
    shutdown.add('store', () => {
      order.push('store');
    });
    shutdown.add('proxy', async () => {
      order.push('proxy');
    });
    shutdown.install();
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await exitedOnce).toBe(0);
    expect(order).toEqual(['proxy', 'store']);
    expect(shutdown.state).toBe('stopped');
  });

  it('runs once however many stop signals arrive', async () => {
    const { shutdown, signals, exits, exitedOnce } = setup();
    let runs = 0;
    shutdown.add('count', () => {
      runs++;
    });
    shutdown.install();
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    await exitedOnce;
    expect(await shutdown.run('again')).toMatchObject({ code: 0, reason: 'SIGTERM' });
    expect(runs).toBe(1);
    expect(exits).toEqual([0]);
  });

  it('exits 1 at once on a second SIGINT while draining (Ctrl-C twice), but not on a repeated SIGTERM', async () => {
    const { shutdown, signals, exits } = setup();
    let finish: () => void = () => {};
    shutdown.add(
      'slow drain',
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    shutdown.install();
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([]);
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([1]);
    finish();
    await shutdown.run();
    shutdown.uninstall();
  });

  it('exits 1 and logs RMT_OPS_SHUTDOWN_STEP_FAILED when a step throws, still running the others', async () => {
    const { shutdown, capture } = setup();
    const ran: string[] = [];
    shutdown.add('last', () => {
      ran.push('last');
    });
    shutdown.add('broken', () => {
      throw new Error('cannot close');
    });
    const result = await shutdown.run('test');
    expect(result).toMatchObject({ code: 1, failed: ['broken'], timedOut: false });
    expect(ran).toEqual(['last']);
    expect(capture.text).toContain('RMT_OPS_SHUTDOWN_STEP_FAILED');
  });

  it('forces the end at the deadline: aborts the steps, logs what was still running, exits 1', async () => {
    const { shutdown, capture } = setup(50);
    let aborted = false;
    shutdown.add('hangs', (signal) => {
      signal.addEventListener('abort', () => {
        aborted = true;
      });
      return new Promise<void>(() => {});
    });
    const result = await shutdown.run('test');
    expect(result).toMatchObject({ code: 1, timedOut: true, pending: ['hangs'] });
    expect(aborted).toBe(true);
    expect(capture.text).toContain('RMT_OPS_SHUTDOWN_DEADLINE_EXCEEDED');
  });

  it('runs the reload handlers on SIGHUP; a failing one is logged and the others still run', async () => {
    const { shutdown, signals, capture } = setup();
    const reloaded: string[] = [];
    let done: () => void = () => {};
    const second = new Promise<void>((resolve) => {
      done = resolve;
    });
    shutdown.onReload(() => {
      throw new Error('bad roles file');
    });
    shutdown.onReload(() => {
      reloaded.push('certificates');
      done();
    });
    shutdown.install();
    signals.emit('SIGHUP', 'SIGHUP');
    await second;
    await shutdown.reload();
    expect(reloaded.length).toBeGreaterThanOrEqual(1);
    expect(capture.text).toContain('RMT_OPS_RELOAD_FAILED');
    expect(shutdown.state).toBe('running');
  });

  it('leaves no handler behind after uninstall', () => {
    const { shutdown, signals } = setup();
    const before = ['SIGTERM', 'SIGINT', 'SIGHUP'].map((s) => signals.listenerCount(s));
    const uninstall = shutdown.install();
    shutdown.install();
    expect(signals.listenerCount('SIGTERM')).toBe(before[0]! + 1);
    uninstall();
    shutdown.uninstall();
    expect(['SIGTERM', 'SIGINT', 'SIGHUP'].map((s) => signals.listenerCount(s))).toEqual(before);
  });

  it('installs on the real process and removes itself again', () => {
    const capture = captureLog();
    const shutdown = createShutdown({
      logger: createLogger({ destination: capture.stream }),
      exit: () => {},
    });
    const before = process.listenerCount('SIGTERM');
    shutdown.install();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    shutdown.uninstall();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
