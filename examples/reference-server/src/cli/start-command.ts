import { RemotelerError } from '@remoteler/core';
import type { CliIo } from './run-cli.js';

/** `remoteler-server start`: filled in by the composition step. */
export async function startCommand(_argv: readonly string[], _io: CliIo): Promise<number> {
  throw new RemotelerError('RMT_SERVER_USAGE', 'start is not available in this build yet');
}
