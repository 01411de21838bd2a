import type { ProxyExchange } from './exchange.js';

interface OpenSession {
  readonly exchange: ProxyExchange;
  readonly end: () => void;
}

/**
 * The long exchanges in progress (watches, `logs -f`, exec/attach/port-forward sessions), so that
 * a new lock or a role change can end them instead of waiting for the client to leave. Owned by
 * one Proxy instance.
 */
export class OpenSessions {
  readonly #sessions = new Set<OpenSession>();

  /** Registers a session; `end` cuts it. Returns the function that unregisters it. */
  track(exchange: ProxyExchange, end: () => void): () => void {
    const session = { exchange, end };
    this.#sessions.add(session);
    return () => this.#sessions.delete(session);
  }

  /** Ends every session for which `shouldEnd` returns an error, recording that error on the exchange. */
  endWhere(shouldEnd: (exchange: ProxyExchange) => ProxyExchange['error'] | undefined): number {
    let ended = 0;
    for (const session of [...this.#sessions]) {
      const error = shouldEnd(session.exchange);
      if (!error) continue;
      session.exchange.error = error;
      this.#sessions.delete(session);
      session.end();
      ended++;
    }
    return ended;
  }

  get size(): number {
    return this.#sessions.size;
  }
}
