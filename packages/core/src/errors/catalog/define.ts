import type { ErrorCategory } from '../category.js';

/** One entry of the error catalog: what the code means and what a user should do about it. */
export interface ErrorDefinition {
  /** Decides the HTTP status unless `status` overrides it. */
  readonly category: ErrorCategory;
  /** A more precise HTTP status than the category's (413, 415, 422, 410…). */
  readonly status?: number;
  /** One sentence: when this error happens. Rendered into docs/errors.md. */
  readonly summary: string;
  /** What the user or operator should do next. Appended to messages that do not say it already. */
  readonly hint: string;
}

/**
 * Declares a group of error codes. Codes are `RMT_<AREA>_<WHAT>`, never reused once published, and
 * every code must be documented in docs/errors.md (a test enforces both directions).
 */
export function defineErrors<const T extends Record<`RMT_${string}`, ErrorDefinition>>(definitions: T): T {
  return Object.freeze(definitions);
}
