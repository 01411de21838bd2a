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
export {
  anyOfMatchers,
  builtinKind,
  compilePattern,
  expandTemplate,
  parseGoDuration,
  parseRoles,
  parseTemplate,
  patternProblem,
  RULE_VERBS,
  validateRole,
  VERB_SUBRESOURCES,
} from './roles/index.js';
export type {
  BuiltinKind,
  ClaimMapping,
  ParseRolesOptions,
  PatternMatcher,
  RoleMapping,
  RoleProblem,
  RoleTemplate,
  TemplateExpression,
  TemplateParseResult,
} from './roles/index.js';
