import { z } from 'zod';
import { parseWithSchema } from '../config/validation-problems.js';
import { type Resource, resourceSchema } from './resource.js';

/**
 * Where a secret lives, never the secret itself: a resource is logged, listed and audited, so it
 * must be safe to print. `file` is a path on the Proxy's host (read when needed, so rotation on
 * disk is picked up); `secret` names an entry of the host application's secret store.
 */
export type SecretReference =
  | { readonly file: string }
  | { readonly secret: string /** A key within the named secret. */; readonly key?: string };

/** How the Proxy reaches and authenticates to a cluster's Kubernetes API server. */
export type KubeUpstream =
  | {
      /** A kubeconfig file; its credentials stay in the file. */
      readonly type: 'kubeconfig';
      readonly kubeconfig: SecretReference;
      /** The context to use; default the kubeconfig's `current-context`. */
      readonly context?: string;
    }
  | {
      /**
       * The service account the Proxy runs as, when it runs inside the cluster
       * (`KUBERNETES_SERVICE_HOST` and `/var/run/secrets/kubernetes.io/serviceaccount/`).
       */
      readonly type: 'in_cluster';
    }
  | {
      /** A bearer token (a service account token), sent as `Authorization: Bearer`. */
      readonly type: 'token';
      /** `https://` URL of the API server. */
      readonly server: string;
      readonly token: SecretReference;
      /** The CA bundle that signs the API server's certificate. Default: the system roots. */
      readonly certificate_authority?: SecretReference;
      /** The name to verify the server certificate against when it differs from the URL's host. */
      readonly tls_server_name?: string;
    }
  | {
      /** A client certificate and key (mutual TLS to the API server). */
      readonly type: 'client_certificate';
      readonly server: string;
      readonly certificate: SecretReference;
      readonly key: SecretReference;
      readonly certificate_authority?: SecretReference;
      readonly tls_server_name?: string;
    };

/** The `spec` of a {@link KubeCluster}. */
export interface KubeClusterSpec {
  readonly upstream: KubeUpstream;
}

/**
 * A Kubernetes cluster the Proxy serves (`kind: kube_cluster`). `metadata.labels` are what roles'
 * `kubernetes_labels` match; `metadata.name` is the `/k8s/<name>` route and the certificate pin.
 */
export type KubeCluster = Resource<'kube_cluster', KubeClusterSpec>;

const INLINE_SECRET_MESSAGE =
  'must be a reference ({ file: <path> } or { secret: <name>, key?: <key> }); never put the secret itself in a resource';

/** Schema of a {@link SecretReference}. A string in its place (an inline secret) is refused. */
export const secretReferenceSchema = z.union(
  [
    z.strictObject({ file: z.string().min(1) }),
    z.strictObject({ secret: z.string().min(1), key: z.string().min(1).optional() }),
  ],
  { error: INLINE_SECRET_MESSAGE },
);

const httpsUrlSchema = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}, 'must be an https:// URL without credentials (the API server is only reached over TLS)');

/** Schema of a {@link KubeUpstream}. There is deliberately no "skip TLS verification" option. */
export const kubeUpstreamSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('kubeconfig'),
    kubeconfig: secretReferenceSchema,
    context: z.string().min(1).optional(),
  }),
  z.strictObject({ type: z.literal('in_cluster') }),
  z.strictObject({
    type: z.literal('token'),
    server: httpsUrlSchema,
    token: secretReferenceSchema,
    certificate_authority: secretReferenceSchema.optional(),
    tls_server_name: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('client_certificate'),
    server: httpsUrlSchema,
    certificate: secretReferenceSchema,
    key: secretReferenceSchema,
    certificate_authority: secretReferenceSchema.optional(),
    tls_server_name: z.string().min(1).optional(),
  }),
]);

/** Schema of a {@link KubeCluster} resource. */
export const kubeClusterSchema = resourceSchema(
  'kube_cluster',
  z.strictObject({ upstream: kubeUpstreamSchema }),
);

/**
 * Validates a kube_cluster resource that came from outside. Throws `RMT_RESOURCE_INVALID` listing
 * every problem with its path; an inline secret is reported, never echoed.
 */
export function parseKubeCluster(value: unknown): KubeCluster {
  return parseWithSchema(kubeClusterSchema, value, {
    code: 'RMT_RESOURCE_INVALID',
    subject: 'kube_cluster resource',
  });
}
