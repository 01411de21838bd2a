import type { IncomingMessage } from 'node:http';
import { type FailureStatus, failureStatus } from './http-status.js';
import type { PodStreamTarget } from './pod-stream-target.js';

/** The options of an exec or attach request (`PodExecOptions` / `PodAttachOptions`). */
export interface StreamRequestOptions {
  readonly container: string;
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

// The public query names are stdin/stdout/stderr/tty/container/command; the kubelet-side names
// input/output/error with value 1 are accepted too (k8s-protocols.md §5.2).
function flag(query: URLSearchParams, name: string, kubeletName: string): boolean {
  const value = query.get(name) ?? query.get(kubeletName);
  return value === 'true' || value === '1';
}

/**
 * Reads and validates the query of an exec/attach upgrade the way the API server does before it
 * contacts the kubelet. Returns the options, or the 400 Status the API server answers with.
 */
export function parseStreamRequest(
  req: IncomingMessage,
  target: PodStreamTarget,
): StreamRequestOptions | FailureStatus {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const options = {
    command: query.getAll('command'),
    stdin: flag(query, 'stdin', 'input'),
    stdout: flag(query, 'stdout', 'output'),
    stderr: flag(query, 'stderr', 'error'),
    tty: flag(query, 'tty', 'tty'),
  };
  if (target.subresource === 'exec' && options.command.length === 0)
    return failureStatus(400, 'you must specify at least 1 command');
  if (!options.stdin && !options.stdout && !options.stderr)
    return failureStatus(400, 'you must specify at least one of stdin, stdout, stderr');
  // From pkg/registry/core/pod/strategy.go: the container must exist; it may be omitted only when
  // the pod has exactly one.
  let container = query.get('container') ?? '';
  if (container === '') {
    if (target.containers.length === 1) container = target.containers[0]!;
    else
      return failureStatus(
        400,
        `a container name must be specified for pod ${target.podName}, choose one of: [${target.containers.join(' ')}]`,
      );
  } else if (!target.containers.includes(container)) {
    return failureStatus(400, `container ${container} is not valid for pod ${target.podName}`);
  }
  return { ...options, container };
}
