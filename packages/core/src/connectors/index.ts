export {
  LocalUserConnector,
  type LocalUserConnectorOptions,
  type LocalUserEntry,
  type LocalUserLookup,
  type LockoutOptions,
} from './local-user-connector.js';
export {
  DEFAULT_SCRYPT_COST,
  type HashPasswordOptions,
  hashPassword,
  type ParsedPasswordHash,
  parsePasswordHash,
  type ScryptCost,
  verifyPassword,
} from './password-hash.js';
