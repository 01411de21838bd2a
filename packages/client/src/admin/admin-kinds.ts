import type { ResourceKind } from '@remoteler/core';

/** The resource collections of the Auth admin API, as they appear in `/v1/admin/<collection>`. */
export type AdminCollection = 'roles' | 'users' | 'clusters' | 'locks';

/** Every collection, in the order `remoteler admin get` lists them. */
export const ADMIN_COLLECTIONS: readonly AdminCollection[] = Object.freeze([
  'roles',
  'users',
  'clusters',
  'locks',
]);

const KIND_OF: Readonly<Record<AdminCollection, ResourceKind>> = Object.freeze({
  roles: 'role',
  users: 'user',
  clusters: 'kube_cluster',
  locks: 'lock',
});

// What a person may type: the collection, the resource `kind`, or either's singular/plural.
const ALIASES: Readonly<Record<string, AdminCollection>> = Object.freeze({
  role: 'roles',
  roles: 'roles',
  user: 'users',
  users: 'users',
  kube_cluster: 'clusters',
  kube_clusters: 'clusters',
  cluster: 'clusters',
  clusters: 'clusters',
  lock: 'locks',
  locks: 'locks',
});

/** The collection a word names (`role`, `roles`, `kube_cluster`, `cluster`…), or `undefined`. */
export function collectionOf(word: string): AdminCollection | undefined {
  return Object.hasOwn(ALIASES, word) ? ALIASES[word] : undefined;
}

/** The `kind` a resource of the collection carries in YAML (`clusters` -> `kube_cluster`). */
export function resourceKindOf(collection: AdminCollection): ResourceKind {
  return KIND_OF[collection];
}

/** The collection holding resources of `kind`. */
export function collectionOfKind(kind: ResourceKind): AdminCollection {
  return (Object.keys(KIND_OF) as AdminCollection[]).find((c) => KIND_OF[c] === kind) as AdminCollection;
}
