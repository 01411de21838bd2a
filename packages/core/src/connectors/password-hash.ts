import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { RemotelerError } from '../errors/remoteler-error.js';

/** scrypt cost parameters (RFC 7914 §2). Memory used is about 128 × 2^logN × r bytes. */
export interface ScryptCost {
  /** log2 of the CPU/memory cost N. Default 17 (N = 131072, about 128 MiB with r = 8). */
  readonly logN: number;
  /** Block size. Default 8. */
  readonly r: number;
  /** Parallelism. Default 1. */
  readonly p: number;
}

/** The production default, OWASP's recommended scrypt setting (N=2^17, r=8, p=1). */
export const DEFAULT_SCRYPT_COST: ScryptCost = Object.freeze({ logN: 17, r: 8, p: 1 });

// Bounds on what a stored hash may ask for: a hash string comes from configuration, and a huge
// N or r would turn every login into a memory/CPU exhaustion.
const MAX_LOG_N = 22;
const MAX_R = 32;
const MAX_P = 16;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** Options for {@link hashPassword}. */
export interface HashPasswordOptions {
  /** Default {@link DEFAULT_SCRYPT_COST}. Lower only in tests. */
  readonly cost?: ScryptCost;
}

/**
 * Hashes a password with scrypt and a fresh 16-byte random salt. Returns a self-describing string
 * in the PHC string format, `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (unpadded base64), that can be
 * put in a configuration file and verified later with {@link verifyPassword}.
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  const cost = options.cost ?? DEFAULT_SCRYPT_COST;
  checkCost(cost);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost, KEY_BYTES);
  return `$scrypt$ln=${cost.logN},r=${cost.r},p=${cost.p}$${b64(salt)}$${b64(key)}`;
}

/** A parsed password hash string. */
export interface ParsedPasswordHash {
  readonly cost: ScryptCost;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

/**
 * Parses a hash made by {@link hashPassword}. Throws RMT_AUTH_PASSWORD_HASH_INVALID for anything
 * else, or for cost parameters beyond the safe bounds (logN ≤ 22, r ≤ 32, p ≤ 16). The message
 * never contains the hash.
 */
export function parsePasswordHash(encoded: string): ParsedPasswordHash {
  const match = typeof encoded === 'string' ? PHC.exec(encoded) : null;
  if (match === null)
    throw new RemotelerError(
      'RMT_AUTH_PASSWORD_HASH_INVALID',
      'the password hash is not of the form $scrypt$ln=<n>,r=<r>,p=<p>$<salt>$<hash>',
    );
  const cost = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  checkCost(cost);
  return { cost, salt: Buffer.from(match[4]!, 'base64'), key: Buffer.from(match[5]!, 'base64') };
}

/**
 * True when `password` matches the hash. The comparison is constant-time (timingSafeEqual), so
 * how much of the hash matched does not show in the response time.
 */
export async function verifyPassword(
  password: string,
  encoded: string | ParsedPasswordHash,
): Promise<boolean> {
  const parsed = typeof encoded === 'string' ? parsePasswordHash(encoded) : encoded;
  const key = await derive(password, parsed.salt, parsed.cost, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

function derive(password: string, salt: Buffer, cost: ScryptCost, length: number): Promise<Buffer> {
  const N = 2 ** cost.logN;
  // Passwords are compared after Unicode normalization (RFC 8265 §4.2, OpaqueString uses NFC) so
  // that "é" typed as one code point or as e + combining accent is the same password.
  const normalized = password.normalize('NFC');
  return new Promise((resolve, reject) => {
    // Node refuses scrypt above 32 MiB unless maxmem allows it; the bound above keeps this finite.
    scrypt(
      normalized,
      salt,
      length,
      { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

function checkCost(cost: ScryptCost): void {
  const ok =
    Number.isInteger(cost.logN) &&
    cost.logN >= 1 &&
    cost.logN <= MAX_LOG_N &&
    Number.isInteger(cost.r) &&
    cost.r >= 1 &&
    cost.r <= MAX_R &&
    Number.isInteger(cost.p) &&
    cost.p >= 1 &&
    cost.p <= MAX_P;
  if (!ok)
    throw new RemotelerError(
      'RMT_AUTH_PASSWORD_HASH_INVALID',
      `scrypt cost must have logN 1-${MAX_LOG_N}, r 1-${MAX_R}, p 1-${MAX_P}`,
      { details: { cost } },
    );
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
