export {
  AUDIT_EVENT_CODES,
  type AuditEvent,
  type AuditEventCode,
  type AuditEventCommon,
  type AuditEventFields,
  type AuditEventOf,
  type AuditEventType,
  assertAuditEvent,
  type CertificateFields,
  type CreateAuditEventOptions,
  createAuditEvent,
  type ResourceChangeFields,
  type SessionFields,
} from './audit-event.js';
export type { Identity, Traits, UserType } from './identity.js';
export {
  type KubeCluster,
  type KubeClusterSpec,
  type KubeUpstream,
  kubeClusterSchema,
  kubeUpstreamSchema,
  parseKubeCluster,
  type SecretReference,
  secretReferenceSchema,
} from './kube-cluster.js';
export {
  isLockInForce,
  type Lock,
  type LockSpec,
  type LockSubject,
  type LockTarget,
  lockApplies,
  lockSchema,
  lockTargetSchema,
  parseLock,
} from './lock.js';
export {
  type RecordingChunk,
  type RecordingEnd,
  type RecordingMetadata,
  type RecordingStart,
  type RecordingStatus,
  recordingEndSchema,
  recordingStartSchema,
} from './recording.js';
export {
  hasControlCharacters,
  type Resource,
  type ResourceMetadata,
  resourceMetadataSchema,
  resourceNameSchema,
  resourceSchema,
  timestampSchema,
} from './resource.js';
export { parseUser, traitsSchema, type User, type UserSpec, type UserStatus, userSchema } from './user.js';
