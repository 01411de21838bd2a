export {
  type AccessChecker,
  type AccessCheckerOptions,
  type AccessCheckerSubject,
  type AccessDecision,
  type ClusterTarget,
  createAccessChecker,
  type PrincipalRequest,
  type PrincipalsResult,
} from './access-checker.js';
export {
  type AccessCheckerProvider,
  type AccessCheckerProviderOptions,
  type CheckerIdentity,
  createAccessCheckerProvider,
  type RolesChangedEvent,
} from './access-checker-provider.js';
export { type KubeRequestAttributes, parseKubeRequest } from './kube-request.js';
export type { FilterableObject, ObjectFilter } from './object-filter.js';
export {
  type Claims,
  type ClaimsToRolesMatcher,
  compileClaimsToRoles,
  compileRoleMap,
  type RoleMapMatcher,
} from './role-mapping.js';
