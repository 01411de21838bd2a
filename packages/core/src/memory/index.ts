export { compareCodePoints } from './compare-code-points.js';
export { MemoryAuditSink, type MemoryAuditSinkOptions } from './memory-audit-sink.js';
export { MemoryRecordingStore } from './memory-recording-store.js';
export { MemoryResourceStore, type MemoryResourceStoreOptions } from './memory-resource-store.js';
export { MemoryRoleStore, type MemoryRoleStoreOptions } from './memory-role-store.js';
export {
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  type MemoryTypedStoreOptions,
} from './typed-stores.js';
