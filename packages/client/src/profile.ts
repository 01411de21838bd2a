import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RemotelerError } from '@remoteler/core';
import { writeFileAtomic } from './atomic-file.js';
import type { KubeconfigState } from './kubeconfig/kubeconfig-edit.js';
import { type ProfilePaths, profilePaths } from './profile-paths.js';

/** How the client verifies the proxy's web certificate. */
export interface ProxyTrust {
  /** PEM of the CA(s) that issued the proxy's certificates (from --ca-file or learned with a pin). */
  readonly caPem?: string;
  /** `sha256:<hex>` of the CA certificate the proxy must chain to. */
  readonly caPin?: string;
  /** No verification at all: demos only, announced on every use. */
  readonly insecure?: boolean;
}

/** A cluster the user may use, as the Auth API lists it. */
export interface ProfileCluster {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly kubernetesUsers: readonly string[];
  readonly kubernetesGroups: readonly string[];
}

/** What profile.json holds (never a key or certificate; those have their own files). */
export interface Profile {
  readonly version: 1;
  /** `HOST:PORT` of the proxy web API. */
  readonly proxy: string;
  readonly clusterName: string;
  readonly username: string;
  readonly roles: readonly string[];
  /** RFC 3339 expiry of the login certificate. */
  readonly notAfter: string;
  /** `HOST:PORT` kubectl talks to. */
  readonly kubeAddress: string;
  readonly trust: ProxyTrust;
  readonly clusters: readonly ProfileCluster[];
  /** How the login was made; an `sso` login can be renewed from the exec plugin in a terminal. */
  readonly loginMethod?: 'password' | 'sso';
  /** The connector of an SSO login. */
  readonly connectorId?: string;
  /** `--embed`: certificates and key are written into the kubeconfig instead of the exec plugin. */
  readonly embed?: boolean;
  /** The cluster `kube login` selected last. */
  readonly currentCluster?: string;
  /** What the login added to which kubeconfig, so that logout removes exactly that. */
  readonly kubeconfig?: KubeconfigState;
}

/** A cluster-pinned certificate cached for the exec plugin. */
export interface KubeCredential {
  readonly certificatePem: string;
  /** RFC 3339. */
  readonly notAfter: string;
}

function invalid(path: string, cause: unknown): RemotelerError {
  return new RemotelerError('RMT_CLIENT_PROFILE_INVALID', `the profile file ${path} cannot be read`, {
    cause,
  });
}

async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalid(path, error);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw invalid(path, error);
  }
}

/**
 * Profiles under `$REMOTELER_HOME` (default `~/.remoteler`), one per proxy: the home and every
 * profile directory are 0700, every file 0600, every write atomic (writeFileAtomic).
 */
export class ProfileStore {
  /** The home directory this store reads and writes. */
  readonly home: string;

  constructor(home: string) {
    this.home = home;
  }

  /** The file paths of the profile for `proxy`. */
  paths(proxy: string): ProfilePaths {
    return profilePaths(this.home, proxy);
  }

  /** The profile for `proxy`, or `undefined` when there is none. */
  async load(proxy: string): Promise<Profile | undefined> {
    const profile = await readJson<Profile>(this.paths(proxy).profile);
    if (profile !== undefined && profile.version !== 1)
      throw invalid(this.paths(proxy).profile, 'unknown version');
    return profile;
  }

  /** Every profile, sorted by proxy. */
  async list(): Promise<Profile[]> {
    let entries: string[];
    try {
      entries = await readdir(join(this.home, 'profiles'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const profiles: Profile[] = [];
    for (const entry of entries.sort()) {
      const profile = await readJson<Profile>(join(this.home, 'profiles', entry, 'profile.json'));
      if (profile) profiles.push(profile);
    }
    return profiles;
  }

  /** The one profile for `proxy`, or the only profile when `proxy` is not given. */
  async resolve(proxy: string | undefined): Promise<Profile> {
    if (proxy !== undefined) {
      const profile = await this.load(proxy);
      if (!profile) throw new RemotelerError('RMT_CLIENT_NOT_LOGGED_IN', `not logged in to ${proxy}`);
      return profile;
    }
    const all = await this.list();
    if (all.length === 1) return all[0] as Profile;
    throw new RemotelerError(
      'RMT_CLIENT_NOT_LOGGED_IN',
      all.length === 0 ? 'not logged in' : `logged in to ${all.length} proxies; name one with --proxy`,
    );
  }

  /** Writes profile.json. */
  async save(profile: Profile): Promise<void> {
    await writeFileAtomic(this.paths(profile.proxy).profile, `${JSON.stringify(profile, null, 2)}\n`);
  }

  /** Stores the private key (PKCS#8 PEM) and the login certificate; drops cached cluster credentials. */
  async saveKeyPair(proxy: string, keyPem: string, certificatePem: string): Promise<void> {
    const paths = this.paths(proxy);
    await rm(join(paths.dir, 'kube'), { recursive: true, force: true });
    await writeFileAtomic(paths.key, keyPem);
    await writeFileAtomic(paths.certificate, certificatePem);
  }

  /** The private key and login certificate PEMs. */
  async loadKeyPair(proxy: string): Promise<{ keyPem: string; certificatePem: string }> {
    const paths = this.paths(proxy);
    try {
      return {
        keyPem: await readFile(paths.key, 'utf8'),
        certificatePem: await readFile(paths.certificate, 'utf8'),
      };
    } catch (error) {
      throw invalid(paths.key, error);
    }
  }

  /** Caches a cluster-pinned certificate for the exec plugin's fast path. */
  async saveKubeCredential(proxy: string, cluster: string, credential: KubeCredential): Promise<void> {
    await writeFileAtomic(this.paths(proxy).kubeCredential(cluster), JSON.stringify(credential));
  }

  /** The cached cluster-pinned certificate, if any (expired or not). */
  async loadKubeCredential(proxy: string, cluster: string): Promise<KubeCredential | undefined> {
    return readJson<KubeCredential>(this.paths(proxy).kubeCredential(cluster));
  }

  /** Deletes the profile directory: key, certificates, profile.json. */
  async remove(proxy: string): Promise<void> {
    await rm(this.paths(proxy).dir, { recursive: true, force: true });
  }
}
