/**
 * What kind of failure an error is. The category, not the code, decides the HTTP status, so every
 * error that crosses HTTP maps to a status the same way (see {@link statusForCategory}).
 */
export type ErrorCategory =
  | 'input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'rate-limited'
  | 'unavailable'
  | 'internal';

const STATUS_BY_CATEGORY: Readonly<Record<ErrorCategory, number>> = Object.freeze({
  input: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'rate-limited': 429,
  unavailable: 503,
  internal: 500,
});

/** The HTTP status an error of this category is answered with. */
export function statusForCategory(category: ErrorCategory): number {
  return STATUS_BY_CATEGORY[category];
}
