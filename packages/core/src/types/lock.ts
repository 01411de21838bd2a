import { z } from 'zod';
import { parseWithSchema } from '../config/validation-problems.js';
import { type Resource, resourceNameSchema, resourceSchema, timestampSchema } from './resource.js';

/** What a lock blocks: every certificate of a user, every holder of a role, or a whole cluster. */
export type LockTarget = { readonly user: string } | { readonly role: string } | { readonly cluster: string };

/** The `spec` of a {@link Lock}. */
export interface LockSpec {
  readonly target: LockTarget;
  /** Shown to the blocked user; must say why and whom to contact. */
  readonly message?: string;
  /** RFC 3339; the lock stops applying at this instant. Absent: until deleted. */
  readonly expires?: string;
  readonly created_at?: string;
  /** The admin who created the lock. */
  readonly created_by?: string;
}

/**
 * A lock (`kind: lock`): blocks requests at once, even from certificates that are still valid.
 * The Proxy checks locks on every request.
 */
export type Lock = Resource<'lock', LockSpec>;

/** Schema of a {@link LockTarget}: exactly one of `user`, `role`, `cluster`. */
export const lockTargetSchema = z.union(
  [
    z.strictObject({ user: resourceNameSchema }),
    z.strictObject({ role: resourceNameSchema }),
    z.strictObject({ cluster: resourceNameSchema }),
  ],
  { error: 'must name exactly one of user, role or cluster, e.g. { user: alice }' },
);

/** Schema of a {@link Lock} resource. */
export const lockSchema = resourceSchema(
  'lock',
  z.strictObject({
    target: lockTargetSchema,
    message: z.string().max(1024).optional(),
    expires: timestampSchema.optional(),
    created_at: timestampSchema.optional(),
    created_by: z.string().min(1).optional(),
  }),
);

/** Validates a lock resource that came from outside. Throws `RMT_RESOURCE_INVALID` listing every problem. */
export function parseLock(value: unknown): Lock {
  return parseWithSchema(lockSchema, value, { code: 'RMT_RESOURCE_INVALID', subject: 'lock resource' });
}

/** Who is asking, as far as locks are concerned. */
export interface LockSubject {
  readonly user: string;
  readonly roles: readonly string[];
  /** The Kubernetes cluster the request goes to, when known. */
  readonly cluster?: string;
}

/** True while the lock applies: it has no expiry, or `now` (ms since the epoch) is before it. */
export function isLockInForce(lock: Lock, now: number): boolean {
  if (lock.spec.expires === undefined) return true;
  const expires = Date.parse(lock.spec.expires);
  // An unparseable expiry cannot come from a validated lock; treat it as in force (fail closed).
  return Number.isNaN(expires) || now < expires;
}

/** True when the lock is in force at `now` and targets the subject's user, one of its roles, or its cluster. */
export function lockApplies(lock: Lock, subject: LockSubject, now: number): boolean {
  if (!isLockInForce(lock, now)) return false;
  const target = lock.spec.target;
  if ('user' in target) return target.user === subject.user;
  if ('role' in target) return subject.roles.includes(target.role);
  return subject.cluster !== undefined && target.cluster === subject.cluster;
}
