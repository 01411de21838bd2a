import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Options for {@link writeKubeconfig}. */
export interface WriteKubeconfigOptions {
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** PEM CA that signed the server certificate. */
  readonly caPem: string;
  /** A client certificate and key (PEM). */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
  /** A bearer token (instead of, or besides, the certificate). */
  readonly token?: string;
  /** Impersonation written as `as`, `as-groups`, `as-uid`, `as-user-extra` (kubectl sends Impersonate-*). */
  readonly impersonate?: {
    readonly user?: string;
    readonly groups?: readonly string[];
    readonly uid?: string;
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  };
  /** Context namespace. Default none (kubectl then uses `default`). */
  readonly namespace?: string;
  /** Where to write; default a new temporary directory. */
  readonly path?: string;
  /** Names of the cluster, user and context. Default `sim`. */
  readonly name?: string;
}

/** A kubeconfig file on disk. */
export interface WrittenKubeconfig {
  readonly path: string;
  /** Removes the file (and the temporary directory it was written in). Idempotent. */
  cleanup(): Promise<void>;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Writes a kubeconfig (mode 0600, since it may hold a private key) with one cluster, user and context. */
export async function writeKubeconfig(options: WriteKubeconfigOptions): Promise<WrittenKubeconfig> {
  const name = options.name ?? 'sim';
  const user: Record<string, unknown> = {};
  if (options.clientCertificate) {
    user['client-certificate-data'] = b64(options.clientCertificate.certPem);
    user['client-key-data'] = b64(options.clientCertificate.keyPem);
  }
  if (options.token) user.token = options.token;
  const imp = options.impersonate;
  if (imp?.user) user.as = imp.user;
  if (imp?.groups?.length) user['as-groups'] = [...imp.groups];
  if (imp?.uid) user['as-uid'] = imp.uid;
  if (imp?.extra)
    user['as-user-extra'] = Object.fromEntries(Object.entries(imp.extra).map(([k, v]) => [k, [...v]]));
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server: options.server, 'certificate-authority-data': b64(options.caPem) } },
    ],
    users: [{ name, user }],
    contexts: [
      {
        name,
        context: {
          cluster: name,
          user: name,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    'current-context': name,
    preferences: {},
  };
  let dir: string | undefined;
  let path = options.path;
  if (!path) {
    dir = await mkdtemp(join(tmpdir(), 'remoteler-kubeconfig-'));
    path = join(dir, 'config');
  }
  await writeFile(path, stringify(config), { mode: 0o600 });
  const written = path;
  let removed = false;
  return {
    path: written,
    async cleanup() {
      if (removed) return;
      removed = true;
      await rm(dir ?? written, { recursive: true, force: true });
    },
  };
}
