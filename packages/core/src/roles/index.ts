export { parseGoDuration } from './duration.js';
export { type BuiltinKind, builtinKind, RULE_VERBS, VERB_SUBRESOURCES } from './kinds.js';
export { type ParseRolesOptions, parseRoles, type RoleProblem, validateRole } from './parse-roles.js';
export {
  anyOfMatchers,
  compilePattern,
  escapeRegex,
  globToRegexSource,
  isRegexPattern,
  literalMatcher,
  type PatternMatcher,
  patternProblem,
} from './pattern.js';
export { ROLE_NAME, roleSchema } from './schema.js';
export {
  expandTemplate,
  parseTemplate,
  type RoleTemplate,
  type TemplateExpression,
  type TemplateParseResult,
} from './template.js';
export type {
  ClaimMapping,
  KubernetesResourceRule,
  LabelSelector,
  Role,
  RoleConditions,
  RoleMapping,
  RoleMetadata,
  RoleOptions,
  RoleSpec,
} from './types.js';
