import { createAccessChecker, type Role, type RoleConditions } from '@remoteler/core';
import type { AccessCheckerSource } from '../../src/index.js';

/** A v1 role. */
export function role(name: string, allow: RoleConditions, deny: RoleConditions = {}): Role {
  return { kind: 'role', version: 'v1', metadata: { name }, spec: { options: {}, allow, deny } };
}

/** Every verb on every resource, namespace and name. */
export const EVERYTHING = [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }] as const;

/**
 * Policy from the core engine over a role list that tests may change between requests; each
 * request gets a checker built from the list as it is then (like the store-backed provider).
 */
export function roleAccess(
  roles: () => readonly Role[],
  onRolesChanged?: AccessCheckerSource['onRolesChanged'],
): AccessCheckerSource {
  return {
    ...(onRolesChanged && { onRolesChanged }),
    forIdentity: (identity) =>
      createAccessChecker({
        username: identity.username,
        roles: roles().filter((r) => identity.roles.includes(r.metadata.name)),
        traits: identity.traits,
      }),
  };
}
