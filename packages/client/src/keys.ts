import { generateKeyPair } from 'node:crypto';

/** A key pair made on this machine; the private key never leaves it. */
export interface ClientKeyPair {
  /** PKCS#8 PEM, stored 0600 in the profile. */
  readonly privateKeyPem: string;
  /** SPKI PEM, the only part sent to Auth. */
  readonly publicKeyPem: string;
}

/** Generates an ECDSA P-256 key pair (design §2: made locally, the private key stays here). */
export function generateClientKeyPair(): Promise<ClientKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'ec',
      {
        namedCurve: 'prime256v1',
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      },
      (error, publicKeyPem, privateKeyPem) => {
        if (error) reject(error);
        else resolve({ privateKeyPem, publicKeyPem });
      },
    );
  });
}
