import { createPublicKey, type KeyObject } from 'node:crypto';
import { RemotelerError } from '@remoteler/core';

/** A caller's public key, checked once: the PEM as sent and its canonical SPKI DER for comparisons. */
export interface CheckedPublicKey {
  /** SPKI PEM, re-encoded from the parsed key (so equal keys have equal text). */
  readonly pem: string;
  /** SPKI DER: two keys are the same key exactly when these bytes are equal. */
  readonly der: Buffer;
}

const SPKI_PEM = /^\s*-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;

function invalid(why: string, cause?: unknown): RemotelerError {
  return new RemotelerError('RMT_AUTH_PUBLIC_KEY_INVALID', `the public key is not usable: ${why}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Parses an SPKI PEM public key. A private key is refused outright, never turned into its public
 * half: node:crypto's createPublicKey would happily derive one, which would mean a private key
 * crossed the network (design §6).
 */
export function checkPublicKey(input: unknown): CheckedPublicKey {
  if (typeof input !== 'string') throw invalid('send it as a PEM string');
  if (input.includes('PRIVATE KEY')) throw invalid('a private key was sent; send only the public key');
  if (!SPKI_PEM.test(input)) throw invalid('expected one PEM block "-----BEGIN PUBLIC KEY-----"');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: input, format: 'pem' });
  } catch (error) {
    throw invalid('the PEM does not hold a SubjectPublicKeyInfo', error);
  }
  return fromKeyObject(key);
}

/** The same, from a KeyObject (e.g. the public key of a TLS peer certificate). */
export function fromKeyObject(key: KeyObject): CheckedPublicKey {
  if (key.type !== 'public') throw invalid('a private key was given where a public key belongs');
  const der = key.export({ type: 'spki', format: 'der' });
  return { pem: spkiPem(der), der };
}

/** PEM of SPKI DER as node:crypto's export writes it (RFC 7468: 64-column base64), without a second export. */
function spkiPem(der: Buffer): string {
  const base64 = der.toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < base64.length; at += 64) lines.push(base64.slice(at, at + 64));
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}
