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

/** A role's identity: its name (unique in a role store) and bookkeeping. */
export interface RoleMetadata {
  /** Letters, digits, `.`, `_`, `-` and `@`, starting with a letter or digit; at most 128 characters. */
  readonly name: string;
  readonly description?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Opaque store revision, set by stores; used for optimistic concurrency. */
  readonly revision?: string;
}

/** What a role allows and denies, and its options. */
export interface RoleSpec {
  /** Defaults to `{}` when a role omits it. */
  readonly options: RoleOptions;
  /** Defaults to `{}` (grants nothing) when a role omits it. */
  readonly allow: RoleConditions;
  /** Defaults to `{}` (denies nothing) when a role omits it. */
  readonly deny: RoleConditions;
}

/** Limits a role puts on the certificates of the users who hold it. */
export interface RoleOptions {
  /**
   * Longest certificate lifetime this role allows, as a Go-style duration (`8h`, `30m`, `1h30m`,
   * `1.5h`; units ns, us, µs, ms, s, m, h). The smallest value among a user's roles wins.
   */
  readonly max_session_ttl?: string;
}

/**
 * Cluster labels a role matches: every key listed must be present on the cluster with a value that
 * matches one of the listed values. Each value is a literal, a `*` glob or a `^regex$`; the single
 * entry `'*': '*'` matches every cluster, including one without labels (beside other keys it adds
 * nothing: those keys still apply). Values may hold templates (`{{external.env}}`) whose expanded
 * values are always literals.
 */
export type LabelSelector = Readonly<Record<string, string | readonly string[]>>;

/**
 * One side (`allow` or `deny`) of a role. Under `deny`, users, groups and resources apply on every
 * cluster whatever `kubernetes_labels` say, and matching labels deny the whole cluster.
 */
export interface RoleConditions {
  /** Which clusters the conditions apply to. In `allow`, an empty or missing selector matches nothing. */
  readonly kubernetes_labels?: LabelSelector;
  /** Kubernetes groups to impersonate. Literals or templates in `allow`; patterns allowed in `deny`. */
  readonly kubernetes_groups?: readonly string[];
  /**
   * Kubernetes users to impersonate. Literals or templates in `allow`; patterns allowed in `deny`.
   * When no role grants a user but some grant a group, the Remoteler username is impersonated.
   */
  readonly kubernetes_users?: readonly string[];
  /** Which Kubernetes objects and verbs; see {@link KubernetesResourceRule}. */
  readonly kubernetes_resources?: readonly KubernetesResourceRule[];
}

/** Which Kubernetes objects and verbs a role allows or denies. */
export interface KubernetesResourceRule {
  /**
   * A built-in kind in singular or plural form (`pod`/`pods`, `deployment`, `namespace`…), a
   * `resource/subresource` pair (`pods/status`, `deployments/scale`), the plural resource name of a
   * custom resource (`crontabs`, with `api_group`), or `*` for every resource and subresource.
   * `namespace` is special: the rule grants its verbs on the namespace objects named by `name` and on
   * every namespaced resource inside them.
   */
  readonly kind: string;
  /**
   * API group: `''` for the core group, `*` for any. Defaults to the built-in kind's group (`apps`
   * for `deployment`), and to `*` for `kind: '*'`; required for custom resources.
   */
  readonly api_group?: string;
  /**
   * Namespace pattern (literal, `*` glob or `^regex$`; templates allowed). Required for namespaced
   * built-in kinds; refused for cluster-scoped ones. For `*` and custom kinds, omitted means
   * cluster-scoped objects only, and `*` matches every namespace and the cluster scope.
   */
  readonly namespace?: string;
  /** Object name pattern (literal, `*` glob or `^regex$`; templates allowed). Defaults to `*`. */
  readonly name?: string;
  /**
   * `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, `exec`,
   * `attach`, `portforward`, `log`, or `*` for all. Required and non-empty.
   */
  readonly verbs: readonly string[];
}

/**
 * One `claims_to_roles` entry of an identity connector: when the claim `claim` has a value that
 * matches `value` (a literal, a `*` glob or a `^regex$`), the user gets `roles`. With a regex,
 * `$1`…`$9` in a role name are replaced by the regex's capture groups.
 */
export interface ClaimMapping {
  readonly claim: string;
  readonly value: string;
  readonly roles: readonly string[];
}

/**
 * One `role_map` entry of a trusted (leaf) cluster: a remote role matching `remote` (literal, `*`
 * glob or `^regex$`) maps to the local roles `local` (`$1`… expand regex capture groups).
 */
export interface RoleMapping {
  readonly remote: string;
  readonly local: readonly string[];
}
