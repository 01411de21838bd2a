import { join } from 'node:path';

// Kept free of imports beyond node:path: the exec plugin's fast path (bin.ts) loads this module.

/** A file-name-safe form of a proxy address or cluster name (anything else becomes `_XX`). */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9.-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Where one profile's files live under `home`. */
export interface ProfilePaths {
  readonly dir: string;
  /** profile.json: who, which CA, which kubeconfig entries. */
  readonly profile: string;
  /** The private key (PKCS#8 PEM, 0600). */
  readonly key: string;
  /** The login certificate (not pinned to a cluster). */
  readonly certificate: string;
  /** A cluster-pinned certificate and its expiry, served by `kube credentials`. */
  kubeCredential(cluster: string): string;
  /** The renewal lock (see renew-lock.ts). */
  readonly lock: string;
}

/** The files of the profile for `proxy` (`HOST:PORT`) under `home`. */
export function profilePaths(home: string, proxy: string): ProfilePaths {
  const dir = join(home, 'profiles', safeName(proxy));
  return {
    dir,
    profile: join(dir, 'profile.json'),
    key: join(dir, 'key.pem'),
    certificate: join(dir, 'cert.pem'),
    kubeCredential: (cluster) => join(dir, 'kube', `${safeName(cluster)}.json`),
    lock: join(dir, 'renew.lock'),
  };
}
