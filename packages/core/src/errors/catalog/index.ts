import { AUDIT_ERRORS } from './audit.js';
import { AUDIT_STORAGE_ERRORS } from './audit-storage.js';
import { AUTH_ERRORS } from './auth.js';
import { CA_ERRORS } from './ca.js';
import { CLIENT_ERRORS } from './client.js';
import { CONNECTOR_ERRORS } from './connector.js';
import { CORE_ERRORS } from './core.js';
import type { ErrorDefinition } from './define.js';
import { DI_ERRORS } from './di.js';
import { OIDC_ERRORS } from './oidc.js';
import { OPS_ERRORS } from './ops.js';
import { POLICY_ERRORS } from './policy.js';
import { PROXY_ERRORS } from './proxy.js';
import { RECORDING_ERRORS } from './recording.js';
import { ROLE_ERRORS } from './role.js';
import { SERVER_ERRORS } from './server.js';
import { STORE_ERRORS } from './store.js';
import { TESTKIT_ERRORS } from './testkit.js';
import { TESTKIT_STREAMS_ERRORS } from './testkit-streams.js';
import { WIRE_ERRORS } from './wire.js';

export type { ErrorDefinition } from './define.js';
export { defineErrors } from './define.js';

/**
 * Every error code Remoteler can produce, across all packages. Each area keeps its codes in its own
 * file of this folder so that the list stays one list (docs/errors.md mirrors it).
 */
export const ERROR_CATALOG = Object.freeze({
  ...CORE_ERRORS,
  ...CA_ERRORS,
  ...PROXY_ERRORS,
  ...STORE_ERRORS,
  ...RECORDING_ERRORS,
  ...DI_ERRORS,
  ...CONNECTOR_ERRORS,
  ...AUDIT_ERRORS,
  ...AUDIT_STORAGE_ERRORS,
  ...TESTKIT_ERRORS,
  ...ROLE_ERRORS,
  ...POLICY_ERRORS,
  ...TESTKIT_STREAMS_ERRORS,
  ...WIRE_ERRORS,
  ...AUTH_ERRORS,
  ...OIDC_ERRORS,
  ...CLIENT_ERRORS,
  ...SERVER_ERRORS,
  ...OPS_ERRORS,
});

/** A stable error code such as `RMT_CA_CSR_SIGNATURE_INVALID`. */
export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Looks up a code's definition; `undefined` for codes that are not in the catalog. */
export function errorDefinition(code: string): ErrorDefinition | undefined {
  return (ERROR_CATALOG as Record<string, ErrorDefinition>)[code];
}
