import { createHash, generateKeyPair, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import type { CaKeyAlgorithm } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import { NULL_PARAMS, oid, readElement, TAG, tlv } from './der.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Every algorithm a CA can be created with; `ecdsa-p256` is the default. */
export const CA_KEY_ALGORITHMS: readonly CaKeyAlgorithm[] = Object.freeze([
  'ecdsa-p256',
  'ed25519',
  'rsa-2048',
]);

/** The default CA key algorithm. */
export const DEFAULT_CA_KEY_ALGORITHM: CaKeyAlgorithm = 'ecdsa-p256';

/** Throws `RMT_CA_ALGORITHM_UNSUPPORTED` unless `value` names a supported CA key algorithm. */
export function assertCaKeyAlgorithm(value: unknown): asserts value is CaKeyAlgorithm {
  if (!CA_KEY_ALGORITHMS.includes(value as CaKeyAlgorithm))
    throw new RemotelerError(
      'RMT_CA_ALGORITHM_UNSUPPORTED',
      `unsupported CA key algorithm ${JSON.stringify(value)}`,
      {
        details: { algorithm: String(value), supported: CA_KEY_ALGORITHMS },
      },
    );
}

/** Generates a CA key pair with node:crypto. */
export async function generateCaKeyPair(
  algorithm: CaKeyAlgorithm,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  assertCaKeyAlgorithm(algorithm);
  switch (algorithm) {
    case 'ecdsa-p256':
      return generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
    case 'ed25519':
      return generateKeyPairAsync('ed25519');
    case 'rsa-2048':
      return generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  }
}

/** The CA key algorithm of a private key, or `undefined` for keys a CA cannot have. */
export function caKeyAlgorithmOf(key: KeyObject): CaKeyAlgorithm | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec' && details.namedCurve === 'prime256v1') return 'ecdsa-p256';
  if (type === 'ed25519') return 'ed25519';
  if (type === 'rsa' && details.modulusLength === 2048) return 'rsa-2048';
  return undefined;
}

/**
 * A signer bound to one CA key: the certificate's `signatureAlgorithm` DER and a function that
 * signs TBS bytes with node:crypto directly (no WebCrypto round trip, no key re-import per call).
 */
export interface CaSigner {
  readonly algorithm: CaKeyAlgorithm;
  /** DER `AlgorithmIdentifier`, used both inside the TBSCertificate and after it (RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithmDer: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

/** Builds the signer for a CA private key. */
export function createCaSigner(algorithm: CaKeyAlgorithm, privateKey: KeyObject): CaSigner {
  switch (algorithm) {
    case 'ecdsa-p256':
      // ecdsa-with-SHA256: parameters absent (RFC 5758 §3.2); X.509 wants the DER signature form.
      return {
        algorithm,
        signatureAlgorithmDer: tlv(TAG.SEQUENCE, oid('1.2.840.10045.4.3.2')),
        sign: (data) => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }),
      };
    case 'ed25519':
      // id-Ed25519: parameters absent (RFC 8410 §3); pure EdDSA, no pre-hash.
      return {
        algorithm,
        signatureAlgorithmDer: tlv(TAG.SEQUENCE, oid('1.3.101.112')),
        sign: (data) => sign(null, data, privateKey),
      };
    case 'rsa-2048':
      // sha256WithRSAEncryption: parameters NULL (RFC 4055 §5), PKCS#1 v1.5 padding.
      return {
        algorithm,
        signatureAlgorithmDer: tlv(TAG.SEQUENCE, oid('1.2.840.113549.1.1.11'), NULL_PARAMS),
        sign: (data) => sign('sha256', data, privateKey),
      };
    default:
      assertCaKeyAlgorithm(algorithm);
      throw new TypeError('unreachable');
  }
}

/**
 * The key identifier of a public key: SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280
 * §4.2.1.2 method 1), as used in SKI and AKI.
 */
export function keyIdentifier(spkiDer: Uint8Array): Uint8Array {
  const outer = readElement(spkiDer, 0);
  const algorithm = readElement(spkiDer, outer.start);
  const bits = readElement(spkiDer, algorithm.end);
  if (outer.tag !== TAG.SEQUENCE || bits.tag !== TAG.BIT_STRING) throw new TypeError('not an SPKI');
  // Skip the BIT STRING's unused-bits octet: the hash covers the key bytes only.
  return new Uint8Array(
    createHash('sha1')
      .update(spkiDer.subarray(bits.start + 1, bits.end))
      .digest(),
  );
}
