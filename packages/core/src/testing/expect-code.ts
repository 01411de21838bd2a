import { expect } from 'vitest';
import type { ErrorCode } from '../errors/catalog/index.js';
import { RemotelerError } from '../errors/remoteler-error.js';

/**
 * Runs `action` (sync or async) and asserts that it fails with a RemotelerError of `code`;
 * returns that error for further checks.
 */
export async function expectRemotelerError(action: () => unknown, code: ErrorCode): Promise<RemotelerError> {
  let failure: unknown;
  try {
    await action();
  } catch (error) {
    failure = error;
  }
  expect(failure, `expected a failure with ${code}`).toBeDefined();
  expect(RemotelerError.is(failure), `expected a RemotelerError, got ${String(failure)}`).toBe(true);
  expect((failure as RemotelerError).code).toBe(code);
  return failure as RemotelerError;
}
