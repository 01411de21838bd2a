import { createPublicKey, type JsonWebKey, type KeyObject, webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import type { PublicJwk, SubjectPublicKeyInput } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import { isValidP256Spki } from './p256-spki.js';
import { decodePem } from './pem.js';

/** A subject public key accepted for certification. */
export interface AcceptedPublicKey {
  /** Normalised SubjectPublicKeyInfo DER, copied into the certificate. */
  readonly spkiDer: Uint8Array;
  /** `ec`, `ed25519` or `rsa` (node:crypto's asymmetricKeyType). */
  readonly keyType: string;
}

function malformed(message: string, cause?: unknown): RemotelerError {
  return new RemotelerError('RMT_CA_PUBLIC_KEY_MALFORMED', message, cause === undefined ? {} : { cause });
}

/**
 * Only keys that every Kubernetes client (Go crypto/tls) and node:tls can use for client
 * authentication; small RSA keys are refused outright.
 */
function assertSupported(key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const ok =
    (type === 'ec' && (details.namedCurve === 'prime256v1' || details.namedCurve === 'secp384r1')) ||
    type === 'ed25519' ||
    (type === 'rsa' && (details.modulusLength ?? 0) >= 2048 && (details.modulusLength ?? 0) <= 8192);
  if (!ok) {
    const what =
      type === 'ec' ? `ec ${details.namedCurve}` : type === 'rsa' ? `rsa ${details.modulusLength}` : type;
    throw new RemotelerError('RMT_CA_PUBLIC_KEY_UNSUPPORTED', `a ${what} public key cannot be certified`, {
      details: { keyType: type ?? 'unknown' },
    });
  }
}

function spkiDer(input: string | Uint8Array): Uint8Array {
  if (typeof input === 'string') {
    const blocks = decodePem(input);
    // A private key must never reach the CA; refuse it rather than deriving the public half.
    if (blocks.some((block) => block.label.includes('PRIVATE')))
      throw malformed('a private key was sent where a public key was expected; send only the public key');
    const block = blocks.find((b) => b.label === 'PUBLIC KEY');
    if (!block || blocks.length !== 1) throw malformed('expected exactly one "PUBLIC KEY" (SPKI) PEM block');
    return block.der;
  }
  if (!(input instanceof Uint8Array)) throw malformed('the SPKI must be a PEM string or DER bytes');
  return input;
}

function fromSpki(der: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (cause) {
    throw malformed('the public key is not a valid SubjectPublicKeyInfo', cause);
  }
}

function fromJwk(jwk: PublicJwk): KeyObject {
  if (typeof jwk !== 'object' || jwk === null) throw malformed('the JWK is not an object');
  for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const)
    if (secret in jwk) throw malformed('the JWK holds private key material; send only the public key');
  try {
    return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw malformed('the JWK is not a valid public key', cause);
  }
}

async function fromCsr(input: string | Uint8Array): Promise<KeyObject> {
  let der: Uint8Array;
  if (typeof input === 'string') {
    const blocks = decodePem(input).filter(
      (b) => b.label === 'CERTIFICATE REQUEST' || b.label === 'NEW CERTIFICATE REQUEST',
    );
    if (blocks.length !== 1)
      throw new RemotelerError(
        'RMT_CA_CSR_MALFORMED',
        'expected exactly one "CERTIFICATE REQUEST" PEM block',
      );
    der = blocks[0]!.der;
  } else der = input;
  let csr: Pkcs10CertificateRequest;
  let key: KeyObject;
  try {
    csr = new Pkcs10CertificateRequest(new Uint8Array(der));
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new RemotelerError('RMT_CA_CSR_MALFORMED', 'the CSR does not parse as PKCS#10', { cause });
  }
  assertSupported(key);
  let valid: boolean;
  try {
    // Node's own WebCrypto, passed per call: @peculiar/x509's global provider is left untouched.
    valid = await csr.verify(webcrypto as unknown as Parameters<Pkcs10CertificateRequest['verify']>[0]);
  } catch (cause) {
    throw new RemotelerError(
      'RMT_CA_CSR_MALFORMED',
      'the CSR uses a signature algorithm the CA cannot verify',
      {
        cause,
      },
    );
  }
  if (!valid)
    throw new RemotelerError(
      'RMT_CA_CSR_SIGNATURE_INVALID',
      'the CSR signature does not verify with the public key it carries',
    );
  return key;
}

/**
 * Turns the caller's key input into the SPKI to certify, refusing malformed keys, private keys,
 * unsupported key types and CSRs whose signature does not verify. The CA never sees a private key.
 */
export async function acceptPublicKey(input: SubjectPublicKeyInput): Promise<AcceptedPublicKey> {
  if (typeof input !== 'object' || input === null) throw malformed('no public key given');
  let key: KeyObject;
  if ('csr' in input) key = await fromCsr(input.csr);
  else if ('jwk' in input) key = fromJwk(input.jwk);
  else if ('spki' in input) {
    const der = spkiDer(input.spki);
    // The common case, checked without an OpenSSL round trip (see p256-spki.ts).
    if (isValidP256Spki(der)) return { spkiDer: der, keyType: 'ec' };
    key = fromSpki(der);
  } else throw malformed('give the public key as { spki }, { jwk } or { csr }');
  if (key.type !== 'public') throw malformed('expected a public key');
  assertSupported(key);
  return {
    keyType: key.asymmetricKeyType ?? 'unknown',
    spkiDer: new Uint8Array(key.export({ type: 'spki', format: 'der' })),
  };
}
