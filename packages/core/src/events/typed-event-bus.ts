import { EventEmitter } from 'eventemitter3';

/** Event names mapped to the payload their listeners receive (one argument per event). */
export type EventMap = { readonly [event: string]: unknown };

/** A listener of event `K`. */
export type EventListener<E extends EventMap, K extends keyof E> = (payload: E[K]) => void;

/**
 * A typed publish/subscribe channel owned by one component instance (never global). Built on
 * eventemitter3, which is fast for the few-listener case and, unlike node:events, has no special
 * `error` event that throws when nobody listens.
 */
export interface TypedEventBus<E extends EventMap> {
  /** Adds a listener; returns a function that removes it (idempotent). */
  on<K extends keyof E & string>(event: K, listener: EventListener<E, K>): () => void;
  /** Adds a listener that is removed after its first call; returns a function that removes it. */
  once<K extends keyof E & string>(event: K, listener: EventListener<E, K>): () => void;
  /** Removes a listener added with `on()` (remove a `once()` listener with the function `once()` returned). */
  off<K extends keyof E & string>(event: K, listener: EventListener<E, K>): void;
  /**
   * Calls every listener of `event` in subscription order. A listener that throws does not stop
   * the others; its error goes to the bus's `onListenerError`. Returns whether anyone listened.
   */
  emit<K extends keyof E & string>(event: K, payload: E[K]): boolean;
  listenerCount(event: keyof E & string): number;
  /** Removes every listener (of one event, or of all). */
  removeAllListeners(event?: keyof E & string): void;
}

/** Options for {@link createEventBus}. */
export interface EventBusOptions {
  /**
   * Receives errors thrown by listeners. Default: rethrown from a microtask, so that a faulty
   * listener surfaces as an uncaught exception (like an unhandled `error` event in node:events)
   * instead of failing the emitter's operation or vanishing.
   */
  readonly onListenerError?: (error: unknown, event: string) => void;
}

/** Creates a new, independent {@link TypedEventBus}. */
export function createEventBus<E extends EventMap>(options: EventBusOptions = {}): TypedEventBus<E> {
  const emitter = new EventEmitter();
  const onListenerError =
    options.onListenerError ??
    ((error: unknown) => {
      queueMicrotask(() => {
        throw error;
      });
    });
  const bus: TypedEventBus<E> = {
    on(event, listener) {
      emitter.on(event, listener as (payload: unknown) => void);
      return () => emitter.off(event, listener as (payload: unknown) => void);
    },
    once(event, listener) {
      // A wrapper that removes itself before calling, so a listener that throws is still removed.
      const wrapper = (payload: unknown) => {
        emitter.off(event, wrapper);
        (listener as (payload: unknown) => void)(payload);
      };
      emitter.on(event, wrapper);
      return () => emitter.off(event, wrapper);
    },
    off(event, listener) {
      emitter.off(event, listener as (payload: unknown) => void);
    },
    emit(event, payload) {
      // eventemitter3 would stop at the first throwing listener and throw into the emitter; a
      // telemetry listener must never break the operation that reports to it.
      const listeners = emitter.listeners(event);
      for (const listener of listeners) {
        try {
          listener(payload);
        } catch (error) {
          onListenerError(error, event);
        }
      }
      return listeners.length > 0;
    },
    listenerCount(event) {
      return emitter.listenerCount(event);
    },
    removeAllListeners(event) {
      emitter.removeAllListeners(event);
    },
  };
  return bus;
}
