/**
 * What the simulator's HTTP layer hands to the streaming layer once it has authenticated and
 * authorized an exec / attach / portforward upgrade and found the pod.
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
