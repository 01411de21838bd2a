import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RemotelerError } from '@remoteler/core';
import { parse } from 'yaml';
import type { KubeconfigCredentials } from './upstream-credentials.js';

/** What one kubeconfig context resolves to; files are already read. */
export interface KubeconfigEntry {
  readonly server: string;
  readonly ca?: string;
  readonly tlsServerName?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly cert?: string;
  readonly key?: string;
}

type Named<T> = { readonly name?: unknown } & T;

function invalid(path: string, field: string, problem: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_UPSTREAM_CONFIG_INVALID', `kubeconfig ${path}: ${field} ${problem}`, {
    details: { field },
  });
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function findNamed(list: unknown, name: string, key: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = list.find((item: Named<object>) => record(item)?.name === name);
  return record(record(entry)?.[key]);
}

function optionalString(value: unknown, path: string, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw invalid(path, field, 'must be a non-empty string');
  return value;
}

/**
 * Reads the server, CA and credentials of one context of a kubeconfig file (client-go's
 * `clientcmd` v1 format). Only what a server-side proxy can use safely is supported: bearer tokens
 * (`token`, `tokenFile`) and client certificates. Exec plugins, auth providers, basic auth and
 * `insecure-skip-tls-verify` are refused, never silently ignored, because each would either run
 * code, weaken TLS, or leave the Proxy without credentials.
 */
export async function readKubeconfig(credentials: KubeconfigCredentials): Promise<KubeconfigEntry> {
  const path = resolve(credentials.path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new RemotelerError('RMT_PROXY_UPSTREAM_CONFIG_INVALID', `cannot read kubeconfig ${path}`, {
      cause,
    });
  }
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(parse(text));
  } catch (cause) {
    throw new RemotelerError('RMT_PROXY_UPSTREAM_CONFIG_INVALID', `kubeconfig ${path} is not valid YAML`, {
      cause,
    });
  }
  if (!doc) throw invalid(path, '(document)', 'must be a mapping');
  const contextName = credentials.context ?? optionalString(doc['current-context'], path, 'current-context');
  if (!contextName) throw invalid(path, 'current-context', 'is not set and no context was given');
  const context = findNamed(doc.contexts, contextName, 'context');
  if (!context) throw invalid(path, `contexts[${contextName}]`, 'does not exist');
  const clusterName = optionalString(context.cluster, path, `contexts[${contextName}].cluster`);
  const userName = optionalString(context.user, path, `contexts[${contextName}].user`);
  const cluster = clusterName ? findNamed(doc.clusters, clusterName, 'cluster') : undefined;
  if (!cluster) throw invalid(path, `clusters[${clusterName ?? ''}]`, 'does not exist');
  const user = (userName ? findNamed(doc.users, userName, 'user') : undefined) ?? {};
  const base = dirname(path);

  const server = optionalString(cluster.server, path, 'cluster.server');
  if (!server) throw invalid(path, 'cluster.server', 'is required');
  if (cluster['insecure-skip-tls-verify'] === true)
    throw invalid(
      path,
      'cluster.insecure-skip-tls-verify',
      'is not supported: the Proxy always verifies the API server',
    );
  for (const unsupported of [
    'exec',
    'auth-provider',
    'username',
    'password',
    'as',
    'as-groups',
    'as-uid',
    'as-user-extra',
  ])
    if (user[unsupported] !== undefined) throw invalid(path, `user.${unsupported}`, 'is not supported');

  const ca = await inlineOrFile(cluster, 'certificate-authority', base, path);
  const cert = await inlineOrFile(user, 'client-certificate', base, path);
  const key = await inlineOrFile(user, 'client-key', base, path);
  if ((cert === undefined) !== (key === undefined))
    throw invalid(path, 'user.client-key', 'and client-certificate must be given together');
  const token = optionalString(user.token, path, 'user.token');
  const tokenFileRaw = optionalString(user.tokenFile, path, 'user.tokenFile');
  const tokenFile = tokenFileRaw === undefined ? undefined : resolve(base, tokenFileRaw);
  if (!token && !tokenFile && !cert)
    throw invalid(
      path,
      'user',
      'has no credentials the Proxy can use (token, tokenFile or client certificate)',
    );
  const tlsServerName = optionalString(cluster['tls-server-name'], path, 'cluster.tls-server-name');
  return {
    server,
    ...(ca !== undefined && { ca }),
    ...(tlsServerName !== undefined && { tlsServerName }),
    ...(token !== undefined && { token }),
    ...(tokenFile !== undefined && { tokenFile }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
  };
}

// kubeconfig carries each piece of PEM either inline (`<field>-data`, base64) or as a file path.
async function inlineOrFile(
  section: Record<string, unknown>,
  field: string,
  base: string,
  path: string,
): Promise<string | undefined> {
  const data = optionalString(section[`${field}-data`], path, `${field}-data`);
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  const file = optionalString(section[field], path, field);
  if (file === undefined) return undefined;
  try {
    return await readFile(resolve(base, file), 'utf8');
  } catch (cause) {
    throw new RemotelerError(
      'RMT_PROXY_UPSTREAM_CONFIG_INVALID',
      `kubeconfig ${path}: cannot read ${field}`,
      {
        cause,
        details: { field },
      },
    );
  }
}
