/**
 * The streaming half of the simulator: exec, attach and port-forward over every protocol kubectl
 * 1.27-1.33 uses (WebSocket v5/v4/base64/v1 channels, SPDY/3.1 v4-v1, the SPDY-over-WebSocket
 * port-forward tunnel, and the older channel-based WebSocket port-forward of client libraries), backed
 * by a fake {@link ContainerRuntime} per simulator.
 *
 * ```ts
 * const sim = await KubeApiSimulator.start({ seed: true });
 * sim.runtime.defineProgram('migrate', async (p) => { await p.stdout.write('done\n'); return 0; });
 * sim.runtime.fileSystem({ namespace: 'default', pod: 'web-0', container: 'app' }).writeFile('/tmp/a', 'x');
 * sim.runtime.forwardPort('default', 'web-0', 80, myLocalHttpServerPort);
 * // … kubectl exec / cp / attach / port-forward …
 * const run = await sim.runtime.waitForSession((s) => s.command[0] === 'migrate');
 * ```
 *
 * Known differences from a real cluster: stdin a process does not read is buffered in memory (SPDY has
 * no flow control and the WebSocket side reads eagerly); the main process of `attach` runs without a
 * TTY; an attach session ends when the client half-closes stdin.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PodStreamServer } from './pod-stream-server.js';
import type { PodStreamTarget } from './pod-stream-target.js';

export {
  DEFAULT_WEBSOCKET_EXEC_START_DELAY_MS,
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
