import { isIP } from 'node:net';
import { RemotelerError } from '@remoteler/core';

/**
 * The result of reading a PROXY protocol header (HAProxy's "PROXY protocol" specification, versions
 * 1 and 2) from the start of a connection.
 */
export type ProxyHeader =
  /** More bytes are needed. */
  | { readonly complete: false }
  | {
      readonly complete: true;
      /** Bytes the header took; what follows belongs to the TLS handshake. */
      readonly length: number;
      /**
       * The original client, or none when the balancer speaks for itself (v2 `LOCAL`, e.g. its
       * health checks) or does not know (`UNKNOWN` / `AF_UNSPEC`): the connection's own address then.
       */
      readonly source?: { readonly address: string; readonly port: number };
    };

/** The 12-byte signature that opens a version 2 header. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** A v1 line is at most 107 bytes including CRLF (the specification's worst case, TCP6). */
const V1_MAX = 107;
/** Address and TLV bytes accepted after the 16-byte v2 header (the length field allows 64 KiB; balancers send a few hundred). */
const V2_MAX_PAYLOAD = 4096;

function invalid(message: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_PROXY_PROTOCOL_INVALID', message);
}

function port(text: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) throw invalid('the PROXY v1 header has an invalid port');
  const value = Number(text);
  if (value > 65_535) throw invalid('the PROXY v1 header has an invalid port');
  return value;
}

function parseV1(buffer: Buffer): ProxyHeader {
  const end = buffer.indexOf('\r\n', 0, 'latin1');
  if (end === -1) {
    if (buffer.length >= V1_MAX) throw invalid('the PROXY v1 header has no CRLF within 107 bytes');
    return { complete: false };
  }
  if (end + 2 > V1_MAX) throw invalid('the PROXY v1 header is longer than 107 bytes');
  const fields = buffer.subarray(0, end).toString('latin1').split(' ');
  const length = end + 2;
  if (fields[1] === 'UNKNOWN') return { complete: true, length };
  if (fields.length !== 6) throw invalid('the PROXY v1 header does not have six fields');
  const [, family, sourceAddress = '', destinationAddress = '', sourcePort = '', destinationPort = ''] =
    fields;
  const expected = family === 'TCP4' ? 4 : family === 'TCP6' ? 6 : 0;
  if (expected === 0) throw invalid('the PROXY v1 header names neither TCP4, TCP6 nor UNKNOWN');
  if (isIP(sourceAddress) !== expected || isIP(destinationAddress) !== expected)
    throw invalid(`the PROXY v1 header's addresses are not ${family} addresses`);
  port(destinationPort);
  return { complete: true, length, source: { address: sourceAddress, port: port(sourcePort) } };
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Node normalises the text form, so equal addresses compare equal downstream.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function parseV2(buffer: Buffer): ProxyHeader {
  if (buffer.length < 16) return { complete: false };
  const versionCommand = buffer[12] as number;
  if (versionCommand >> 4 !== 2) throw invalid('the PROXY v2 header has an unknown version');
  const command = versionCommand & 0x0f;
  if (command > 1) throw invalid('the PROXY v2 header has an unknown command');
  const payload = buffer.readUInt16BE(14);
  if (payload > V2_MAX_PAYLOAD) throw invalid('the PROXY v2 header is unreasonably long');
  const length = 16 + payload;
  if (buffer.length < length) return { complete: false };
  // LOCAL: the balancer's own connection (health checks); the addresses, if any, are ignored.
  if (command === 0) return { complete: true, length };
  const familyProtocol = buffer[13] as number;
  const body = buffer.subarray(16, length);
  switch (familyProtocol) {
    case 0x00: // UNSPEC: the sender does not know the addresses.
      return { complete: true, length };
    case 0x11: // TCP over IPv4: 4 + 4 address bytes, 2 + 2 port bytes.
      if (body.length < 12) throw invalid('the PROXY v2 TCP4 address block is too short');
      return {
        complete: true,
        length,
        source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) },
      };
    case 0x21: // TCP over IPv6: 16 + 16 address bytes, 2 + 2 port bytes.
      if (body.length < 36) throw invalid('the PROXY v2 TCP6 address block is too short');
      return {
        complete: true,
        length,
        source: { address: ipv6(body.subarray(0, 16)), port: body.readUInt16BE(32) },
      };
    default:
      throw invalid('the PROXY v2 header carries a transport other than TCP');
  }
}

/**
 * Reads a PROXY protocol header (v1 text or v2 binary) from the first bytes of a connection.
 * Returns `{ complete: false }` while the bytes so far could still become a valid header; throws
 * `RMT_PROXY_PROXY_PROTOCOL_INVALID` as soon as they cannot. TLVs of v2 are skipped.
 */
export function readProxyHeader(buffer: Buffer): ProxyHeader {
  const v2 = Math.min(buffer.length, V2_SIGNATURE.length);
  if (v2 > 0 && buffer.subarray(0, v2).equals(V2_SIGNATURE.subarray(0, v2))) {
    return buffer.length < V2_SIGNATURE.length ? { complete: false } : parseV2(buffer);
  }
  const v1 = Math.min(buffer.length, V1_PREFIX.length);
  if (v1 > 0 && buffer.subarray(0, v1).equals(V1_PREFIX.subarray(0, v1))) {
    return buffer.length < V1_PREFIX.length ? { complete: false } : parseV1(buffer);
  }
  throw invalid('the connection did not start with a PROXY protocol header');
}
