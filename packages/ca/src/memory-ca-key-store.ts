import type { CaKeySet, CaKeyStore, CaKeyStoreCapabilities, CaKind } from '@remoteler/core';
import { checkCaKeySet } from './ca-key-set-shape.js';

/**
 * A {@link CaKeyStore} that keeps key sets in this instance's memory: for tests and single-process
 * demos. Nothing survives the process.
 */
export class MemoryCaKeyStore implements CaKeyStore {
  readonly capabilities: CaKeyStoreCapabilities = Object.freeze({ durable: false, shared: false });
  readonly #sets = new Map<CaKind, CaKeySet>();

  async load(kind: CaKind): Promise<CaKeySet | undefined> {
    return this.#sets.get(kind);
  }

  async save(set: CaKeySet): Promise<void> {
    // Validated and frozen copies: a caller mutating its object later cannot change the stored set.
    this.#sets.set(set.kind, checkCaKeySet(structuredClone(set), set.kind));
  }

  async close(): Promise<void> {
    this.#sets.clear();
  }
}
