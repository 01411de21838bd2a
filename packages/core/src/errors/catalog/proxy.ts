import { defineErrors } from './define.js';

/** Errors raised by the Proxy Service (`@remoteler/proxy`): authentication, routing, impersonation, upstreams. */
export const PROXY_ERRORS = defineErrors({
  RMT_PROXY_UNAUTHENTICATED: {
    category: 'unauthenticated',
    summary:
      'The request came without a client certificate, or with one that no trusted Remoteler user CA signed.',
    hint: 'Run `remoteler login` to get a fresh certificate, then retry with the kubeconfig context it writes.',
  },
  RMT_PROXY_CERTIFICATE_EXPIRED: {
    category: 'unauthenticated',
    summary: 'The client certificate has expired (checked on every request, also on open connections).',
    hint: 'Run `remoteler login` to get a fresh certificate, then retry.',
  },
  RMT_PROXY_IDENTITY_INVALID: {
    category: 'unauthenticated',
    summary:
      'The client certificate verified but carries no usable Remoteler user identity (a host certificate, another usage, or a malformed identity).',
    hint: 'Use the user certificate that `remoteler login` issued; host certificates are never accepted for users.',
  },
  RMT_PROXY_PATH_INVALID: {
    category: 'input',
    summary:
      'The request path has dot segments, empty segments, a backslash, an encoded `/`, `\\` or `.`, or characters outside visible ASCII; the Proxy refuses it instead of rewriting it.',
    hint: 'Send the path exactly as the Kubernetes API defines it, without `.`/`..` segments, `//` or percent-encoded separators.',
  },
  RMT_PROXY_CLUSTER_REQUIRED: {
    category: 'not-found',
    summary:
      'The request names no cluster: the path has no `/k8s/<cluster>/` prefix and the certificate is not pinned to a cluster.',
    hint: 'Use the kubeconfig context that `remoteler kube login <cluster>` writes, or prefix the path with `/k8s/<cluster>`.',
  },
  RMT_PROXY_CLUSTER_NOT_FOUND: {
    category: 'not-found',
    summary:
      'No Kubernetes cluster of that name is available to you (clusters you may not use are answered the same way as clusters that do not exist).',
    hint: 'Run `remoteler kube ls` to list the clusters you may use.',
  },
  RMT_PROXY_CLUSTER_MISMATCH: {
    category: 'forbidden',
    summary: 'The path names a different cluster than the one the client certificate is pinned to.',
    hint: 'Switch to the kubeconfig context of that cluster (`remoteler kube login <cluster>`) instead of editing the server URL.',
  },
  RMT_PROXY_IMPERSONATION_HEADER_FORBIDDEN: {
    category: 'forbidden',
    summary:
      'The client sent `Impersonate-Uid`, an `Impersonate-Extra-*` header, an unknown `Impersonate-*` header, or more than one `Impersonate-User`.',
    hint: 'Remove `as-uid` and `as-user-extra` from the kubeconfig and pass at most one `--as`; Remoteler sets impersonation itself.',
  },
  RMT_PROXY_LOCKED: {
    category: 'forbidden',
    summary:
      'A lock blocks the user, one of its roles, or the cluster; checked on every request, and open sessions and watches are ended when it appears.',
    hint: 'Contact the administrator named in the lock message; access returns when the lock expires or is removed.',
  },
  RMT_PROXY_FILTER_UNSUPPORTED: {
    category: 'input',
    status: 406,
    summary:
      'The roles allow only some objects of the listed or watched collection, so the Proxy filters the answer object by object, which it can do for JSON only, and the request accepts no JSON (for example protobuf only).',
    hint: 'Accept `application/json` (kubectl does unless told otherwise), or narrow the request to what your roles allow (for example `-n <namespace>` instead of `-A`).',
  },
  RMT_PROXY_FILTER_RESPONSE_INVALID: {
    category: 'unavailable',
    status: 502,
    summary:
      'The Proxy had to filter a list or watch answer but the API server sent something it cannot read as JSON objects (another content type, malformed JSON, or one object larger than the filter holds in memory); nothing unfiltered is passed on.',
    hint: 'Retry; if it persists, an operator should check that the cluster’s API server answers JSON and, for huge objects, raise the filter’s object size limit.',
  },
  RMT_PROXY_ACCESS_REVIEW_INVALID: {
    category: 'input',
    summary:
      'A SelfSubjectAccessReview or SelfSubjectRulesReview body could not be read (not JSON or Kubernetes protobuf, too large, or without the attributes to review).',
    hint: 'Send the review as `kubectl auth can-i` does: JSON or the `application/vnd.kubernetes.protobuf` envelope, with `spec.resourceAttributes` or `spec.nonResourceAttributes`.',
  },
  RMT_PROXY_PRINCIPAL_INVALID: {
    category: 'input',
    summary:
      'A Kubernetes user or group name cannot be sent as an impersonation header (empty, control characters, or not encodable as UTF-8).',
    hint: 'Fix the name in the role (`kubernetes_users`/`kubernetes_groups`) or in `--as`/`--as-group`: use printable UTF-8 only.',
  },
  RMT_PROXY_UPSTREAM_UNAVAILABLE: {
    category: 'unavailable',
    summary: 'The Proxy could not reach the cluster’s API server (connection, TLS or protocol failure).',
    hint: 'Retry shortly; if it persists, an operator should check the cluster’s server address, CA and credentials.',
  },
  RMT_PROXY_UPSTREAM_RESPONSE_INVALID: {
    category: 'unavailable',
    status: 502,
    summary:
      'The cluster’s API server sent an answer the Proxy refuses to relay: its HTTP/1.1 framing is ambiguous or malformed (both `Transfer-Encoding` and `Content-Length`, differing lengths, an unsupported transfer coding, malformed or oversized header lines, or bytes beyond its end; the connection was closed and never reused), or an answer whose head the client’s protocol cannot carry (a status outside 200-599 to an HTTP/2 client).',
    hint: 'Retry; if it persists, an operator should check what answers at the cluster’s server address (another proxy or load balancer in front of the API server is the usual cause).',
  },
  RMT_PROXY_UPSTREAM_CONFIG_INVALID: {
    category: 'input',
    summary:
      'A cluster’s upstream settings (kubeconfig, server URL, CA, token or client certificate) are invalid or use an unsupported feature.',
    hint: 'Fix the listed field of the cluster’s upstream settings; exec plugins, auth providers, basic auth and `insecure-skip-tls-verify` are not supported.',
  },
  RMT_PROXY_UPSTREAM_CREDENTIALS_UNAVAILABLE: {
    category: 'unavailable',
    summary:
      'The Proxy could not read its own credentials for the cluster (for example the service-account token file).',
    hint: 'Check that the token file exists and is readable by the Proxy; it is re-read on every rotation.',
  },
  RMT_PROXY_IMPERSONATION_UNAUTHORIZED: {
    category: 'unavailable',
    summary:
      'The Proxy’s own credentials for a cluster may not impersonate users or groups (found by the SelfSubjectAccessReview run at start and when a cluster is added), so every request to it would fail.',
    hint: 'Grant the Proxy’s identity on that cluster a ClusterRole with verb `impersonate` on `users` and `groups`, bound with a ClusterRoleBinding.',
  },
  RMT_PROXY_CLUSTER_EXISTS: {
    category: 'conflict',
    summary: 'A cluster with this name is already registered with the Proxy.',
    hint: 'Remove the existing cluster first, or register the new one under another name.',
  },
  RMT_PROXY_CLOSED: {
    category: 'unavailable',
    summary: 'The Proxy is shutting down and accepts no new requests.',
    hint: 'Retry against another Proxy replica or after the Proxy has restarted.',
  },
  RMT_PROXY_UPGRADE_UNSUPPORTED: {
    category: 'unavailable',
    status: 501,
    summary: 'The Proxy cannot relay this kind of connection upgrade yet.',
    hint: 'Use a Proxy version that relays exec, attach and port-forward, or run the command against the cluster directly.',
  },
  RMT_PROXY_REQUEST_TOO_LARGE: {
    category: 'input',
    status: 413,
    summary:
      'The request body is larger than the Proxy accepts for a non-streaming request (limits.maxRequestBodyBytes).',
    hint: 'Send a smaller object (split large manifests), or ask the operator to raise limits.maxRequestBodyBytes.',
  },
  RMT_PROXY_HEADERS_TOO_LARGE: {
    category: 'input',
    status: 431,
    summary:
      'The request headers of an HTTP/2 request are larger than the Proxy accepts (maxHeaderSize, counted as HTTP/2 counts a header list).',
    hint: 'Send fewer or shorter headers, or ask the operator to raise the Proxy’s maxHeaderSize.',
  },
  RMT_PROXY_RATE_LIMITED: {
    category: 'rate-limited',
    summary:
      'You sent more requests per second than the Proxy allows one user (limits.requestsPerSecond with limits.burst).',
    hint: 'Wait the number of seconds in the Retry-After header and retry; slow down loops that call kubectl.',
  },
  RMT_PROXY_TOO_MANY_CONNECTIONS: {
    category: 'rate-limited',
    summary:
      'You already have as many requests, watches and sessions open through the Proxy as one user may (limits.maxConcurrentPerUser).',
    hint: 'End watches, port-forwards or exec sessions you no longer need, then retry.',
  },
  RMT_PROXY_SESSION_IDLE: {
    category: 'unavailable',
    summary:
      'An exec, attach or port-forward session sent no bytes in either direction for longer than limits.upgradeIdleTimeoutMs, so the Proxy ended it.',
    hint: 'Start the session again; ask the operator to raise limits.upgradeIdleTimeoutMs if sessions must stay quiet longer.',
  },
  RMT_PROXY_AUDIT_FAILED: {
    category: 'internal',
    summary:
      'The audit sink refused or failed to store a session audit event (reported to onError; the session itself was relayed).',
    hint: 'Check the audit sink (disk, network, capacity); the cause holds the sink’s own RMT_AUDIT_ code.',
  },
  RMT_PROXY_RECORDING_FAILED: {
    category: 'internal',
    summary:
      'The recording store failed while recording a session’s output (reported to onError; the recording is aborted, the session goes on).',
    hint: 'Check the recording store; the cause holds its own RMT_RECORDING_ code.',
  },
  RMT_PROXY_AUTH_UNAVAILABLE: {
    category: 'unavailable',
    status: 502,
    summary:
      'The Proxy could not reach the Auth service it fronts on its web port (connection refused, TLS failure or timeout).',
    hint: 'Check that the Auth service runs and that the Proxy’s auth_server address and host certificate are right; then retry.',
  },
  RMT_PROXY_WEB_API_UPGRADE: {
    category: 'input',
    status: 400,
    summary: 'A connection upgrade was asked for on a web API path (`/v1/…`); the web API is plain HTTPS.',
    hint: 'Send exec, attach and port-forward requests to the Kubernetes paths (`/k8s/<cluster>/…`) the kubeconfig names.',
  },
  RMT_PROXY_PROXY_PROTOCOL_INVALID: {
    category: 'input',
    status: 400,
    summary:
      'A connection from a trusted load balancer did not start with a valid PROXY protocol (v1 or v2) header in time; it was closed.',
    hint: 'Turn on PROXY protocol (v1 or v2) on the load balancer for this listener, or remove it from the trusted sources.',
  },
});
