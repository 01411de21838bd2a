import { randomBytes } from 'node:crypto';
import { type Lock, type LockTarget, RemotelerError, type Resource, type User } from '@remoteler/core';
import type { AdminClient } from '../admin/admin-client.js';

/** Options of {@link addUser}. */
export interface AddUserOptions {
  readonly name: string;
  /** Roles granted directly (they must exist to grant anything). */
  readonly roles: readonly string[];
  /** `local` (password login) or `sso` (roles added to that connector's logins). Default `local`. */
  readonly type?: 'local' | 'sso';
  /** For `sso` users: the connector whose logins the resource applies to. */
  readonly connectorId?: string;
}

/** What {@link addUser} made, and the roles it named that Auth does not hold (they grant nothing). */
export interface AddedUser {
  readonly user: User;
  readonly missingRoles: readonly string[];
}

/**
 * `remoteler admin users add`: creates a user resource (never replaces one:
 * `RMT_CLIENT_ADMIN_EXISTS`). The admin API holds no credentials, so this sets no password: a
 * local password lives with the Auth server's local-user connector (see the CLI's note).
 */
export async function addUser(client: AdminClient, options: AddUserOptions): Promise<AddedUser> {
  if (await client.get('users', options.name))
    throw new RemotelerError('RMT_CLIENT_ADMIN_EXISTS', `the user ${JSON.stringify(options.name)} exists`, {
      hint: `Change it with \`remoteler admin get users ${options.name} -o yaml\`, edit, and \`remoteler admin create -f FILE\`; or remove it first.`,
    });
  const roles = await client.list('roles');
  const known = new Set(roles.map((r) => r.metadata.name));
  const user = (await client.put('users', {
    kind: 'user',
    version: 'v1',
    metadata: { name: options.name },
    spec: {
      type: options.type ?? 'local',
      roles: [...options.roles],
      ...(options.connectorId === undefined ? {} : { connector_id: options.connectorId }),
    },
  } as Resource)) as User;
  return { user, missingRoles: options.roles.filter((r) => !known.has(r)) };
}

/** Options of {@link createLock}. */
export interface CreateLockOptions {
  readonly target: LockTarget;
  /** Seconds until the lock stops applying; default: until it is removed. */
  readonly ttlSeconds?: number;
  /** Shown to the locked user: why, and whom to contact. */
  readonly message?: string;
  /** Lock name; default `<user|role|cluster>-<target>-<6 hex digits>`. */
  readonly name?: string;
  /** Clock in ms for the expiry (default Date.now). */
  readonly now?: () => number;
}

/**
 * `remoteler admin lock`: a lock that Auth and the Proxy check on every login, reissue and
 * request, so it applies at once, even to certificates that are still valid.
 */
export async function createLock(client: AdminClient, options: CreateLockOptions): Promise<Lock> {
  const [type, value] = Object.entries(options.target)[0] as [string, string];
  // A random suffix: several locks may target the same user (different reasons, different expiry).
  const name = options.name ?? `${type}-${value}-${randomBytes(3).toString('hex')}`;
  if (await client.get('locks', name))
    throw new RemotelerError('RMT_CLIENT_ADMIN_EXISTS', `a lock ${JSON.stringify(name)} exists`, {
      hint: `Choose another --name, or lift it first with \`remoteler admin unlock ${name}\`.`,
    });
  const now = options.now ?? Date.now;
  return (await client.put('locks', {
    kind: 'lock',
    version: 'v1',
    metadata: { name },
    spec: {
      target: options.target,
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(options.ttlSeconds === undefined
        ? {}
        : { expires: new Date(now() + options.ttlSeconds * 1000).toISOString() }),
    },
  } as Resource)) as Lock;
}
