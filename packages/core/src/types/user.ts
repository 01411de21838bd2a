import { z } from 'zod';
import { parseWithSchema } from '../config/validation-problems.js';
import type { Traits, UserType } from './identity.js';
import { type Resource, resourceNameSchema, resourceSchema, timestampSchema } from './resource.js';

/** Whether a user may log in. Locks (see `Lock`) are separate and temporary; this is the account state. */
export interface UserStatus {
  /** `disabled` refuses every login of the account. Default `active`. */
  readonly state: 'active' | 'disabled';
  /** Why the account is in this state, for admins. */
  readonly reason?: string;
}

/** The `spec` of a {@link User}. */
export interface UserSpec {
  /** `local` (password managed by Remoteler) or `sso` (created on first SSO login). Default `local`. */
  readonly type: UserType;
  /** Role names granted to the user directly. Default `[]`. */
  readonly roles: readonly string[];
  /** Named string lists available to role templates as `internal.<name>`. Default `{}`. */
  readonly traits: Traits;
  readonly status: UserStatus;
  /** For `sso` users: the connector that created the user. */
  readonly connector_id?: string;
  /** RFC 3339; set by the Auth service when it creates the user. */
  readonly created_at?: string;
  /** RFC 3339; set by the Auth service on every change. */
  readonly updated_at?: string;
}

/**
 * A Remoteler user resource (`kind: user`). Holds no credential: password hashes live with the
 * connector that checks them, so that listing users never exposes one.
 */
export type User = Resource<'user', UserSpec>;

/** Schema of trait maps: names to lists of strings. */
export const traitsSchema = z.record(z.string().min(1).max(253), z.array(z.string()));

/** Schema of a {@link User} resource, with the documented defaults filled in. */
export const userSchema = resourceSchema(
  'user',
  z.strictObject({
    type: z.enum(['local', 'sso']).default('local'),
    roles: z.array(resourceNameSchema).default([]),
    traits: traitsSchema.default({}),
    status: z
      .strictObject({ state: z.enum(['active', 'disabled']), reason: z.string().max(1024).optional() })
      .default({ state: 'active' }),
    connector_id: z.string().min(1).optional(),
    created_at: timestampSchema.optional(),
    updated_at: timestampSchema.optional(),
  }),
);

/**
 * Validates a user resource that came from outside (YAML, JSON, an API body). Throws
 * `RMT_RESOURCE_INVALID` listing every problem with its path.
 */
export function parseUser(value: unknown): User {
  return parseWithSchema(userSchema, value, { code: 'RMT_RESOURCE_INVALID', subject: 'user resource' });
}
