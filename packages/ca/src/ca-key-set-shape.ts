import type { CaKeyRecord, CaKeySet } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import { CA_KEY_ALGORITHMS } from './key-algorithms.js';

const PHASES = ['standby', 'init', 'update-clients'];

function corrupt(message: string): RemotelerError {
  return new RemotelerError('RMT_CA_KEY_STORE_CORRUPT', message);
}

function isRecord(value: unknown, kind: string): value is CaKeyRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    r.kind === kind &&
    CA_KEY_ALGORITHMS.includes(r.algorithm as never) &&
    typeof r.privateKeyPem === 'string' &&
    typeof r.certificatePem === 'string' &&
    typeof r.createdAt === 'string'
  );
}

/**
 * Checks that stored data has the {@link CaKeySet} shape (the key material itself is checked when
 * the authority loads it) and returns a frozen copy; `RMT_CA_KEY_STORE_CORRUPT` otherwise.
 */
export function checkCaKeySet(value: unknown, kind: string): CaKeySet {
  if (typeof value !== 'object' || value === null) throw corrupt(`the stored ${kind} CA is not an object`);
  const set = value as Record<string, unknown>;
  if (set.kind !== kind) throw corrupt(`the stored ${kind} CA names kind ${String(set.kind)}`);
  if (typeof set.clusterName !== 'string' || set.clusterName === '')
    throw corrupt(`the stored ${kind} CA has no cluster name`);
  if (!PHASES.includes(set.phase as string))
    throw corrupt(`the stored ${kind} CA has an unknown rotation phase`);
  if (!Array.isArray(set.keys) || set.keys.length === 0 || !set.keys.every((k) => isRecord(k, kind)))
    throw corrupt(`the stored ${kind} CA has missing or malformed keys`);
  const keys = set.keys as CaKeyRecord[];
  if (!keys.some((k) => k.id === set.signingKeyId))
    throw corrupt(`the stored ${kind} CA signs with a key it does not hold`);
  // Only the known fields, so nothing unexpected (a stale `revision`) is ever persisted.
  return Object.freeze({
    kind: kind as CaKeySet['kind'],
    clusterName: set.clusterName,
    signingKeyId: set.signingKeyId as string,
    phase: set.phase as CaKeySet['phase'],
    keys: Object.freeze(
      keys.map((k) =>
        Object.freeze({
          id: k.id,
          kind: k.kind,
          algorithm: k.algorithm,
          privateKeyPem: k.privateKeyPem,
          certificatePem: k.certificatePem,
          createdAt: k.createdAt,
        }),
      ),
    ),
  });
}

/** The set with its store revision attached. */
export function withRevision(set: CaKeySet, revision: string): CaKeySet {
  return Object.freeze({ ...set, revision });
}

/** `RMT_CA_KEY_STORE_CONFLICT` for a conditional write whose expectation failed. */
export function conflict(kind: string, expected: string | null): RemotelerError {
  return new RemotelerError(
    'RMT_CA_KEY_STORE_CONFLICT',
    expected === null
      ? `a ${kind} CA is already stored`
      : `the stored ${kind} CA is no longer at revision ${expected}`,
    { details: { kind, expectedRevision: expected } },
  );
}
