import { FileCaKeyStore, X509CertificateAuthority } from '@remoteler/ca';
import { RemotelerError } from '@remoteler/core';
import { ensurePrivateDir, stateDirError } from './state-dir.js';

/** The two certificate authorities of an Auth server. */
export interface Authorities {
  readonly userCa: X509CertificateAuthority;
  readonly hostCa: X509CertificateAuthority;
  /** Where the key material lives (0700 directory, 0600 files). */
  readonly directory: string;
}

/**
 * Opens the user and host CAs from `directory` (`FileCaKeyStore`), generating both on the first
 * start. A directory that cannot be created or read is `RMT_SERVER_STATE_DIR_UNUSABLE`; a key
 * file others can read keeps its CA code (`RMT_CA_KEY_FILE_PERMISSIONS`), which says how to fix it.
 */
export async function openAuthorities(directory: string, clusterName: string): Promise<Authorities> {
  await ensurePrivateDir(directory, 'the CA directory');
  try {
    const keyStore = new FileCaKeyStore({ directory });
    const common = { keyStore, clusterName };
    const userCa = await X509CertificateAuthority.open({ ...common, kind: 'user' });
    const hostCa = await X509CertificateAuthority.open({ ...common, kind: 'host' });
    return { userCa, hostCa, directory };
  } catch (error) {
    if (RemotelerError.is(error)) throw error;
    throw stateDirError(directory, error, 'the CA directory');
  }
}
