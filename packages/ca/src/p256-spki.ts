// Fast acceptance of the most common key a Remoteler client sends: an ECDSA P-256 SPKI with an
// uncompressed point. node:crypto's createPublicKey + export round trip costs more than signing a
// whole certificate (it goes through OpenSSL's decoder machinery), so for this one shape the SPKI
// is checked here: exact DER prefix, then the point is on the curve (SEC 1 §3.2.2.1), which is
// what OpenSSL's import would have checked. Anything else takes the general path.

/** DER of `SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (66 bytes: 0x00 0x04 …) }` up to the point. */
const PREFIX = Uint8Array.from(Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'));

/** Length of a P-256 SPKI with an uncompressed point. */
export const P256_SPKI_LENGTH = PREFIX.length + 65;

// Curve parameters of P-256 (NIST SP 800-186 §3.2.1.3 / SEC 2 §2.4.2).
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

/**
 * True when `der` is exactly a P-256 SPKI with an uncompressed point that lies on the curve (and so
 * is not the point at infinity, which has no uncompressed encoding).
 */
export function isValidP256Spki(der: Uint8Array): boolean {
  if (der.length !== P256_SPKI_LENGTH) return false;
  for (let i = 0; i < PREFIX.length; i++) if (der[i] !== PREFIX[i]) return false;
  if (der[PREFIX.length] !== 0x04) return false;
  const x = toBigInt(der.subarray(PREFIX.length + 1, PREFIX.length + 33));
  const y = toBigInt(der.subarray(PREFIX.length + 33));
  if (x >= P || y >= P) return false;
  // y^2 = x^3 - 3x + b (mod p)
  const left = (y * y) % P;
  const right = (((((x * x) % P) * x) % P) - 3n * x + B) % P;
  return left === (right + P) % P;
}
