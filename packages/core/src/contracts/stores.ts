import type { Role } from '../roles/types.js';
import type { KubeCluster } from '../types/kube-cluster.js';
import type { Lock } from '../types/lock.js';
import type { User } from '../types/user.js';
import type { ResourceStore } from './resource-store.js';

/** Stores `kind: role` resources; implementations validate every write with the role validator. */
export type RoleStore = ResourceStore<Role>;

/** Stores `kind: user` resources (no credentials: those stay with the connector that checks them). */
export type UserStore = ResourceStore<User>;

/** Stores `kind: kube_cluster` resources: the clusters the Proxy serves and how it reaches them. */
export type ClusterStore = ResourceStore<KubeCluster>;

/** Stores `kind: lock` resources, which the Proxy checks on every request. */
export type LockStore = ResourceStore<Lock>;
