import type { Identity } from '@remoteler/core';

/**
 * What the Proxy needs from `@remoteler/ca`: turn a TLS peer certificate that node:tls already
 * verified against the user-CA bundle into an {@link Identity}. The CA package's
 * `CertificateIdentityDecoder` satisfies this structurally. Implementations throw (preferably a
 * `RemotelerError`) for a host certificate, a wrong `OU=usage:`, a malformed or missing identity,
 * an expired certificate, or one no trusted user CA signed.
 */
export interface UserCertificateDecoder {
  decodeUserCertificate(
    certificate: { readonly raw: Uint8Array },
    options?: { readonly now?: Date },
  ): { readonly identity: Identity };
}
