import { execExitStatus, execInternalErrorStatus, type KubeStatus } from '@remoteler/core/wire';
import type { PodStreamTarget } from './pod-stream-target.js';
import type { ContainerRuntime, SessionResult, SessionStreams } from './runtime/container-runtime.js';
import type { StreamRequestOptions } from './stream-request.js';

/** Runs the exec or attach a request asked for; failures to start become an `error` result. */
export async function runExecOrAttach(
  runtime: ContainerRuntime,
  target: PodStreamTarget,
  options: StreamRequestOptions,
  streams: SessionStreams,
): Promise<SessionResult> {
  const ref = { namespace: target.namespace, pod: target.podName, container: options.container };
  try {
    return target.subresource === 'attach'
      ? await runtime.attach(ref, streams, target.user.name)
      : await runtime.exec(ref, options.command, streams, target.user.name);
  } catch (error) {
    return { exitCode: undefined, error: (error as Error)?.message ?? String(error) };
  }
}

/** The Status that ends a session: Success, NonZeroExitCode with the code, or InternalError. */
export function sessionStatus(result: SessionResult, command: readonly string[]): KubeStatus {
  if (result.exitCode === undefined) return execInternalErrorStatus(result.error ?? 'the session failed');
  return execExitStatus(result.exitCode, command);
}

/**
 * The error channel's content for a protocol version: v4/v5 always carry the Status JSON; v1-v3 carry
 * the failure message as plain text and nothing on success (client-go `v1WriteStatusFunc`).
 */
export function errorChannelContent(version: number, status: KubeStatus): string {
  if (version >= 4) return JSON.stringify(status);
  return status.status === 'Success' ? '' : (status.message ?? 'error');
}
