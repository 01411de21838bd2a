import type { AccessChecker, Identity } from '@remoteler/core';

/**
 * Where the Proxy gets policy decisions: the core policy engine's `AccessCheckerProvider` (or
 * anything with the same `forIdentity`). It is asked on every request, so that checkers are built
 * from the *current* role definitions and a role change applies to the next request.
 */
export interface AccessCheckerSource {
  forIdentity(identity: Identity): AccessChecker;
  /** Calls `listener` after every role change (the provider's `onRolesChanged`); the Proxy then re-checks open sessions. */
  onRolesChanged?(listener: () => void): () => void;
}
