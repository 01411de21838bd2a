/**
 * The v1 role resource (design §4). Field names follow the YAML form an admin writes, so that a
 * role read back from a store prints exactly as it was written.
 */
export interface Role {
  readonly kind: 'role';
  readonly version: 'v1';
  readonly metadata: RoleMetadata;
  readonly spec: RoleSpec;
}

export interface RoleMetadata {
  readonly name: string;
  readonly description?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Opaque store revision, set by stores; used for optimistic concurrency. */
  readonly revision?: string;
}

export interface RoleSpec {
  readonly options: RoleOptions;
  readonly allow: RoleConditions;
  readonly deny: RoleConditions;
}

export interface RoleOptions {
  /** Longest certificate lifetime this role allows, as a Go-style duration (`8h`, `30m`). */
  readonly max_session_ttl?: string;
}

/** Label values: a single value or a list; each a literal, a `*` glob or a `^regex$`. */
export type LabelSelector = Readonly<Record<string, string | readonly string[]>>;

export interface RoleConditions {
  readonly kubernetes_labels?: LabelSelector;
  readonly kubernetes_groups?: readonly string[];
  readonly kubernetes_users?: readonly string[];
  readonly kubernetes_resources?: readonly KubernetesResourceRule[];
}

export interface KubernetesResourceRule {
  /** Resource kind (`pod`, `deployment`, `namespace`, a CRD plural…) or `*`. */
  readonly kind: string;
  /** API group; empty for the core group, `*` for any. */
  readonly api_group?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, `exec`, `attach`, `portforward`, `log`, or `*`. */
  readonly verbs?: readonly string[];
}
