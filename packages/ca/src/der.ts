// Minimal DER (ITU-T X.690 §10) writing and reading for the parts of a certificate that are built
// per issuance. The static parts are encoded once with @peculiar/asn1-schema; concatenating
// pre-encoded pieces here is what makes issuance fast (see bench/README.md, "CA issuance").

/** DER tag bytes used by the certificate builder. */
export const TAG = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** `[0]` constructed, explicit: the TBSCertificate version. */
  CONTEXT_0: 0xa0,
  /** `[3]` constructed, explicit: the TBSCertificate extensions. */
  CONTEXT_3: 0xa3,
});

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** Encodes one TLV whose value is the concatenation of `parts`. */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const header = lengthBytes(length);
  const out = new Uint8Array(1 + header.length + length);
  out[0] = tag;
  out.set(header, 1);
  let offset = 1 + header.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const utf8 = new TextEncoder();

/** A UTF8String (RFC 5280 §4.1.2.6: new certificates use UTF8String for DirectoryString). */
export function utf8String(value: string): Uint8Array {
  return tlv(TAG.UTF8_STRING, utf8.encode(value));
}

/** An OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => Number(arc));
  if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0))
    throw new TypeError(`not an object identifier: ${dotted}`);
  const bytes: number[] = [];
  const push = (value: number) => {
    const chunk: number[] = [value & 0x7f];
    for (let n = Math.floor(value / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
    bytes.push(...chunk);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return tlv(TAG.OID, Uint8Array.from(bytes));
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * A certificate validity time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280
 * §4.1.2.5), always in seconds and `Z`, as DER requires.
 */
export function time(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(
    date.getUTCMinutes(),
  )}${two(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, utf8.encode(`${two(year % 100)}${rest}`));
  return tlv(TAG.GENERALIZED_TIME, utf8.encode(`${String(year).padStart(4, '0')}${rest}`));
}

/** A BIT STRING with no unused bits (signatures, public keys). */
export function bitString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.BIT_STRING, Uint8Array.of(0), bytes);
}

/** DER NULL, the parameters of RSA algorithm identifiers. */
export const NULL_PARAMS: Uint8Array = Uint8Array.of(TAG.NULL, 0);

/** Position of one TLV inside a buffer. */
export interface DerElement {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly offset: number;
  /** Offset of the value's first byte. */
  readonly start: number;
  /** Offset just past the value. */
  readonly end: number;
}

/** Reads the TLV at `offset`; throws a TypeError on truncated or indefinite-length input. */
export function readElement(buffer: Uint8Array, offset = 0): DerElement {
  const tag = buffer[offset];
  let first = buffer[offset + 1];
  if (tag === undefined || first === undefined) throw new TypeError('truncated DER');
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new TypeError('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      first = buffer[start + i];
      if (first === undefined) throw new TypeError('truncated DER');
      length = length * 256 + first;
    }
    start += count;
  }
  const end = start + length;
  if (end > buffer.length) throw new TypeError('truncated DER');
  return { tag, offset, start, end };
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
