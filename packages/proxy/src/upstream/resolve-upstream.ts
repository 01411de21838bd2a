import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { RemotelerError } from '@remoteler/core';
import { readKubeconfig } from './kubeconfig.js';
import { TokenFileSource } from './token-file-source.js';
import type { UpstreamCredentials } from './upstream-credentials.js';

/** TLS settings for connections to an API server; always verified (no `rejectUnauthorized: false`). */
export interface UpstreamTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
}

/**
 * The TLS context for connections to an API server (its CA, the Proxy's client certificate, TLS 1.2
 * at least). Made once per cluster and shared: a context per connection parses the PEM material
 * each time.
 */
export function upstreamSecureContext(upstreamTls: UpstreamTls): SecureContext {
  const { ca, cert, key } = upstreamTls;
  return createSecureContext({
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    minVersion: 'TLSv1.2',
  });
}

/** An API server ready to be dialled: where, how to verify it, and the Proxy's own credential. */
export interface ResolvedUpstream {
  /** `https://host:port`. */
  readonly origin: string;
  /** Path prefix of the server URL without a trailing `/` (`''` for most API servers). */
  readonly basePath: string;
  readonly tls: UpstreamTls;
  /** The `Authorization` header value for the next request, if the credential is a token. */
  authorization(): Promise<string | undefined>;
}

/** Options for {@link resolveUpstream}. */
export interface ResolveUpstreamOptions {
  /** Environment for the in-cluster defaults; default `process.env`, read once here. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Clock for token-file refresh, in ms since the epoch; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Where the kubelet mounts a pod's service-account token, `ca.crt` and `namespace` (the projected
 * volume the ServiceAccount admission plugin adds; client-go's `rest.InClusterConfig` reads the same).
 */
export const SERVICE_ACCOUNT_DIRECTORY = '/var/run/secrets/kubernetes.io/serviceaccount';

function configError(message: string, field: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_UPSTREAM_CONFIG_INVALID', message, { details: { field } });
}

function parseServer(server: string): { origin: string; basePath: string } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw configError(`upstream server "${server}" is not a URL`, 'server');
  }
  // Plain http would send the Proxy's credentials and users' traffic unencrypted: refused.
  if (url.protocol !== 'https:') throw configError(`upstream server "${server}" must use https`, 'server');
  if (url.username || url.password || url.search || url.hash)
    throw configError(
      `upstream server "${server}" must not carry credentials, a query or a fragment`,
      'server',
    );
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

/** Bearer tokens go into a header (and into the raw request head of upgrades): visible ASCII only. */
export function isHeaderSafeToken(token: string): boolean {
  return /^[\x21-\x7e]+$/.test(token);
}

const staticToken = (token: string) => () => Promise.resolve(`Bearer ${token}`);
const noToken = () => Promise.resolve(undefined);

/** Reads whatever files `credentials` names and returns the upstream to dial. */
export async function resolveUpstream(
  credentials: UpstreamCredentials,
  options: ResolveUpstreamOptions = {},
): Promise<ResolvedUpstream> {
  switch (credentials.kind) {
    case 'token': {
      if (!isHeaderSafeToken(credentials.token))
        throw configError(
          'upstream token must be non-empty visible ASCII (no spaces or line breaks)',
          'token',
        );
      return {
        ...parseServer(credentials.server),
        tls: tls(credentials.ca, undefined, undefined, credentials.tlsServerName),
        authorization: staticToken(credentials.token),
      };
    }
    case 'client-certificate':
      return {
        ...parseServer(credentials.server),
        tls: tls(credentials.ca, credentials.cert, credentials.key, credentials.tlsServerName),
        authorization: noToken,
      };
    case 'kubeconfig': {
      const entry = await readKubeconfig(credentials);
      const source =
        entry.tokenFile === undefined
          ? undefined
          : new TokenFileSource(entry.tokenFile, options.now ? { now: options.now } : {});
      return {
        ...parseServer(entry.server),
        tls: tls(entry.ca, entry.cert, entry.key, entry.tlsServerName),
        authorization: entry.token
          ? checkedStaticToken(entry.token)
          : source
            ? async () => `Bearer ${await source.token()}`
            : noToken,
      };
    }
    case 'service-account': {
      const env = options.env ?? process.env;
      let server = credentials.server;
      if (server === undefined) {
        const host = env.KUBERNETES_SERVICE_HOST;
        const port = env.KUBERNETES_SERVICE_PORT;
        if (!host || !port)
          throw configError(
            'no upstream server given and KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set (not running in a pod?)',
            'server',
          );
        server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
      }
      const directory = credentials.directory ?? SERVICE_ACCOUNT_DIRECTORY;
      const caFile = credentials.caFile ?? `${directory}/ca.crt`;
      let ca: string;
      try {
        ca = await readFile(caFile, 'utf8');
      } catch (cause) {
        throw new RemotelerError('RMT_PROXY_UPSTREAM_CONFIG_INVALID', `cannot read the CA file ${caFile}`, {
          cause,
          details: { field: 'caFile', path: caFile },
        });
      }
      const source = new TokenFileSource(credentials.tokenFile ?? `${directory}/token`, {
        ...(credentials.tokenRefreshMs !== undefined && { refreshMs: credentials.tokenRefreshMs }),
        ...(options.now && { now: options.now }),
      });
      // Read once now so that a missing token fails when the cluster is added, not on the first request.
      await source.token();
      return {
        ...parseServer(server),
        tls: tls(ca, undefined, undefined, undefined),
        authorization: async () => `Bearer ${await source.token()}`,
      };
    }
    default:
      throw configError(
        `unknown upstream credential kind "${String((credentials as { kind?: unknown }).kind)}"`,
        'kind',
      );
  }
}

function checkedStaticToken(token: string): () => Promise<string> {
  if (!isHeaderSafeToken(token))
    throw configError('kubeconfig user.token must be visible ASCII (no spaces or line breaks)', 'user.token');
  return staticToken(token);
}

function tls(ca?: string, cert?: string, key?: string, servername?: string): UpstreamTls {
  return {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(servername !== undefined && { servername }),
  };
}
