// `@remoteler/core/testing`: the conformance suites every plugin runs (vitest is an optional peer
// dependency, needed only by packages that import this entry from their tests).
export {
  type AuditSinkConformanceOptions,
  type AuditSinkFixture,
  describeAuditSinkConformance,
} from './audit-sink-conformance.js';
export { expectRemotelerError } from './expect-code.js';
export {
  describeIdentityConnectorConformance,
  describePasswordConnectorConformance,
  expectWellFormedIdentity,
  type IdentityConnectorConformanceOptions,
  type IdentityConnectorFixture,
  type PasswordConnectorConformanceOptions,
  type PasswordConnectorFixture,
  type RedirectLoginDriver,
} from './identity-connector-conformance.js';
export {
  describeRecordingStoreConformance,
  type RecordingStoreConformanceOptions,
  type RecordingStoreFixture,
} from './recording-store-conformance.js';
export {
  describeResourceStoreConformance,
  type ResourceStoreConformanceOptions,
  type ResourceStoreFixture,
} from './resource-store-conformance.js';
export { sampleAuditEvents } from './sample-audit-events.js';
