// The optional tsyringe composition layer (`@remoteler/core/di`). reflect-metadata must be
// evaluated before tsyringe; container.ts imports it first, and so does this entry.
import 'reflect-metadata';

export {
  createContainer,
  type FactoryRegistrationOptions,
  type RemotelerContainer,
} from './container.js';
export { createToken, type Token } from './token.js';
export {
  AUDIT_SINK,
  CERTIFICATE_AUTHORITY,
  CLOCK,
  CLUSTER_STORE,
  IDENTITY_CONNECTORS,
  LOCK_STORE,
  RECORDING_STORE,
  ROLE_STORE,
  USER_STORE,
} from './tokens.js';
