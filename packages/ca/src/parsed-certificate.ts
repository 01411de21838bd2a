import { X509Certificate } from 'node:crypto';
import { RemotelerError } from '@remoteler/core';
import { type DerElement, readElement, TAG } from './der.js';
import { decodePem } from './pem.js';

/** Anything a certificate can be handed over as: PEM, DER, or an object with DER `raw`. */
export type CertificateInput = string | Uint8Array | { readonly raw: Uint8Array };

/** One extension as found in the certificate. */
export interface ParsedExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/**
 * A certificate parsed twice: by node:crypto (OpenSSL: signatures, issuer checks) and by a small DER
 * walk over the fields the decoders read (validity, subject, extensions). The walk replaced a full
 * @peculiar/asn1-x509 parse, which was half the cost of decoding (see bench/README.md).
 */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly node: X509Certificate;
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

/** Dotted text of an OBJECT IDENTIFIER's contents (X.690 §8.19). */
export function decodeOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new TypeError('OID arc too large');
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0)
        arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  if (bytes.length === 0 || (bytes[bytes.length - 1]! & 0x80) !== 0) throw new TypeError('truncated OID');
  return arcs.join('.');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');
const utf16be = new TextDecoder('utf-16be', { fatal: true });

/** A DirectoryString / attribute value as text (RFC 5280 §4.1.2.4). */
function directoryString(tag: number, bytes: Uint8Array): string {
  switch (tag) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
      return utf8.decode(bytes);
    case 0x14: // TeletexString: treated as Latin-1, as OpenSSL and Go do
      return latin1.decode(bytes);
    case 0x1e: // BMPString
      return utf16be.decode(bytes);
    case 0x1c: {
      // UniversalString (UTF-32BE)
      if (bytes.length % 4 !== 0) throw new TypeError('bad UniversalString');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const points: number[] = [];
      for (let i = 0; i < bytes.length; i += 4) points.push(view.getUint32(i));
      return String.fromCodePoint(...points);
    }
    default:
      throw new TypeError(`unsupported attribute value tag ${tag}`);
  }
}

/** UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`, the only forms RFC 5280 §4.1.2.5 allows. */
function decodeTime(tag: number, bytes: Uint8Array): Date {
  const text = latin1.decode(bytes);
  const match =
    tag === TAG.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : tag === TAG.GENERALIZED_TIME
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (!match) throw new TypeError('bad certificate time');
  const [, y, mo, d, h, mi, sec] = match.map(Number) as number[];
  const year = tag === TAG.UTC_TIME ? (y! >= 50 ? 1900 + y! : 2000 + y!) : y!;
  return new Date(Date.UTC(year, mo! - 1, d!, h!, mi!, sec!));
}

/** The elements directly inside a constructed TLV. */
function children(der: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const element = readElement(der, offset);
    if (element.end > parent.end) throw new TypeError('element overruns its parent');
    out.push(element);
    offset = element.end;
  }
  return out;
}

function expectTag(element: DerElement | undefined, tag: number): DerElement {
  if (!element || element.tag !== tag) throw new TypeError(`expected tag ${tag}`);
  return element;
}

/** Walks `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }` (RFC 5280 §4.1). */
function walk(der: Uint8Array): Omit<ParsedCertificate, 'der' | 'node'> {
  const certificate = expectTag(readElement(der, 0), TAG.SEQUENCE);
  if (certificate.end !== der.length) throw new TypeError('trailing bytes after the certificate');
  const tbs = children(der, certificate)[0];
  const fields = children(der, expectTag(tbs, TAG.SEQUENCE));
  let index = fields[0]?.tag === TAG.CONTEXT_0 ? 1 : 0;
  const serial = expectTag(fields[index++], TAG.INTEGER);
  index++; // signature AlgorithmIdentifier: OpenSSL checks it against the outer one
  index++; // issuer: OpenSSL's checkIssued compares it
  const validity = children(der, expectTag(fields[index++], TAG.SEQUENCE));
  if (validity.length !== 2) throw new TypeError('bad validity');
  const subjectElement = expectTag(fields[index++], TAG.SEQUENCE);
  index++; // subjectPublicKeyInfo
  const subject: { oid: string; value: string }[] = [];
  for (const rdn of children(der, subjectElement))
    for (const attribute of children(der, expectTag(rdn, TAG.SET))) {
      const [type, value] = children(der, expectTag(attribute, TAG.SEQUENCE));
      const oidElement = expectTag(type, TAG.OID);
      if (!value) throw new TypeError('attribute without value');
      subject.push({
        oid: decodeOid(der.subarray(oidElement.start, oidElement.end)),
        value: directoryString(value.tag, der.subarray(value.start, value.end)),
      });
    }
  const extensions: ParsedExtension[] = [];
  const extensionsWrapper = fields.slice(index).find((f) => f.tag === TAG.CONTEXT_3);
  if (extensionsWrapper) {
    const [list] = children(der, extensionsWrapper);
    for (const extension of children(der, expectTag(list, TAG.SEQUENCE))) {
      const parts = children(der, expectTag(extension, TAG.SEQUENCE));
      const id = expectTag(parts[0], TAG.OID);
      const critical = parts.length === 3 ? expectTag(parts[1], TAG.BOOLEAN) : undefined;
      const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING);
      if (parts.length < 2 || parts.length > 3) throw new TypeError('bad extension');
      extensions.push({
        oid: decodeOid(der.subarray(id.start, id.end)),
        critical: critical !== undefined && der[critical.start] !== 0,
        value: der.slice(value.start, value.end),
      });
    }
  }
  const [notBefore, notAfter] = validity as [DerElement, DerElement];
  return {
    subject,
    extensions,
    notBefore: decodeTime(notBefore.tag, der.subarray(notBefore.start, notBefore.end)),
    notAfter: decodeTime(notAfter.tag, der.subarray(notAfter.start, notAfter.end)),
    serialNumber: Buffer.from(der.subarray(serial.start, serial.end)).toString('hex'),
  };
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
    return { der, node, ...walk(der) };
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
