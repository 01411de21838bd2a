import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PodStreamServer } from './pod-stream-server.js';
import type { PodStreamTarget } from './pod-stream-target.js';

export {
  PodStreamServer,
  type PodStreamServerOptions,
  WEBSOCKET_EXEC_PROTOCOLS,
} from './pod-stream-server.js';
export type { PodStreamTarget } from './pod-stream-target.js';
export { shellPrompt } from './runtime/builtin-programs.js';
export {
  ContainerRuntime,
  type ContainerRuntimeOptions,
  type PortHandler,
  type SessionRecord,
  type SessionResult,
  type SessionStreams,
} from './runtime/container-runtime.js';
export { FileSystemError, type MemoryFileStat, MemoryFileSystem } from './runtime/memory-file-system.js';
export {
  collectingSink,
  type OutputSink,
  ProcessInput,
  ProcessOutput,
  TerminalSizeEvents,
} from './runtime/process-io.js';
export type { ContainerRef, ProcessContext, ProgramHandler, SpawnIo } from './runtime/program.js';
export { readTar, type TarEntry, TarFormatError, writeTar } from './runtime/ustar.js';
export { SPDY_EXEC_PROTOCOLS } from './spdy-exec.js';

/**
 * Routes an exec / attach / portforward upgrade to the streaming layer. The HTTP layer calls it after
 * authentication, authorization and the pod lookup, passing its simulator's {@link PodStreamServer}.
 * Without one (an HTTP layer not yet wired to a stream server) the session runs on a throwaway server
 * of its own: stateless programs work, but files, port handlers and recordings are not shared and
 * the simulator's `close()` cannot reach it.
 */
export function handlePodStreamUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: PodStreamTarget,
  server?: PodStreamServer,
): void {
  if (server) {
    server.handleUpgrade(req, socket, head, target);
    return;
  }
  const throwaway = new PodStreamServer();
  throwaway.handleUpgrade(req, socket, head, target);
  socket.once('close', () => throwaway.close());
}
