import type { z } from 'zod';
import { parseWithSchema } from './validation-problems.js';

/**
 * Freezes a plain value and everything reachable from it (objects and arrays only; class instances
 * such as clocks, stores or Buffers are left as they are, since freezing them would break them).
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const child of Object.values(value as object)) deepFreeze(child);
  return value;
}

/**
 * Validates a component's options once, at construction, and freezes the result (style §5). Every
 * problem is reported at once as `RMT_CONFIG_INVALID` with its path in `details.problems`.
 *
 * @param subject - names the component in the message, e.g. `LocalUserConnector options`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, subject: string): z.output<S> {
  return deepFreeze(parseWithSchema(schema, input, { code: 'RMT_CONFIG_INVALID', subject }));
}
