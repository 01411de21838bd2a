/** An authenticated Kubernetes user, as `user.Info` in the API server. */
export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  /** Extra attributes; keys lower-case (k8s-protocols §10.1). */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The identity a bearer token stands for. */
export interface TokenUser {
  readonly name: string;
  readonly uid?: string;
  /** Groups besides `system:authenticated`, which is always added. */
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** Adds `system:authenticated` when missing, as the API server's authenticators do. */
export function withAuthenticatedGroup(groups: readonly string[], name: string): string[] {
  const out = [...groups];
  if (name === 'system:anonymous') {
    if (!out.includes('system:unauthenticated')) out.push('system:unauthenticated');
  } else if (!out.includes('system:authenticated')) out.push('system:authenticated');
  return out;
}
