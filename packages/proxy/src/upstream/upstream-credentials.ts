/**
 * How the Proxy authenticates to one cluster's API server. The Proxy always speaks with its *own*
 * credentials and impersonates the user (k8s-protocols §10); nothing of the client's is reused.
 */
export type UpstreamCredentials =
  | KubeconfigCredentials
  | ServiceAccountCredentials
  | BearerTokenCredentials
  | ClientCertificateCredentials;

/** Server, CA and credentials taken from a kubeconfig file. */
export interface KubeconfigCredentials {
  readonly kind: 'kubeconfig';
  /** Path of the kubeconfig file; relative paths inside it are resolved against its folder. */
  readonly path: string;
  /** Context to use; defaults to the file's `current-context`. */
  readonly context?: string;
}

/**
 * The in-cluster service account (the Proxy runs as a pod). The token file is re-read when it
 * rotates (projected tokens are renewed by the kubelet), at most every `tokenRefreshMs`.
 */
export interface ServiceAccountCredentials {
  readonly kind: 'service-account';
  /** API server URL; defaults to `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` read when the cluster is added. */
  readonly server?: string;
  /**
   * Folder holding `token` and `ca.crt`, where the pod mounts its service-account volume. Default
   * `/var/run/secrets/kubernetes.io/serviceaccount` (the kubelet's mount path).
   */
  readonly directory?: string;
  /** Default `<directory>/token`. */
  readonly tokenFile?: string;
  /** Default `<directory>/ca.crt`. */
  readonly caFile?: string;
  /** How long a token read from the file is used before the file is read again, in ms. Default 60 000 (client-go's interval). */
  readonly tokenRefreshMs?: number;
}

/** A static bearer token. */
export interface BearerTokenCredentials {
  readonly kind: 'token';
  /** API server URL (`https://host:port`, optionally with a path prefix). */
  readonly server: string;
  /** Secret: never logged. */
  readonly token: string;
  /** PEM CA bundle that signed the API server's certificate; default: Node's public roots. */
  readonly ca?: string;
  /** TLS server name to verify instead of the URL's host. */
  readonly tlsServerName?: string;
}

/** A client certificate and key (the Proxy's own, e.g. from a host CA the cluster trusts). */
export interface ClientCertificateCredentials {
  readonly kind: 'client-certificate';
  readonly server: string;
  /** PEM certificate (chain). */
  readonly cert: string;
  /** PEM private key. Secret: never logged. */
  readonly key: string;
  readonly ca?: string;
  readonly tlsServerName?: string;
}
