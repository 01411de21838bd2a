import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The boundary between the simulator's HTTP layer and its streaming sessions. The HTTP layer
 * authenticates, authorizes and finds the pod; this module speaks the upgrade protocols
 * (WebSocket channel.k8s.io variants, SPDY/3.1, SPDY-over-WebSocket port-forward) and runs the
 * fake container processes.
 */
export interface PodStreamTarget {
  readonly subresource: 'exec' | 'attach' | 'portforward';
  readonly namespace: string;
  readonly podName: string;
  /** Container names from the pod spec, in order; the first is the default. */
  readonly containers: readonly string[];
  /** The effective identity (after impersonation) that opened the session. */
  readonly user: { readonly name: string; readonly groups: readonly string[] };
}

/** Placeholder until the streaming module lands: answers every upgrade with 501. */
export function handlePodStreamUpgrade(
  _req: IncomingMessage,
  socket: Duplex,
  _head: Buffer,
  _target: PodStreamTarget,
): void {
  socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
}
