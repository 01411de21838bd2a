/** How a user's account is managed: by Remoteler itself, or by an identity provider. */
export type UserType = 'local' | 'sso';

/** Named lists of strings attached to a user (`external.*` claims, `internal.*` values). */
export type Traits = Readonly<Record<string, readonly string[]>>;

/**
 * Who a certificate holder is, as encoded in a Remoteler user certificate (design §3). Everything
 * the Proxy authorizes on is derived from `roles` and `traits` with the *current* role definitions;
 * `kubernetesUsers`/`kubernetesGroups` are carried for information only.
 */
export interface Identity {
  /** The Remoteler username (certificate CN). Never empty, no control characters. */
  readonly username: string;
  /** Role names (one `O=` RDN each). */
  readonly roles: readonly string[];
  readonly traits: Traits;
  /** The Kubernetes cluster this certificate is pinned to, if any. */
  readonly kubernetesCluster?: string;
  /** The Remoteler cluster that issued the identity (the root, or a leaf for trusted clusters). */
  readonly remotelerCluster?: string;
  /** The address the user logged in from. */
  readonly loginIp?: string;
  readonly userType: UserType;
  /** The connector that authenticated the user (`local`, an OIDC connector name…). */
  readonly connectorId?: string;
  /** Identifies the login session, shared by certificates reissued from it. */
  readonly sessionId?: string;
  readonly mfaVerified: boolean;
  /** Informational snapshot at issue time; never used for authorization. */
  readonly kubernetesUsers: readonly string[];
  /** Informational snapshot at issue time; never used for authorization. */
  readonly kubernetesGroups: readonly string[];
  /** Certificate validity, when the identity was decoded from a certificate. */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}
