export type {
  ResourceStore,
  ResourceStoreCapabilities,
  ResourceWatch,
  ResourceWatchEvent,
  ResourceWatchOptions,
  ResourceWriteOptions,
  StoredResource,
} from './contracts/resource-store.js';
export * from './errors/index.js';
export type {
  KubernetesResourceRule,
  LabelSelector,
  Role,
  RoleConditions,
  RoleMetadata,
  RoleOptions,
  RoleSpec,
} from './roles/types.js';
export type { Identity, Traits, UserType } from './types/identity.js';
