import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { RemotelerError } from '@remoteler/core';
import { readElement } from './der.js';
import { decodePem } from './pem.js';

/** Anything a certificate can be handed over as: PEM, DER, or an object with DER `raw`. */
export type CertificateInput = string | Uint8Array | { readonly raw: Uint8Array };

/** One extension as found in the certificate. */
export interface ParsedExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** A certificate parsed twice: by node:crypto (OpenSSL, for signatures) and by asn1-x509 (fields). */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly node: X509Certificate;
  readonly asn: Certificate;
  /** Subject attributes in order, one entry per attribute (multi-valued RDNs flattened). */
  readonly subject: readonly { readonly oid: string; readonly value: string }[];
  readonly extensions: readonly ParsedExtension[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Lower-case hex of the serial INTEGER contents. */
  readonly serialNumber: string;
}

/** The DER bytes of a certificate input; `undefined` when it is none of the accepted shapes. */
export function certificateDer(input: CertificateInput): Uint8Array | undefined {
  if (typeof input === 'string') {
    const blocks = decodePem(input).filter((b) => b.label === 'CERTIFICATE');
    return blocks.length === 1 ? blocks[0]!.der : undefined;
  }
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'object' && input !== null && input.raw instanceof Uint8Array) return input.raw;
  return undefined;
}

/**
 * Parses a certificate; anything that does not parse, in either parser, is
 * `RMT_CA_CERT_MALFORMED` (with `code` overridable for bundles).
 */
export function parseCertificate(
  input: CertificateInput,
  code: 'RMT_CA_CERT_MALFORMED' | 'RMT_CA_BUNDLE_INVALID' = 'RMT_CA_CERT_MALFORMED',
): ParsedCertificate {
  const der = certificateDer(input);
  if (!der) throw new RemotelerError(code, 'expected one X.509 certificate in PEM or DER');
  try {
    const node = new X509Certificate(Buffer.from(der.buffer, der.byteOffset, der.byteLength));
    const asn = AsnConvert.parse(der, Certificate);
    const tbs = asn.tbsCertificate;
    const subject = tbs.subject.flatMap((rdn) =>
      rdn.map((attribute) => ({ oid: attribute.type, value: attribute.value.toString() })),
    );
    const extensions = (tbs.extensions ?? []).map((extension) => ({
      oid: extension.extnID,
      critical: extension.critical,
      value: new Uint8Array(
        extension.extnValue.buffer,
        extension.extnValue.byteOffset,
        extension.extnValue.byteLength,
      ),
    }));
    return {
      der,
      node,
      asn,
      subject,
      extensions,
      notBefore: tbs.validity.notBefore.getTime(),
      notAfter: tbs.validity.notAfter.getTime(),
      serialNumber: Buffer.from(tbs.serialNumber).toString('hex'),
    };
  } catch (cause) {
    throw new RemotelerError(code, 'the certificate does not parse as X.509', { cause });
  }
}

/** Values of one subject attribute type, in order. */
export function subjectValues(certificate: ParsedCertificate, oid: string): string[] {
  return certificate.subject.filter((a) => a.oid === oid).map((a) => a.value);
}

/**
 * The subject Name of a certificate exactly as encoded (not re-encoded), so that certificates a CA
 * signs name it as issuer byte for byte (RFC 5280 §7.1 name matching).
 */
export function subjectNameDer(certificateDer: Uint8Array): Uint8Array {
  const certificate = readElement(certificateDer, 0);
  const tbs = readElement(certificateDer, certificate.start);
  let element = readElement(certificateDer, tbs.start);
  // version [0] is optional; then serialNumber, signature, issuer, validity, subject.
  let skip = element.tag === 0xa0 ? 5 : 4;
  while (skip-- > 0) element = readElement(certificateDer, element.end);
  return certificateDer.slice(element.offset, element.end);
}
