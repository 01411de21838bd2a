import { randomFillSync } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { bitString, concat, oid, TAG, time, tlv, utf8String } from './der.js';
import type { CaSigner } from './key-algorithms.js';
import {
  OID_AUTHORITY_KEY_IDENTIFIER,
  OID_COMMON_NAME,
  OID_ORGANIZATION,
  OID_ORGANIZATIONAL_UNIT,
} from './oids.js';

// Issuance builds the TBSCertificate (RFC 5280 §4.1) by concatenating DER pieces. Everything that
// is the same for every certificate of one CA generation (version, algorithm identifiers, issuer
// name, authority key identifier, the constant extensions) is encoded once in the constructor;
// per call only the serial, validity, subject, key and identity extension are encoded.

const VERSION_3 = tlv(TAG.CONTEXT_0, tlv(TAG.INTEGER, Uint8Array.of(2)));
const TRUE = tlv(TAG.BOOLEAN, Uint8Array.of(0xff));

/** One attribute of a subject name, as it should appear (each in its own RDN). */
export interface NameAttribute {
  readonly oid: string;
  readonly value: string;
}

// Attribute types used on every issuance, encoded once.
const NAME_OIDS: ReadonlyMap<string, Uint8Array> = new Map(
  [OID_COMMON_NAME, OID_ORGANIZATION, OID_ORGANIZATIONAL_UNIT].map((o) => [o, oid(o)]),
);

/** DER of a Name with one single-valued RDN per attribute, all UTF8String (RFC 5280 §4.1.2.6). */
export function encodeName(attributes: readonly NameAttribute[]): Uint8Array {
  return tlv(
    TAG.SEQUENCE,
    ...attributes.map((a) =>
      tlv(TAG.SET, tlv(TAG.SEQUENCE, NAME_OIDS.get(a.oid) ?? oid(a.oid), utf8String(a.value))),
    ),
  );
}

/** Subject of a user certificate: `O=<role>` per role, `OU=<usage>`, `CN=<username>` (design §3). */
export function userSubject(username: string, roles: readonly string[], usage: string): NameAttribute[] {
  return [
    ...roles.map((role) => ({ oid: OID_ORGANIZATION, value: role })),
    { oid: OID_ORGANIZATIONAL_UNIT, value: usage },
    { oid: OID_COMMON_NAME, value: username },
  ];
}

/**
 * DER of one Extension: `SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }`.
 * `extensionOid` is dotted text or its pre-encoded DER (for OIDs used on every issuance).
 */
export function encodeExtension(
  extensionOid: string | Uint8Array,
  critical: boolean,
  value: Uint8Array,
): Uint8Array {
  const id = typeof extensionOid === 'string' ? oid(extensionOid) : extensionOid;
  return critical
    ? tlv(TAG.SEQUENCE, id, TRUE, tlv(TAG.OCTET_STRING, value))
    : tlv(TAG.SEQUENCE, id, tlv(TAG.OCTET_STRING, value));
}

/**
 * KeyUsage bits (RFC 5280 §4.2.1.3) as a DER BIT STRING: trailing zero bits removed and counted in
 * the unused-bits octet, as X.690 §11.2.2 requires for named bit lists.
 */
export function encodeKeyUsage(bits: readonly number[]): Uint8Array {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return tlv(TAG.BIT_STRING, Uint8Array.of(7 - (highest & 7)), bytes);
}

/** Key usage bit numbers. */
export const KEY_USAGE = Object.freeze({
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
});

/** basicConstraints value: `cA` only when true (DER omits DEFAULT FALSE). */
export function encodeBasicConstraints(ca: boolean, pathLength?: number): Uint8Array {
  if (!ca) return tlv(TAG.SEQUENCE);
  if (pathLength === undefined) return tlv(TAG.SEQUENCE, TRUE);
  return tlv(TAG.SEQUENCE, TRUE, tlv(TAG.INTEGER, Uint8Array.of(pathLength)));
}

/** extKeyUsage value: `SEQUENCE OF KeyPurposeId`. */
export function encodeExtendedKeyUsage(purposes: readonly string[]): Uint8Array {
  return tlv(TAG.SEQUENCE, ...purposes.map((p) => oid(p)));
}

/** authorityKeyIdentifier value: `SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }`. */
export function encodeAuthorityKeyIdentifier(keyId: Uint8Array): Uint8Array {
  return tlv(TAG.SEQUENCE, tlv(0x80, keyId));
}

/** subjectKeyIdentifier value: an OCTET STRING. */
export function encodeSubjectKeyIdentifier(keyId: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, keyId);
}

function ipBytes(address: string): Uint8Array {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new TypeError(`not an IP address: ${address}`);
  // Expand "::" and any embedded IPv4 tail into eight 16-bit groups.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** subjectAltName value: dNSName `[2] IA5String`, iPAddress `[7] OCTET STRING` (RFC 5280 §4.2.1.6). */
export function encodeSubjectAltName(
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
): Uint8Array {
  return tlv(
    TAG.SEQUENCE,
    ...dnsNames.map((name) => tlv(0x82, new TextEncoder().encode(name))),
    ...ipAddresses.map((ip) => tlv(0x87, ipBytes(ip))),
  );
}

/** The per-CA-generation constant parts of every certificate it signs. */
export interface CertificateBuilderOptions {
  readonly signer: CaSigner;
  /** DER Name of the CA (the issuer of everything it signs). */
  readonly issuerNameDer: Uint8Array;
  /** The CA's key identifier (its SKI), copied into each certificate's AKI. */
  readonly authorityKeyId: Uint8Array;
}

/** What varies per certificate. */
export interface CertificateContent {
  readonly subjectNameDer: Uint8Array;
  readonly spkiDer: Uint8Array;
  /** Truncated to whole seconds by DER time encoding. */
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Pre-encoded Extension DERs specific to this certificate. */
  readonly extensions: readonly Uint8Array[];
}

/** A signed certificate. */
export interface BuiltCertificate {
  readonly der: Uint8Array;
  /** Lower-case hex of the serial's INTEGER contents. */
  readonly serialNumber: string;
}

/**
 * Signs certificates for one CA generation. `staticExtensions` (per profile) are encoded once and
 * reused; only what varies is encoded per call.
 */
export class CertificateBuilder {
  readonly #signer: CaSigner;
  readonly #aki: Uint8Array;
  /** Serial randomness, drawn 4 KiB at a time: one CSPRNG call per 256 certificates. */
  readonly #random = new Uint8Array(4096);
  #randomOffset = 4096;
  /** `signature AlgorithmIdentifier` followed by `issuer Name`: adjacent in the TBSCertificate. */
  readonly #algorithmAndIssuer: Uint8Array;

  constructor(options: CertificateBuilderOptions) {
    this.#signer = options.signer;
    this.#aki = encodeExtension(
      OID_AUTHORITY_KEY_IDENTIFIER,
      false,
      encodeAuthorityKeyIdentifier(options.authorityKeyId),
    );
    this.#algorithmAndIssuer = concat([options.signer.signatureAlgorithmDer, options.issuerNameDer]);
  }

  /** The AKI extension every certificate of this CA carries. */
  get authorityKeyIdentifierExtension(): Uint8Array {
    return this.#aki;
  }

  /**
   * Signs a certificate. The serial is 16 random bytes with the top bit cleared and the next bit set,
   * so it is positive, minimal DER and always 16 octets (126 random bits; RFC 5280 §4.1.2.2 asks for
   * at most 20 octets, CA/B Forum for at least 64 random bits).
   */
  build(content: CertificateContent, staticExtensions: readonly Uint8Array[]): BuiltCertificate {
    if (this.#randomOffset + 16 > this.#random.length) {
      randomFillSync(this.#random);
      this.#randomOffset = 0;
    }
    const serial = this.#random.slice(this.#randomOffset, this.#randomOffset + 16);
    this.#randomOffset += 16;
    serial[0] = (serial[0]! & 0x3f) | 0x40;
    const tbs = tlv(
      TAG.SEQUENCE,
      VERSION_3,
      tlv(TAG.INTEGER, serial),
      this.#algorithmAndIssuer,
      tlv(TAG.SEQUENCE, time(content.notBefore), time(content.notAfter)),
      content.subjectNameDer,
      content.spkiDer,
      tlv(TAG.CONTEXT_3, tlv(TAG.SEQUENCE, ...staticExtensions, ...content.extensions)),
    );
    const signature = this.#signer.sign(tbs);
    const der = tlv(TAG.SEQUENCE, tbs, this.#signer.signatureAlgorithmDer, bitString(signature));
    return { der, serialNumber: Buffer.from(serial).toString('hex') };
  }
}
