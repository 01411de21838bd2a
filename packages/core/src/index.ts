// --- core contracts, types, plugins (core helper) ---
export * from './config/index.js';
export * from './connectors/index.js';
export type {
  AuditSearchQuery,
  AuditSearchResult,
  AuditSink,
  AuditSinkCapabilities,
} from './contracts/audit-sink.js';
export type {
  CaKeyAlgorithm,
  CaKeyRecord,
  CaKeySet,
  CaKeySetWriteOptions,
  CaKeyStore,
  CaKeyStoreCapabilities,
  CaKind,
  CaRotationPhase,
  CaRotationStatus,
  CertificateAuthority,
  CertificateAuthorityCapabilities,
  CertificateDecodeOptions,
  CertificateIdentityDecoder,
  DecodedHostCertificate,
  DecodedUserCertificate,
  HostCertificateRequest,
  HostIdentity,
  HostRole,
  IssuedCertificate,
  PublicJwk,
  SubjectPublicKeyInput,
  TrustedCaInfo,
  UserCertificateRequest,
} from './contracts/certificate-authority.js';
export {
  type BeginLoginRequest,
  type BeginLoginResult,
  type CompleteLoginRequest,
  type ExternalIdentity,
  type IdentityConnector,
  type IdentityConnectorCapabilities,
  type LoginSession,
  type PasswordLoginConnector,
  type RedirectLoginConnector,
  supportsPasswordLogin,
  supportsRedirectLogin,
} from './contracts/identity-connector.js';
export type {
  RecordingListQuery,
  RecordingStore,
  RecordingStoreCapabilities,
  RecordingWriter,
} from './contracts/recording-store.js';
export type {
  ResourceStore,
  ResourceStoreCapabilities,
  ResourceWatch,
  ResourceWatchEvent,
  ResourceWatchOptions,
  ResourceWriteOptions,
  StoredResource,
} from './contracts/resource-store.js';
export type { ClusterStore, LockStore, RoleStore, UserStore } from './contracts/stores.js';
export { createToken, type Token } from './di/token.js';
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
} from './di/tokens.js';
export * from './errors/index.js';
export * from './events/index.js';
export * from './memory/index.js';
export type {
  AccessChecker,
  AccessCheckerOptions,
  AccessCheckerProvider,
  AccessCheckerProviderOptions,
  AccessCheckerSubject,
  AccessDecision,
  CheckerIdentity,
  Claims,
  ClaimsToRolesMatcher,
  ClusterTarget,
  FilterableObject,
  KubeRequestAttributes,
  ObjectFilter,
  PrincipalRequest,
  PrincipalsResult,
  RoleMapMatcher,
  RolesChangedEvent,
} from './policy/index.js';
export {
  compileClaimsToRoles,
  compileRoleMap,
  createAccessChecker,
  createAccessCheckerProvider,
  parseKubeRequest,
} from './policy/index.js';
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
  VERB_SUBRESOURCES,
  validateRole,
} from './roles/index.js';
export type {
  KubernetesResourceRule,
  LabelSelector,
  Role,
  RoleConditions,
  RoleMetadata,
  RoleOptions,
  RoleSpec,
} from './roles/types.js';
export * from './types/audit-event.js';
export type { Identity, Traits, UserType } from './types/identity.js';
export * from './types/kube-cluster.js';
export * from './types/lock.js';
export * from './types/parse-resources.js';
export * from './types/recording.js';
export * from './types/resource.js';
export * from './types/user.js';
