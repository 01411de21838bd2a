export {
  defineErrors,
  ERROR_CATALOG,
  type ErrorCode,
  type ErrorDefinition,
  errorDefinition,
} from './catalog/index.js';
export { type ErrorCategory, statusForCategory } from './category.js';
export {
  RemotelerError,
  type RemotelerErrorJson,
  type RemotelerErrorOptions,
} from './remoteler-error.js';
