import type { RoleStore } from '../contracts/stores.js';
import type { StoreEvents } from '../events/store-events.js';
import type { TypedEventBus } from '../events/typed-event-bus.js';
import { validateRole } from '../roles/index.js';
import type { Role } from '../roles/types.js';
import { MemoryResourceStore } from './memory-resource-store.js';

/** Options for {@link MemoryRoleStore}. */
export interface MemoryRoleStoreOptions {
  /** Validates every written role. Default: the core role validator (`validateRole`). */
  readonly validate?: (value: unknown) => Role;
  readonly events?: TypedEventBus<StoreEvents>;
}

/**
 * A {@link RoleStore} in process memory. Every write goes through the role validator, so a role
 * read back is always one the policy engine accepts; a refused role is RMT_STORE_INVALID with the
 * validator's problems (paths included) in `details.problems`.
 */
export class MemoryRoleStore extends MemoryResourceStore<Role> implements RoleStore {
  constructor(options: MemoryRoleStoreOptions = {}) {
    super({
      kind: 'role',
      validate: options.validate ?? validateRole,
      ...(options.events ? { events: options.events } : {}),
    });
  }
}
