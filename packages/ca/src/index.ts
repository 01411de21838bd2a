// @peculiar/x509 registers its algorithms in tsyringe's container at import time, which needs the
// Reflect metadata API first; this import must stay above every module that loads @peculiar/x509.
import 'reflect-metadata';

export {
  type DecodeCertificateOptions,
  decodeHostIdentity,
  decodeUserIdentity,
  type TrustBundleSource,
  X509IdentityDecoder,
  type X509IdentityDecoderOptions,
} from './decode-certificate.js';
export { FileCaKeyStore, type FileCaKeyStoreOptions } from './file-ca-key-store.js';
export { HOST_IDENTITY_VERSION } from './host-extension.js';
export { IDENTITY_VERSION } from './identity-extension.js';
export { CA_KEY_ALGORITHMS, DEFAULT_CA_KEY_ALGORITHM } from './key-algorithms.js';
export { MemoryCaKeyStore } from './memory-ca-key-store.js';
export {
  CA_USAGE,
  DEFAULT_HOST_EXTENSION_OID,
  DEFAULT_IDENTITY_EXTENSION_OID,
  HOST_USAGE,
  USER_USAGE_KUBE,
} from './oids.js';
export type { CertificateInput } from './parsed-certificate.js';
export { sha256Fingerprint, TrustBundle, type TrustedCa } from './trust-bundle.js';
export {
  CLOCK_SKEW_MS,
  DEFAULT_CA_VALIDITY_MS,
  X509CertificateAuthority,
  type X509CertificateAuthorityOptions,
} from './x509-certificate-authority.js';
