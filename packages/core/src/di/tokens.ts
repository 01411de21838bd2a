import type { Clock } from '../config/clock.js';
import type { AuditSink } from '../contracts/audit-sink.js';
import type { CertificateAuthority } from '../contracts/certificate-authority.js';
import type { IdentityConnector } from '../contracts/identity-connector.js';
import type { RecordingStore } from '../contracts/recording-store.js';
import type { ClusterStore, LockStore, RoleStore, UserStore } from '../contracts/stores.js';
import { createToken } from './token.js';

/** The role store. */
export const ROLE_STORE = createToken<RoleStore>('remoteler.role-store');
/** The user store. */
export const USER_STORE = createToken<UserStore>('remoteler.user-store');
/** The kube_cluster store. */
export const CLUSTER_STORE = createToken<ClusterStore>('remoteler.cluster-store');
/** The lock store. */
export const LOCK_STORE = createToken<LockStore>('remoteler.lock-store');
/** The audit sink. */
export const AUDIT_SINK = createToken<AuditSink>('remoteler.audit-sink');
/** The session recording store. */
export const RECORDING_STORE = createToken<RecordingStore>('remoteler.recording-store');
/** Every identity connector the Auth service offers, in display order. */
export const IDENTITY_CONNECTORS = createToken<readonly IdentityConnector[]>('remoteler.identity-connectors');
/** The time source (ms since the epoch). */
export const CLOCK = createToken<Clock>('remoteler.clock');
/** The certificate authority (user and host CAs). */
export const CERTIFICATE_AUTHORITY = createToken<CertificateAuthority>('remoteler.certificate-authority');
