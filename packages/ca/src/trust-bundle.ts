import { createHash } from 'node:crypto';
import type { CaKind, TrustedCaInfo } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import { CA_USAGE, OID_COMMON_NAME, OID_ORGANIZATIONAL_UNIT } from './oids.js';
import {
  type CertificateInput,
  type ParsedCertificate,
  parseCertificate,
  subjectValues,
} from './parsed-certificate.js';
import { decodePem, encodePem } from './pem.js';

/** One CA of a {@link TrustBundle}, parsed once. */
export interface TrustedCa extends TrustedCaInfo {
  readonly certificate: ParsedCertificate;
}

/** `sha256:<hex>` of a certificate's DER: the pin format used everywhere in Remoteler. */
export function sha256Fingerprint(der: Uint8Array): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

function invalid(message: string): RemotelerError {
  return new RemotelerError('RMT_CA_BUNDLE_INVALID', message);
}

/**
 * The CAs a verifier trusts for one {@link CaKind}. Several CAs are trusted at once during a
 * rotation. Every member must be a self-signed CA certificate marked `OU=remoteler-ca:<kind>`, so
 * a user bundle can never hold a host CA (and the reverse). Immutable.
 */
export class TrustBundle {
  readonly kind: CaKind;
  readonly authorities: readonly TrustedCa[];

  private constructor(kind: CaKind, authorities: readonly TrustedCa[]) {
    this.kind = kind;
    this.authorities = Object.freeze(authorities);
  }

  /**
   * A bundle from CA certificates (PEM strings may each hold several). Fails with
   * `RMT_CA_BUNDLE_INVALID` when empty, when a member does not parse, is not a self-signed CA, or
   * is a CA of the other kind.
   */
  static from(kind: CaKind, certificates: readonly CertificateInput[]): TrustBundle {
    if (kind !== 'user' && kind !== 'host') throw invalid(`unknown CA kind ${JSON.stringify(kind)}`);
    const inputs = certificates.flatMap((input) =>
      typeof input === 'string'
        ? decodePem(input)
            .filter((b) => b.label === 'CERTIFICATE')
            .map((b) => b.der)
        : [input],
    );
    if (inputs.length === 0) throw invalid(`the ${kind} trust bundle holds no certificate`);
    const seen = new Set<string>();
    const authorities: TrustedCa[] = [];
    for (const input of inputs) {
      const certificate = parseCertificate(input, 'RMT_CA_BUNDLE_INVALID');
      const usage = subjectValues(certificate, OID_ORGANIZATIONAL_UNIT);
      if (usage.length !== 1 || usage[0] !== CA_USAGE[kind])
        throw invalid(
          `a certificate of the ${kind} trust bundle is not a Remoteler ${kind} CA (OU=${usage.join(',')})`,
        );
      const node = certificate.node;
      if (!node.ca || !node.checkIssued(node) || !node.verify(node.publicKey))
        throw invalid(`a certificate of the ${kind} trust bundle is not a self-signed CA certificate`);
      const fingerprint = sha256Fingerprint(certificate.der);
      if (seen.has(fingerprint)) continue;
      seen.add(fingerprint);
      authorities.push(
        Object.freeze({
          id: subjectValues(certificate, OID_COMMON_NAME)[0] ?? fingerprint,
          certificatePem: encodePem('CERTIFICATE', certificate.der),
          fingerprint,
          certificate,
        }),
      );
    }
    return new TrustBundle(kind, authorities);
  }

  /** Concatenated PEM of every CA: the node:tls `ca` option, a kubeconfig `certificate-authority` file. */
  toPem(): string {
    return this.authorities.map((a) => a.certificatePem).join('');
  }

  /** `sha256:<hex>` of every CA, in bundle order, for pinning. */
  fingerprints(): string[] {
    return this.authorities.map((a) => a.fingerprint);
  }

  /** The public part of each CA (id, PEM, fingerprint). */
  info(): TrustedCaInfo[] {
    return this.authorities.map(({ id, certificatePem, fingerprint }) => ({
      id,
      certificatePem,
      fingerprint,
    }));
  }
}
