import type {
  CaKeySet,
  CaKeySetWriteOptions,
  CaKeyStore,
  CaKeyStoreCapabilities,
  CaKind,
} from '@remoteler/core';
import { checkCaKeySet, conflict, withRevision } from './ca-key-set-shape.js';

/**
 * A {@link CaKeyStore} that keeps key sets in this instance's memory: for tests and single-process
 * demos. Nothing survives the process. Revisions count writes.
 */
export class MemoryCaKeyStore implements CaKeyStore {
  readonly capabilities: CaKeyStoreCapabilities = Object.freeze({ durable: false, shared: false });
  readonly #sets = new Map<CaKind, CaKeySet>();
  #writes = 0;

  async load(kind: CaKind): Promise<CaKeySet | undefined> {
    return this.#sets.get(kind);
  }

  async save(set: CaKeySet, options: CaKeySetWriteOptions = {}): Promise<CaKeySet> {
    // Validated and frozen copies: a caller mutating its object later cannot change the stored set.
    const checked = checkCaKeySet(structuredClone(set), set?.kind);
    const expected = options.expectedRevision;
    const current = this.#sets.get(checked.kind);
    if (expected === null && current) throw conflict(checked.kind, null);
    if (typeof expected === 'string' && current?.revision !== expected)
      throw conflict(checked.kind, expected);
    const stored = withRevision(checked, String(++this.#writes));
    this.#sets.set(checked.kind, stored);
    return stored;
  }

  async close(): Promise<void> {
    this.#sets.clear();
  }
}
