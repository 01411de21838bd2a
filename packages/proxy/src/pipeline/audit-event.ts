/**
 * What the audit hook receives once an exchange has ended (answered, refused or cut). Holds no
 * secrets: no headers, no bodies, no certificates.
 */
export interface ProxyAuditEvent {
  readonly kind: 'request' | 'upgrade';
  /** The client's HTTP version: `1.1`, or `2.0` for a stream of an HTTP/2 connection. */
  readonly httpVersion: string;
  readonly method: string;
  /** The path as the client sent it (with the `/k8s/<cluster>` prefix, if any), without the query. */
  readonly path: string;
  readonly username?: string;
  readonly cluster?: string;
  /** The impersonated Kubernetes principals, when the request got that far. */
  readonly kubernetesUser?: string;
  readonly kubernetesGroups?: readonly string[];
  /** HTTP status the client got; `undefined` when the connection was cut before a status. */
  readonly status?: number;
  /** The Remoteler error code of a refusal or failure. */
  readonly errorCode?: string;
  readonly startedAt: Date;
  /** Wall time from arrival to end, in ms. */
  readonly durationMs: number;
  /** The client's address. */
  readonly clientAddress?: string;
  /**
   * The request as the policy engine read it, when it got that far: the Kubernetes verb (`watch`,
   * `list`, `exec`… derived as the API server does, never from the HTTP method alone) and the
   * resource it names. Empty strings are left out.
   */
  readonly verb?: string;
  readonly apiGroup?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}
