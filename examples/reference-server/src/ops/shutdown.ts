import { RemotelerError } from '@remoteler/core';
import type { RemotelerLogger } from './logger.js';

/** A shutdown step: stops one part. It gets a signal that aborts at the deadline (then: cut, don't wait). */
export type ShutdownStep = (signal: AbortSignal) => void | Promise<void>;

/** A reload handler: re-reads configuration, roles or certificates. */
export type ReloadHandler = () => void | Promise<void>;

/** The process-like object signals come from (default `process`); tests pass an EventEmitter. */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Options for {@link createShutdown}. */
export interface ShutdownOptions {
  /**
   * How long the whole shutdown may take, in ms. Default 25 000 (inside Kubernetes' default
   * 30 s `terminationGracePeriodSeconds`, so the process exits on its own before SIGKILL).
   */
  readonly deadlineMs?: number;
  readonly logger: RemotelerLogger;
  /** Called with the exit code once a signal-triggered shutdown ends. Default: flush the logger, then `process.exit`. */
  readonly exit?: (code: number) => void;
  /** Where signal handlers are installed. Default `process`. */
  readonly signals?: SignalSource;
}

/** How a shutdown went. */
export interface ShutdownResult {
  /** 0 when every step finished in time, 1 otherwise. */
  readonly code: 0 | 1;
  /** Why it started (`SIGTERM`, `SIGINT` or the reason given to `run`). */
  readonly reason: string;
  /** The deadline passed with steps still running. */
  readonly timedOut: boolean;
  /** Steps that threw. */
  readonly failed: readonly string[];
  /** Steps still running at the deadline. */
  readonly pending: readonly string[];
  readonly durationMs: number;
}

/** Lifecycle of the coordinator. */
export type ShutdownState = 'running' | 'stopping' | 'stopped';

/** Coordinates a graceful stop (SIGTERM/SIGINT) and reloads (SIGHUP) of one server. */
export interface Shutdown {
  /**
   * Adds a step. Steps run one after another in the reverse order of `add` (what was started last
   * stops first, as close() reverses construction). Returns the function that removes the step.
   */
  add(name: string, step: ShutdownStep): () => void;
  /** Adds a SIGHUP handler. Handlers run one after another; a failure is logged and the others still run. */
  onReload(handler: ReloadHandler): () => void;
  /** Installs the SIGTERM, SIGINT and SIGHUP handlers. Idempotent; returns {@link Shutdown.uninstall}. */
  install(): () => void;
  /** Removes the handlers `install` added. Idempotent. */
  uninstall(): void;
  /** Runs the steps (once: later calls return the same promise). Does not exit the process. */
  run(reason?: string): Promise<ShutdownResult>;
  /** Runs the reload handlers (as SIGHUP does); a reload asked for during one runs once more after it. */
  reload(): Promise<void>;
  readonly state: ShutdownState;
}

function validate(options: ShutdownOptions): void {
  const problems: string[] = [];
  const deadline = options?.deadlineMs;
  if (deadline !== undefined && (!Number.isInteger(deadline) || deadline < 1))
    problems.push('deadlineMs must be a positive integer');
  if (typeof options?.logger?.info !== 'function') problems.push('logger must be a logger');
  if (options?.exit !== undefined && typeof options.exit !== 'function')
    problems.push('exit must be a function');
  if (problems.length > 0)
    throw new RemotelerError('RMT_CONFIG_INVALID', `invalid shutdown options: ${problems.join('; ')}`, {
      details: { problems },
    });
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * A shutdown coordinator. On SIGTERM or SIGINT (once {@link Shutdown.install}ed) it runs the steps
 * (stop accepting, drain, end sessions, close stores…) within `deadlineMs`, logs the outcome and exits
 * 0; if a step throws it exits 1; if the deadline passes it aborts the steps' signal, logs
 * `RMT_OPS_SHUTDOWN_DEADLINE_EXCEEDED` with the steps still running and exits 1 at once. Further stop
 * signals while stopping are logged and ignored, except that SIGINT after SIGINT (Ctrl-C twice at a
 * terminal) exits 1 at once. SIGHUP runs the reload handlers.
 *
 * @throws RemotelerError `RMT_CONFIG_INVALID` for invalid options.
 */
export function createShutdown(options: ShutdownOptions): Shutdown {
  validate(options);
  const logger = options.logger;
  const deadlineMs = options.deadlineMs ?? 25_000;
  const source: SignalSource = options.signals ?? process;
  const exit =
    options.exit ??
    ((code: number) => {
      logger.flush?.();
      process.exit(code);
    });
  const steps: { readonly name: string; readonly step: ShutdownStep }[] = [];
  const reloaders = new Set<ReloadHandler>();
  let state: ShutdownState = 'running';
  let running: Promise<ShutdownResult> | undefined;
  let installed = false;

  const run = (reason = 'requested'): Promise<ShutdownResult> => {
    running ??= (async () => {
      state = 'stopping';
      const started = Date.now();
      logger.info({ reason, deadlineMs, steps: steps.map((s) => s.name).reverse() }, 'shutting down');
      const controller = new AbortController();
      const failed: string[] = [];
      const pending = new Set<string>();
      const order = [...steps].reverse();
      const work = (async () => {
        for (const { name, step } of order) {
          if (controller.signal.aborted) return;
          pending.add(name);
          const stepStarted = Date.now();
          try {
            await step(controller.signal);
            logger.info({ step: name, durationMs: Date.now() - stepStarted }, 'shutdown step done');
          } catch (error) {
            failed.push(name);
            logger.error(
              {
                err: new RemotelerError('RMT_OPS_SHUTDOWN_STEP_FAILED', `shutdown step "${name}" failed`, {
                  cause: error,
                }),
                step: name,
              },
              'shutdown step failed',
            );
          } finally {
            pending.delete(name);
          }
        }
      })();
      let timer: NodeJS.Timeout | undefined;
      // Not unref'd on purpose: the process must stay up until the deadline so that a step that
      // hangs without holding a handle is still reported (and the exit code is not a silent 0).
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), deadlineMs);
      });
      const outcome = await Promise.race([work.then(() => 'done' as const), deadline]);
      clearTimeout(timer);
      const timedOut = outcome === 'deadline';
      if (timedOut) {
        controller.abort(
          new RemotelerError(
            'RMT_OPS_SHUTDOWN_DEADLINE_EXCEEDED',
            `shutdown took longer than ${deadlineMs} ms`,
          ),
        );
        logger.error(
          {
            err: new RemotelerError(
              'RMT_OPS_SHUTDOWN_DEADLINE_EXCEEDED',
              `shutdown took longer than ${deadlineMs} ms; forcing exit`,
              { details: { pending: [...pending] } },
            ),
            pending: [...pending],
          },
          'shutdown deadline exceeded',
        );
      }
      const result: ShutdownResult = {
        code: timedOut || failed.length > 0 ? 1 : 0,
        reason,
        timedOut,
        failed,
        pending: timedOut ? [...pending] : [],
        durationMs: Date.now() - started,
      };
      state = 'stopped';
      logger[result.code === 0 ? 'info' : 'warn'](
        { code: result.code, durationMs: result.durationMs, failed, pending: result.pending },
        'shutdown finished',
      );
      return result;
    })();
    return running;
  };

  let reloading: Promise<void> | undefined;
  let reloadAgain = false;
  const reloadOnce = async () => {
    logger.info({ handlers: reloaders.size }, 'reloading');
    let failures = 0;
    for (const handler of [...reloaders]) {
      try {
        await handler();
      } catch (error) {
        failures++;
        logger.error(
          { err: new RemotelerError('RMT_OPS_RELOAD_FAILED', 'a reload handler failed', { cause: error }) },
          'reload failed; the previous configuration stays in force',
        );
      }
    }
    logger.info({ failures }, 'reload finished');
  };
  const reload = (): Promise<void> => {
    if (state !== 'running') return Promise.resolve();
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        reloadAgain = false;
        await reloadOnce();
      } while (reloadAgain && state === 'running');
    })().finally(() => {
      reloading = undefined;
    });
    return reloading;
  };

  let interrupted = false;
  const onStop = (signal: NodeJS.Signals) => {
    if (running) {
      // A second Ctrl-C is someone at a terminal who will not wait for the drain.
      if (signal === 'SIGINT' && interrupted && state === 'stopping') {
        logger.warn({ signal }, 'interrupted twice; exiting without waiting for the shutdown');
        exit(1);
        return;
      }
      if (signal === 'SIGINT') interrupted = true;
      logger.warn({ signal }, 'already shutting down; signal ignored');
      return;
    }
    if (signal === 'SIGINT') interrupted = true;
    void run(signal).then((result) => exit(result.code));
  };
  const onHangup = () => {
    void reload();
  };

  const uninstall = () => {
    if (!installed) return;
    installed = false;
    for (const signal of STOP_SIGNALS) source.off(signal, onStop);
    source.off('SIGHUP', onHangup);
  };

  return {
    add(name, step) {
      if (typeof name !== 'string' || name === '' || typeof step !== 'function')
        throw new RemotelerError('RMT_CONFIG_INVALID', 'a shutdown step needs a name and a function');
      const entry = { name, step };
      steps.push(entry);
      return () => {
        const index = steps.indexOf(entry);
        if (index >= 0) steps.splice(index, 1);
      };
    },
    onReload(handler) {
      if (typeof handler !== 'function')
        throw new RemotelerError('RMT_CONFIG_INVALID', 'a reload handler must be a function');
      // A wrapper, so that adding the same function twice makes two handlers, each removable.
      const entry: ReloadHandler = () => handler();
      reloaders.add(entry);
      return () => {
        reloaders.delete(entry);
      };
    },
    install() {
      if (!installed) {
        installed = true;
        for (const signal of STOP_SIGNALS) source.on(signal, onStop);
        source.on('SIGHUP', onHangup);
      }
      return uninstall;
    },
    uninstall,
    run,
    reload,
    get state() {
      return state;
    },
  };
}
