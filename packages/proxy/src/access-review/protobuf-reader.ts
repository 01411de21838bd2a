import { RemotelerError } from '@remoteler/core';

/** One protobuf field as read off the wire: varints as numbers, length-delimited fields as bytes. */
export type ProtoField =
  | { readonly number: number; readonly wire: 0; readonly value: number }
  | { readonly number: number; readonly wire: 2; readonly bytes: Uint8Array };

function invalid(what: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_ACCESS_REVIEW_INVALID', `the review is not valid protobuf (${what})`);
}

/**
 * Reads the fields of one protobuf message (proto3 wire format: varint and length-delimited fields;
 * 64- and 32-bit fields are skipped). Enough for the authorization.k8s.io review messages, whose
 * fields are strings, bools, nested messages and repeated strings (k8s-protocols §9.1).
 */
export function readProtoFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (offset >= bytes.length) throw invalid('truncated varint');
      const byte = bytes[offset++]!;
      // Values above 2^53 do not occur in these messages; multiplication keeps them exact up to there.
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw invalid('varint too long');
    }
  };
  while (offset < bytes.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number === 0) throw invalid('field number 0');
    if (wire === 0) fields.push({ number, wire: 0, value: varint() });
    else if (wire === 2) {
      const length = varint();
      if (offset + length > bytes.length) throw invalid('truncated field');
      fields.push({ number, wire: 2, bytes: bytes.subarray(offset, offset + length) });
      offset += length;
    } else if (wire === 1) offset += 8;
    else if (wire === 5) offset += 4;
    else throw invalid(`unsupported wire type ${wire}`);
    if (offset > bytes.length) throw invalid('truncated field');
  }
  return fields;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The last value of a string field (proto3: the last occurrence wins), or `''`. */
export function protoString(fields: readonly ProtoField[], number: number): string {
  let value = '';
  for (const field of fields)
    if (field.number === number && field.wire === 2) {
      try {
        value = decoder.decode(field.bytes);
      } catch {
        throw invalid(`field ${number} is not UTF-8`);
      }
    }
  return value;
}

/** The last occurrence of a nested message field, or undefined. */
export function protoMessage(fields: readonly ProtoField[], number: number): ProtoField[] | undefined {
  let value: Uint8Array | undefined;
  for (const field of fields) if (field.number === number && field.wire === 2) value = field.bytes;
  return value === undefined ? undefined : readProtoFields(value);
}
