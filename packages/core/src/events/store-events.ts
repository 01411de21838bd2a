/**
 * Events a store reports on its bus (`store.events`). Stores never let a watcher's exception stop
 * a watch or fail the write that triggered it; they report it here instead.
 */
export interface StoreEvents {
  [event: string]: unknown;
  /** A watch listener threw while handling a change. */
  'watch-listener-error': { readonly kind: string; readonly error: unknown };
}
