import { join } from 'node:path';
import { type ClaimMapping, RemotelerError, type Role } from '@remoteler/core';
import type { RemotelerContainer } from '@remoteler/core/di';
import type { HostAccountLookup } from './api-key-connector.js';

/** A Kubernetes cluster the gateway serves, reached with the credentials of a kubeconfig file. */
export interface GatewayCluster {
  /** The name users see (`/k8s/<name>`, the certificate pin). */
  readonly name: string;
  /** Matched by roles' `kubernetes_labels`. Default `{}`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Path of a kubeconfig whose credentials may impersonate users and groups. */
  readonly kubeconfig: string;
  /** Context in that kubeconfig. Default its `current-context`. */
  readonly context?: string;
}

/** Options for {@link startGateway}. Validated once (every problem at once), then frozen. */
export interface GatewayOptions {
  /**
   * Folder of the gateway's state: CA keys in `ca/` (0700, files 0600; the same CAs after a
   * restart) and, by default, the audit log `audit.jsonl`.
   */
  readonly stateDir: string;
  /** The host's user database lookup, for the API-key connector. */
  readonly accounts: HostAccountLookup;
  /** Remoteler roles (Role v1). */
  readonly roles: readonly Role[];
  /** How the accounts' claims (`groups` = teams, `email`) map to roles. */
  readonly claimsToRoles: readonly ClaimMapping[];
  /** The clusters behind the Proxy. */
  readonly clusters: readonly GatewayCluster[];
  /** Remoteler cluster name (CA subjects, certificates). Default `gateway`. */
  readonly clusterName?: string;
  /** Audit log path. Default `<stateDir>/audit.jsonl`. Ignored when the container provides `AUDIT_SINK`. */
  readonly auditFile?: string;
  /** Address both listeners bind. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * The name or IP address clients reach the gateway by: put in both listeners' certificates
   * (besides `localhost`) and in the Proxy address Auth announces. Default `host`, or `localhost`
   * when `host` is a wildcard (`0.0.0.0`, `::`).
   */
  readonly publicHost?: string;
  /** Auth HTTPS API port; 0 picks a free one. Default 0. */
  readonly authPort?: number;
  /** Proxy (kubectl) port; 0 picks a free one. Default 0. */
  readonly proxyPort?: number;
  /** Unexpected failures (audit sink refusals, upstream errors). Default: written to stderr. */
  readonly onError?: (error: unknown) => void;
  /**
   * A container whose registrations win over the gateway's defaults (e.g. your own `AUDIT_SINK`
   * or `ROLE_STORE`). The gateway composes into a child of it and never registers into it.
   */
  readonly container?: RemotelerContainer;
}

/** {@link GatewayOptions} with defaults applied. */
export type GatewayConfig = Readonly<
  Required<Omit<GatewayOptions, 'container' | 'auditFile'>> & { readonly auditFile: string }
>;

/** Checks the options, reporting every problem with its path (RMT_CONFIG_INVALID). */
export function resolveGatewayConfig(options: GatewayOptions): GatewayConfig {
  const problems: Array<{ path: string; message: string }> = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  const o = (options ?? {}) as Partial<GatewayOptions>;
  if (typeof o.stateDir !== 'string' || o.stateDir === '') problem('stateDir', 'must be a folder path');
  if (typeof o.accounts !== 'function') problem('accounts', 'must be a lookup function');
  if (!Array.isArray(o.roles)) problem('roles', 'must be a list of Role v1 resources');
  if (!Array.isArray(o.claimsToRoles)) problem('claimsToRoles', 'must be a list (it may be empty)');
  if (!Array.isArray(o.clusters)) problem('clusters', 'must be a list');
  else
    o.clusters.forEach((cluster, index) => {
      if (typeof cluster?.name !== 'string' || cluster.name === '')
        problem(`clusters[${index}].name`, 'must be a non-empty string');
      if (typeof cluster?.kubeconfig !== 'string' || cluster.kubeconfig === '')
        problem(`clusters[${index}].kubeconfig`, 'must be a kubeconfig file path');
    });
  for (const key of ['authPort', 'proxyPort'] as const) {
    const port = o[key];
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535))
      problem(key, 'must be an integer from 0 to 65535');
  }
  for (const key of ['host', 'publicHost'] as const)
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key] === ''))
      problem(key, 'must be a host name or an IP address');
  if (o.onError !== undefined && typeof o.onError !== 'function') problem('onError', 'must be a function');
  if (problems.length > 0)
    throw new RemotelerError(
      'RMT_CONFIG_INVALID',
      `gateway options are invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { details: { problems } },
    );
  const stateDir = o.stateDir as string;
  const host = o.host ?? '127.0.0.1';
  return Object.freeze({
    stateDir,
    accounts: o.accounts as HostAccountLookup,
    roles: Object.freeze([...(o.roles as Role[])]),
    claimsToRoles: Object.freeze([...(o.claimsToRoles as ClaimMapping[])]),
    clusters: Object.freeze([...(o.clusters as GatewayCluster[])]),
    clusterName: o.clusterName ?? 'gateway',
    auditFile: o.auditFile ?? join(stateDir, 'audit.jsonl'),
    host,
    publicHost: o.publicHost ?? (host === '0.0.0.0' || host === '::' ? 'localhost' : host),
    authPort: o.authPort ?? 0,
    proxyPort: o.proxyPort ?? 0,
    onError: o.onError ?? ((error: unknown) => console.error('custom-gateway:', error)),
  });
}
