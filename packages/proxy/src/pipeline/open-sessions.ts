import { RemotelerError } from '@remoteler/core';
import type { ProxyExchange } from './exchange.js';

/**
 * Whether an open session may go on: the reason to end it (a lock, access a role change removed),
 * or undefined. `at` is the current time in milliseconds.
 */
export type SessionAccessCheck = (exchange: ProxyExchange, at: number) => RemotelerError | undefined;

export interface OpenSessionsOptions {
  /** Asked when a session opens, so a lock or role change since the authorize step is not missed. */
  readonly check?: SessionAccessCheck;
  /** The clock certificate expiry is measured against; `Date.now` by default. */
  readonly now?: () => number;
}

// setTimeout's largest delay (about 24.8 days).
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One long exchange (a watch, `logs -f`, an exec/attach/port-forward session) from the moment the
 * forward step takes it on until it finishes. It can be ended at any point of that life: before
 * its relay runs (then the forward step refuses it with the reason) or while it runs (then the
 * relay is cut).
 */
export class OpenSession {
  #cut: (() => void) | undefined;
  #endedBy: RemotelerError | undefined;
  #closed = false;
  readonly #release: () => void;

  constructor(
    readonly exchange: ProxyExchange,
    release: () => void,
  ) {
    this.#release = release;
  }

  /** Why the session was ended, if it was. */
  get endedBy(): RemotelerError | undefined {
    return this.#endedBy;
  }

  /**
   * Sets what cuts the session from now on (abort the pending upstream request, then destroy the
   * client connection once the relay runs). Throws the reason instead when the session has
   * already been ended, so the caller refuses the request rather than starting the relay.
   */
  cutWith(cut: () => void): void {
    if (this.#endedBy) throw this.#endedBy;
    this.#cut = cut;
  }

  /** Ends the session for `reason` (recorded as the exchange's error) and cuts it. Only the first reason counts. */
  end(reason: RemotelerError): void {
    if (this.#endedBy || this.#closed) return;
    this.#endedBy = reason;
    this.exchange.error = reason;
    this.#release();
    this.#cut?.();
  }

  /** The exchange finished: the session stops being tracked. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
  }
}

/**
 * The long exchanges in progress, so that a new lock, a role change or the certificate's expiry
 * ends them instead of waiting for the client to leave. Owned by one Proxy instance.
 *
 * A session is checked when it opens and pushed every change after that, so there is no window
 * between the authorize step's decision and the tracking in which a change could be missed.
 */
export class OpenSessions {
  readonly #sessions = new Set<OpenSession>();
  readonly #check: SessionAccessCheck | undefined;
  readonly #now: () => number;

  constructor(options: OpenSessionsOptions = {}) {
    this.#check = options.check;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts tracking a long exchange and arms its cut at certificate expiry. Throws (recording the
   * error on the exchange) when the check refuses it already; the caller must `close()` the
   * returned session when the exchange finishes.
   */
  open(exchange: ProxyExchange): OpenSession {
    const at = this.#now();
    const refusal = this.#check?.(exchange, at);
    if (refusal) {
      exchange.error = refusal;
      throw refusal;
    }
    let timer: NodeJS.Timeout | undefined;
    const session = new OpenSession(exchange, () => {
      this.#sessions.delete(session);
      if (timer) clearTimeout(timer);
    });
    this.#sessions.add(session);
    const notAfter = exchange.identity?.notAfter?.getTime();
    if (notAfter !== undefined) {
      // Longer than one timer can wait: wait in steps.
      const arm = (): void => {
        const left = notAfter - this.#now();
        timer =
          left > MAX_TIMER_MS
            ? setTimeout(arm, MAX_TIMER_MS)
            : setTimeout(
                () =>
                  session.end(
                    new RemotelerError(
                      'RMT_PROXY_CERTIFICATE_EXPIRED',
                      'your Remoteler certificate expired during the session',
                    ),
                  ),
                Math.max(left, 0),
              );
        timer.unref();
      };
      arm();
    }
    return session;
  }

  /** Ends every session for which `shouldEnd` returns a reason. Returns how many were ended. */
  endWhere(shouldEnd: (exchange: ProxyExchange) => RemotelerError | undefined): number {
    let ended = 0;
    for (const session of [...this.#sessions]) {
      const reason = shouldEnd(session.exchange);
      if (!reason) continue;
      session.end(reason);
      ended++;
    }
    return ended;
  }

  /** Ends every session the check now refuses (after a lock or role change). */
  recheck(): number {
    const check = this.#check;
    if (!check) return 0;
    const at = this.#now();
    return this.endWhere((exchange) => check(exchange, at));
  }

  get size(): number {
    return this.#sessions.size;
  }
}
