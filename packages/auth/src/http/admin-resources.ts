import {
  type Identity,
  parseKubeCluster,
  parseLock,
  parseUser,
  RemotelerError,
  type Resource,
  type ResourceStore,
  validateRole,
} from '@remoteler/core';
import type { AuthService } from '../auth-service.js';

/** The resource collections of the admin API, as they appear in `/v1/admin/<kind>`. */
export type AdminKind = 'roles' | 'users' | 'clusters' | 'locks';

export const ADMIN_KINDS: readonly AdminKind[] = ['roles', 'users', 'clusters', 'locks'];

interface KindHandler {
  readonly store: ResourceStore<Resource>;
  /** Validates a body into a resource, every problem at once (the core's own codes). */
  readonly parse: (value: unknown) => Resource;
}

function handler(service: AuthService, kind: AdminKind): KindHandler {
  const o = service.options;
  const table: Record<AdminKind, KindHandler> = {
    roles: { store: o.roles as unknown as ResourceStore<Resource>, parse: validateRole },
    users: { store: o.users as unknown as ResourceStore<Resource>, parse: parseUser },
    clusters: { store: o.clusters as unknown as ResourceStore<Resource>, parse: parseKubeCluster },
    locks: { store: o.locks as unknown as ResourceStore<Resource>, parse: parseLock },
  };
  return table[kind];
}

/** Lists a collection. */
export async function listResources(service: AuthService, kind: AdminKind): Promise<Resource[]> {
  return handler(service, kind).store.list();
}

/** Gets one resource; `RMT_STORE_NOT_FOUND` when absent. */
export async function getResource(service: AuthService, kind: AdminKind, name: string): Promise<Resource> {
  const found = await handler(service, kind).store.get(name);
  if (!found)
    throw new RemotelerError(
      'RMT_STORE_NOT_FOUND',
      `there is no ${kind.slice(0, -1)} ${JSON.stringify(name)}`,
    );
  return found;
}

/**
 * Creates or replaces a resource. The body is validated whole before anything is written (nothing
 * is half-applied); `metadata.revision`, when given, makes the write conditional. Locks are
 * create-only (delete and create again), so every lock in force has one `lock.created` event.
 * Returns the stored resource and whether it was created.
 */
export async function putResource(
  service: AuthService,
  kind: AdminKind,
  name: string,
  body: unknown,
  admin: Identity,
  clientIp: string | undefined,
): Promise<{ resource: Resource; created: boolean }> {
  const { store, parse } = handler(service, kind);
  let resource = parse(body);
  if (resource.metadata.name !== name)
    throw new RemotelerError(
      'RMT_AUTH_RESOURCE_NAME_MISMATCH',
      `the body names ${JSON.stringify(resource.metadata.name)} but the path names ${JSON.stringify(name)}`,
    );
  const now = new Date((service.options.clock ?? Date.now)()).toISOString();
  const revision = resource.metadata.revision;
  const existing = await store.get(name);
  if (kind === 'users') {
    const spec = resource.spec as Record<string, unknown>;
    const createdAt = (existing?.spec as Record<string, unknown> | undefined)?.created_at ?? now;
    resource = { ...resource, spec: { ...spec, created_at: createdAt, updated_at: now } };
  }
  if (kind === 'locks') {
    resource = {
      ...resource,
      spec: { ...(resource.spec as object), created_at: now, created_by: admin.username },
    };
    const stored = await store.create(resource);
    const spec = stored.spec as { target: Record<string, string>; expires?: string };
    await service.audit(
      'lock.created',
      {
        user: admin.username,
        name,
        target: { ...spec.target },
        ...(spec.expires ? { expires: spec.expires } : {}),
      },
      clientIp,
    );
    return { resource: stored, created: true };
  }
  const stored =
    revision !== undefined
      ? await store.update(resource, { expectedRevision: revision })
      : existing
        ? await store.update(resource, { expectedRevision: existing.metadata.revision as string })
        : await store.create(resource);
  const created = existing === undefined;
  const subject = kind === 'roles' ? 'role' : kind === 'users' ? 'user' : 'kube_cluster';
  const event = `${subject}.${created ? 'created' : 'updated'}` as const;
  await service.audit(event, { user: admin.username, name }, clientIp);
  return { resource: stored, created };
}

/** Deletes a resource; `RMT_STORE_NOT_FOUND` when absent. */
export async function deleteResource(
  service: AuthService,
  kind: AdminKind,
  name: string,
  admin: Identity,
  clientIp: string | undefined,
): Promise<void> {
  const { store } = handler(service, kind);
  await store.delete(name);
  const type =
    kind === 'roles'
      ? 'role.deleted'
      : kind === 'users'
        ? 'user.deleted'
        : kind === 'clusters'
          ? 'kube_cluster.deleted'
          : 'lock.deleted';
  await service.audit(type, { user: admin.username, name }, clientIp);
}
