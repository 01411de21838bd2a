/** The label value that stands for every value past a label's limit. */
export const OTHER_LABEL_VALUE = 'other';

/**
 * Keeps a label's distinct values bounded: the first `limit` values seen pass through, later ones
 * become `other`. Cluster names and connector ids come from configuration, but a failed login names
 * whatever connector the client asked for, and a time series per attacker-chosen value would let
 * anyone grow the Proxy's memory and the Prometheus server's.
 */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The value to use as a label. */
  value(raw: string): string {
    if (this.#seen.has(raw)) return raw;
    if (this.#seen.size >= this.#limit) return OTHER_LABEL_VALUE;
    this.#seen.add(raw);
    return raw;
  }
}
