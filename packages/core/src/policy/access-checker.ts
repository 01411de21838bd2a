import { RemotelerError } from '../errors/index.js';
import { parseGoDuration } from '../roles/duration.js';
import type { PatternMatcher } from '../roles/pattern.js';
import { parseTemplate } from '../roles/template.js';
import type { Role, RoleConditions } from '../roles/types.js';
import type { Traits } from '../types/identity.js';
import { compileRoleValue, expandPrincipal } from './compile-value.js';
import type { KubeRequestAttributes } from './kube-request.js';
import { compileLabelSelector, type LabelMatcher } from './label-matcher.js';
import {
  addRuleToIndex,
  type FilterableObject,
  NamespaceNameIndex,
  type ObjectFilter,
} from './object-filter.js';
import {
  type CompiledResourceRule,
  compileResourceRule,
  type ResourceTarget,
  ruleAllowsVerb,
  ruleCoversCollection,
  ruleMatchesAnyName,
  ruleMatchesObject,
  ruleMayMatchCollection,
} from './resource-rule.js';
import { RuleIndex } from './rule-index.js';

/** The cluster facts a decision needs: its name and labels (a `kube_cluster` resource's metadata). */
export interface ClusterTarget {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** Who the checker decides for. `roles` are the resolved definitions of the identity's role names. */
export interface AccessCheckerSubject {
  /** The Remoteler username; impersonated when roles grant groups but no Kubernetes user. */
  readonly username: string;
  readonly roles: readonly Role[];
  readonly traits: Traits;
}

/** Options for {@link createAccessChecker}. */
export interface AccessCheckerOptions {
  /**
   * The `max_session_ttl` of a role that sets none, in milliseconds. Default 12 hours (Teleport
   * uses 30 hours; Remoteler prefers shorter certificates).
   */
  readonly defaultMaxSessionTtlMs?: number;
}

/** An allow/deny answer. Denials carry a `RemotelerError` (403) whose message names what was refused. */
export type AccessDecision =
  | {
      readonly allowed: true;
      /** For list/watch: whether results must go through {@link AccessChecker.objectFilter}. */
      readonly filter: boolean;
    }
  | { readonly allowed: false; readonly error: RemotelerError };

/** The Kubernetes principals to impersonate, or why there are none. */
export type PrincipalsResult =
  | {
      readonly ok: true;
      /** The `Impersonate-User` value. */
      readonly user: string;
      /** `Impersonate-Group` values, sorted, always including `system:authenticated`. */
      readonly groups: readonly string[];
    }
  | { readonly ok: false; readonly error: RemotelerError };

/** What kubectl asked for with `--as` / `--as-group` (the client's `Impersonate-*` headers). */
export interface PrincipalRequest {
  readonly requestedUser?: string | undefined;
  readonly requestedGroups?: readonly string[] | undefined;
  /**
   * The request the principals are for. When given (a resource request), only roles with an allow
   * rule that matches it contribute users and groups (design §4: "roles whose labels and resources
   * match"), so Kubernetes RBAC sees no more groups than this request needs. Omitted: every role
   * whose labels match the cluster contributes.
   */
  readonly attributes?: KubeRequestAttributes | undefined;
}

/**
 * Decisions for one user (roles + traits), pure and precompiled: every pattern and template is
 * compiled at construction and per-cluster views are cached, so a decision parses nothing.
 *
 * Semantics (design §4, Teleport's role model in spirit):
 * - A cluster is allowed when some role's `allow.kubernetes_labels` match its labels and no role's
 *   `deny.kubernetes_labels` do (deny wins).
 * - `deny.kubernetes_users/groups/resources` apply on every cluster, whatever the deny labels (so a
 *   deny rule can never be scoped away by a label mismatch: fail closed).
 * - Principals, resources: the union over roles whose allow labels match the cluster, minus deny.
 */
export interface AccessChecker {
  readonly username: string;
  /** Names of the roles the checker was built from, in the given order. */
  readonly roleNames: readonly string[];
  /** Whether the user may use the cluster at all (labels; deny wins). */
  canAccessCluster(cluster: ClusterTarget): boolean;
  /** {@link canAccessCluster} with the reason: `RMT_POLICY_CLUSTER_DENIED` naming the deny role. */
  checkCluster(cluster: ClusterTarget): AccessDecision;
  /**
   * The users and groups allowed on the cluster before any `--as` narrowing (for `kube ls`); users
   * include the username fallback when it applies. Both empty when the cluster is denied.
   */
  allowedPrincipals(cluster: ClusterTarget): {
    readonly users: readonly string[];
    readonly groups: readonly string[];
  };
  /**
   * The user and groups to impersonate. Groups granted but no user: the Remoteler username (never a
   * `system:` name). No user and no group: `RMT_POLICY_NO_PRINCIPALS`. Several users and no
   * `requestedUser`: `RMT_POLICY_USER_AMBIGUOUS`. A requested user or group outside the allowed set:
   * `RMT_POLICY_IMPERSONATION_DENIED`. `system:authenticated` is always added to the groups.
   */
  kubernetesPrincipals(cluster: ClusterTarget, request?: PrincipalRequest): PrincipalsResult;
  /**
   * Whether a request is allowed by `kubernetes_resources`. Named objects are checked exactly.
   * Collections: `list`/`watch` are allowed when some object could be allowed (then filtered, see
   * `filter`); `deletecollection` only when every object of the collection is allowed; `create`
   * without a name only when a rule allows any name and no deny rule could match (pass the body's
   * `metadata.name` in `attributes.name` for an exact check). Non-resource requests: discovery and
   * health paths (`/api`, `/apis/…`, `/version`, `/openapi/…`, `/healthz`…) with GET/HEAD are
   * allowed on an allowed cluster; other non-resource paths (`/metrics`, `/logs`…) need a rule
   * granting `kind: '*'` on every namespace and name.
   */
  checkRequest(cluster: ClusterTarget, attributes: KubeRequestAttributes): AccessDecision;
  /** A per-object predicate for the results of a list/watch request (`needed: false` when all pass). */
  objectFilter(cluster: ClusterTarget, attributes: KubeRequestAttributes): ObjectFilter;
  /**
   * The certificate lifetime in milliseconds: `requestedMs` (default: the cap) capped by the smallest
   * `max_session_ttl` among the roles (a role without one counts as `defaultMaxSessionTtlMs`).
   */
  sessionTtl(requestedMs?: number): number;
}

interface CompiledRole {
  readonly name: string;
  readonly allowLabels: LabelMatcher;
  readonly denyLabels: LabelMatcher;
  readonly allowUsers: readonly string[];
  readonly allowGroups: readonly string[];
  readonly denyUsers: readonly PatternMatcher[];
  readonly denyGroups: readonly PatternMatcher[];
  readonly allowRules: readonly CompiledResourceRule[];
  readonly denyRules: readonly CompiledResourceRule[];
  readonly maxSessionTtlMs: number | undefined;
}

/** Kubernetes users and groups from a set of roles, after deny rules. */
interface PrincipalSets {
  /** Users granted by the roles, before deny rules. */
  readonly grantedUsers: number;
  /** Users to choose from after deny rules, the username fallback included. */
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

interface ClusterView extends PrincipalSets {
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly deniedBy: string | undefined;
  readonly matching: readonly CompiledRole[];
  readonly matchedRoles: readonly string[];
  readonly allow: RuleIndex;
  readonly fullWildcard: boolean;
  /** Principal sets by the names of the roles whose rules matched a request. */
  readonly principalsByRoles: Map<string, PrincipalSets>;
  /** Compiled filters by group/resource/subresource/verb/namespace, built on first use. */
  readonly filters: Map<string, FilterIndexes>;
  /** The principals without `--as`, computed on first use. */
  defaultPrincipals: PrincipalsResult | undefined;
}

const DEFAULT_MAX_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const ALLOWED: AccessDecision = Object.freeze({ allowed: true, filter: false });
const ALLOWED_FILTERED: AccessDecision = Object.freeze({ allowed: true, filter: true });

// A denial builds its error (message, stack trace) only when someone reads it: the Proxy answers
// every denial with it, but an object filter or a `kube ls` probe only needs the boolean.
function denial(make: () => RemotelerError): AccessDecision {
  let error: RemotelerError | undefined;
  return {
    allowed: false,
    get error() {
      error ??= make();
      return error;
    },
  };
}

/** A compiled list/watch filter, cached per request shape in the cluster view. */
interface FilterIndexes {
  readonly allow: NamespaceNameIndex;
  readonly deny: NamespaceNameIndex;
}
const AUTHENTICATED = 'system:authenticated';
// Paths every authenticated Kubernetes user may read (the system:discovery and
// system:public-info-viewer ClusterRoles): discovery, version, OpenAPI, health, OIDC discovery.
const DISCOVERY_PATH =
  /^\/(?:api|apis)(?:\/[^/]+){0,2}\/?$|^\/version\/?$|^\/openapi\/.+$|^\/(?:healthz|livez|readyz)(?:\/.*)?$|^\/\.well-known\/openid-configuration\/?$|^\/openid\/v1\/jwks\/?$/;

function literalsOf(values: readonly string[] | undefined): Set<string> {
  return new Set((values ?? []).filter((v) => parseTemplate(v).kind === 'literal'));
}

function expandPrincipals(values: readonly string[] | undefined, traits: Traits): string[] {
  const literals = literalsOf(values);
  return [...new Set((values ?? []).flatMap((value) => expandPrincipal(value, traits, literals)))];
}

function compileConditions(conditions: RoleConditions, role: string, traits: Traits) {
  return {
    labels: compileLabelSelector(conditions.kubernetes_labels, traits),
    rules: (conditions.kubernetes_resources ?? []).map((rule) => compileResourceRule(rule, role, traits)),
  };
}

function compileRole(role: Role, traits: Traits): CompiledRole {
  const name = role.metadata.name;
  const allow = compileConditions(role.spec.allow, name, traits);
  const deny = compileConditions(role.spec.deny, name, traits);
  const ttl = role.spec.options.max_session_ttl;
  return {
    name,
    allowLabels: allow.labels,
    denyLabels: deny.labels,
    allowUsers: expandPrincipals(role.spec.allow.kubernetes_users, traits),
    allowGroups: expandPrincipals(role.spec.allow.kubernetes_groups, traits),
    denyUsers: (role.spec.deny.kubernetes_users ?? []).map((v) => compileRoleValue(v, traits)),
    denyGroups: (role.spec.deny.kubernetes_groups ?? []).map((v) => compileRoleValue(v, traits)),
    allowRules: allow.rules,
    denyRules: deny.rules,
    maxSessionTtlMs: ttl === undefined ? undefined : parseGoDuration(ttl),
  };
}

function sameLabels(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
) {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (a[key] !== b[key] || !Object.hasOwn(b, key)) return false;
  return true;
}

function quoteList(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.map((v) => JSON.stringify(v)).join(', ');
}

function describeTarget(a: ResourceTarget): string {
  const resource = a.subresource && a.verb !== a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const object = a.name ? `${resource} ${JSON.stringify(a.name)}` : resource;
  const group = a.apiGroup === '' ? 'the core API group' : `API group ${JSON.stringify(a.apiGroup)}`;
  const where =
    a.namespace && !(a.resource === 'namespaces' && a.apiGroup === '')
      ? ` in namespace ${JSON.stringify(a.namespace)}`
      : '';
  return `${a.verb} ${object} (${group})${where}`;
}

/**
 * Builds an {@link AccessChecker} for one user. Roles are expected valid (from `parseRoles`,
 * `validateRole` or a validating store); missing roles are simply not passed (they grant nothing).
 */
export function createAccessChecker(
  subject: AccessCheckerSubject,
  options: AccessCheckerOptions = {},
): AccessChecker {
  const { username, traits } = subject;
  const defaultTtl = options.defaultMaxSessionTtlMs ?? DEFAULT_MAX_SESSION_TTL_MS;
  const roles = subject.roles.map((role) => compileRole(role, traits));
  const roleNames = Object.freeze(roles.map((r) => r.name));
  const deny = new RuleIndex(roles.flatMap((r) => r.denyRules));
  const denyUsers = roles.flatMap((r) => r.denyUsers);
  const denyGroups = roles.flatMap((r) => r.denyGroups);
  const ttlCap = roles.reduce((cap, r) => Math.min(cap, r.maxSessionTtlMs ?? defaultTtl), defaultTtl);
  const views = new Map<string, ClusterView>();

  function isDenied(value: string, matchers: readonly PatternMatcher[]): boolean {
    return matchers.some((m) => m.test(value));
  }

  function principalSets(from: readonly CompiledRole[]): PrincipalSets {
    const granted = [...new Set(from.flatMap((r) => r.allowUsers))];
    const groups = [...new Set(from.flatMap((r) => r.allowGroups))]
      .filter((g) => !isDenied(g, denyGroups))
      .sort();
    let users = granted.filter((u) => !isDenied(u, denyUsers)).sort();
    // Teleport: groups without any granted user impersonate the Remoteler username - never a
    // `system:` name, never one a deny rule removes, and never when deny rules removed every
    // granted user (a deny must not swap one identity for another).
    if (
      granted.length === 0 &&
      groups.length > 0 &&
      !username.startsWith('system:') &&
      !isDenied(username, denyUsers)
    ) {
      users = [username];
    }
    return { grantedUsers: granted.length, users, groups };
  }

  /** The principal sets of the roles with an allow rule matching `a` (cached per role set). */
  function principalsFor(v: ClusterView, a: KubeRequestAttributes): PrincipalSets {
    if (!a.isResourceRequest) return v;
    const predicate =
      a.name !== ''
        ? ruleMatchesObject
        : a.verb === 'list' || a.verb === 'watch' || a.verb === 'deletecollection'
          ? ruleMayMatchCollection
          : ruleMatchesAnyName;
    const contributing = v.matching.filter((r) => r.allowRules.some((rule) => predicate(rule, a)));
    const key = contributing.map((r) => r.name).join('\u0000');
    let sets = v.principalsByRoles.get(key);
    if (!sets) {
      sets = principalSets(contributing);
      if (v.principalsByRoles.size >= 256) v.principalsByRoles.clear();
      v.principalsByRoles.set(key, sets);
    }
    return sets;
  }

  function computeView(cluster: ClusterTarget): ClusterView {
    const labels = cluster.labels;
    const deniedBy = roles.find((r) => r.denyLabels.matches(labels ?? {}))?.name;
    const matching = deniedBy === undefined ? roles.filter((r) => r.allowLabels.matches(labels ?? {})) : [];
    const { grantedUsers, users, groups } = principalSets(matching);
    const allow = new RuleIndex(matching.flatMap((r) => r.allowRules));
    const fullWildcard = allow.any.some(
      (rule) =>
        rule.group.type === 'any' &&
        rule.namespace.type === 'any' &&
        rule.name.type === 'any' &&
        ruleAllowsVerb(rule, 'get'),
    );
    return {
      labels,
      deniedBy,
      matching,
      matchedRoles: matching.map((r) => r.name),
      allow,
      grantedUsers,
      users,
      groups,
      fullWildcard,
      principalsByRoles: new Map(),
      filters: new Map(),
      defaultPrincipals: undefined,
    };
  }

  function view(cluster: ClusterTarget): ClusterView {
    const cached = views.get(cluster.name);
    if (cached && sameLabels(cached.labels, cluster.labels)) return cached;
    const fresh = computeView(cluster);
    // Bounded: a checker lives as long as a role snapshot; a few hundred clusters is plenty.
    if (views.size >= 512) views.delete(views.keys().next().value as string);
    views.set(cluster.name, fresh);
    return fresh;
  }

  function clusterDenied(cluster: ClusterTarget, v: ClusterView): RemotelerError | undefined {
    if (v.deniedBy !== undefined) {
      return new RemotelerError(
        'RMT_POLICY_CLUSTER_DENIED',
        `access to Kubernetes cluster ${JSON.stringify(cluster.name)} is denied by role ${JSON.stringify(v.deniedBy)} (its deny.kubernetes_labels match the cluster)`,
      );
    }
    if (v.matchedRoles.length === 0) {
      return new RemotelerError(
        'RMT_POLICY_CLUSTER_DENIED',
        `none of your roles (${quoteList(roleNames)}) allows Kubernetes cluster ${JSON.stringify(cluster.name)}: no allow.kubernetes_labels match its labels`,
      );
    }
    return undefined;
  }

  function isClusterAllowed(v: ClusterView): boolean {
    return v.deniedBy === undefined && v.matchedRoles.length > 0;
  }

  function forbidden(
    cluster: ClusterTarget,
    v: ClusterView,
    target: ResourceTarget,
    why: string,
  ): AccessDecision {
    return denial(
      () =>
        new RemotelerError(
          'RMT_POLICY_REQUEST_DENIED',
          `${username} cannot ${describeTarget(target)} on Kubernetes cluster ${JSON.stringify(cluster.name)}: ${why} (roles ${quoteList(v.matchedRoles)})`,
        ),
    );
  }

  function decideResource(cluster: ClusterTarget, v: ClusterView, a: KubeRequestAttributes): AccessDecision {
    if (a.name !== '') {
      const denied = deny.findForObject(a, ruleMatchesObject);
      if (denied) return forbidden(cluster, v, a, `denied by role ${JSON.stringify(denied.role)}`);
      if (v.allow.findForObject(a, ruleMatchesObject)) return ALLOWED;
      return forbidden(cluster, v, a, 'no kubernetes_resources rule allows it');
    }
    if (a.verb === 'list' || a.verb === 'watch' || a.verb === 'deletecollection') {
      const covering = deny.findForCollection(a, ruleCoversCollection);
      if (covering) return forbidden(cluster, v, a, `denied by role ${JSON.stringify(covering.role)}`);
      if (!v.allow.findForCollection(a, ruleMayMatchCollection)) {
        return forbidden(cluster, v, a, 'no kubernetes_resources rule allows it');
      }
      const denyMayMatch = deny.findForCollection(a, ruleMayMatchCollection) !== undefined;
      const allowCovers = v.allow.findForCollection(a, ruleCoversCollection) !== undefined;
      if (a.verb === 'deletecollection') {
        if (allowCovers && !denyMayMatch) return ALLOWED;
        return forbidden(
          cluster,
          v,
          a,
          'deleting a collection needs a rule that allows every object in it, and no deny rule that matches any',
        );
      }
      return !allowCovers || denyMayMatch ? ALLOWED_FILTERED : ALLOWED;
    }
    // create (or another verb) without a name: the object is not known yet.
    const denied = deny.findForObject(a, ruleMatchesAnyName);
    if (denied) {
      return forbidden(
        cluster,
        v,
        a,
        `a deny rule of role ${JSON.stringify(denied.role)} may match the object`,
      );
    }
    if (v.allow.findForObject(a, (rule, t) => rule.name.type === 'any' && ruleMatchesAnyName(rule, t)))
      return ALLOWED;
    return forbidden(cluster, v, a, 'no kubernetes_resources rule allows it for any object name');
  }

  function principals(cluster: ClusterTarget, v: ClusterView, request: PrincipalRequest): PrincipalsResult {
    const clusterError = clusterDenied(cluster, v);
    if (clusterError) return { ok: false, error: clusterError };
    const p = request.attributes ? principalsFor(v, request.attributes) : v;
    const scope = request.attributes?.isResourceRequest ? ' for this request' : '';
    if (p.users.length === 0 && p.groups.length === 0 && p.grantedUsers === 0) {
      return {
        ok: false,
        error: new RemotelerError(
          'RMT_POLICY_NO_PRINCIPALS',
          `your roles ${quoteList(v.matchedRoles)} allow Kubernetes cluster ${JSON.stringify(cluster.name)} but grant no Kubernetes user or group on it${scope}, so access is denied`,
        ),
      };
    }
    const users = p.users;
    if (users.length === 0) {
      const why =
        p.grantedUsers > 0
          ? 'deny rules remove every Kubernetes user your roles grant'
          : `your roles grant Kubernetes groups but no Kubernetes user, and your username ${JSON.stringify(username)} cannot be used as one`;
      return {
        ok: false,
        error: new RemotelerError(
          'RMT_POLICY_NO_PRINCIPALS',
          `${why} on cluster ${JSON.stringify(cluster.name)}, so access is denied`,
        ),
      };
    }
    let user: string;
    const { requestedUser, requestedGroups } = request;
    if (requestedUser !== undefined) {
      if (!users.includes(requestedUser)) {
        return {
          ok: false,
          error: new RemotelerError(
            'RMT_POLICY_IMPERSONATION_DENIED',
            `you may not act as Kubernetes user ${JSON.stringify(requestedUser)} on cluster ${JSON.stringify(cluster.name)}; allowed users: ${quoteList(users)}`,
          ),
        };
      }
      user = requestedUser;
    } else if (users.length > 1) {
      return {
        ok: false,
        error: new RemotelerError(
          'RMT_POLICY_USER_AMBIGUOUS',
          `your roles allow several Kubernetes users on cluster ${JSON.stringify(cluster.name)} (${quoteList(users)}); choose one with kubectl --as <user>`,
          { details: { users } },
        ),
      };
    } else {
      user = users[0]!;
    }
    let groups: readonly string[] = p.groups;
    if (requestedGroups !== undefined && requestedGroups.length > 0) {
      const outside = requestedGroups.filter((g) => g !== AUTHENTICATED && !p.groups.includes(g));
      if (outside.length > 0) {
        return {
          ok: false,
          error: new RemotelerError(
            'RMT_POLICY_IMPERSONATION_DENIED',
            `you may not act as Kubernetes group ${quoteList(outside)} on cluster ${JSON.stringify(cluster.name)}; allowed groups: ${quoteList(p.groups)}`,
          ),
        };
      }
      groups = requestedGroups;
    }
    return Object.freeze({
      ok: true,
      user,
      groups: Object.freeze([...new Set([...groups, AUTHENTICATED])].sort()),
    });
  }

  function filterIndexes(v: ClusterView, a: KubeRequestAttributes): FilterIndexes {
    const key = `${a.apiGroup}\u0000${a.resource}\u0000${a.subresource}\u0000${a.verb}\u0000${a.namespace}`;
    const cached = v.filters.get(key);
    if (cached) return cached;
    const indexes: FilterIndexes = { allow: new NamespaceNameIndex(), deny: new NamespaceNameIndex() };
    for (const rule of v.allow.collectionCandidates(a)) {
      if (ruleMayMatchCollection(rule, a)) addRuleToIndex(indexes.allow, rule, a);
    }
    for (const rule of deny.collectionCandidates(a)) {
      if (ruleMayMatchCollection(rule, a)) addRuleToIndex(indexes.deny, rule, a);
    }
    // Bounded: one entry per resource/verb/namespace shape the user lists.
    if (v.filters.size >= 256) v.filters.delete(v.filters.keys().next().value as string);
    v.filters.set(key, indexes);
    return indexes;
  }

  const checker: AccessChecker = {
    username,
    roleNames,
    canAccessCluster(cluster) {
      return isClusterAllowed(view(cluster));
    },
    checkCluster(cluster) {
      const v = view(cluster);
      return isClusterAllowed(v) ? ALLOWED : denial(() => clusterDenied(cluster, v)!);
    },
    allowedPrincipals(cluster) {
      const v = view(cluster);
      if (!isClusterAllowed(v)) return { users: [], groups: [] };
      return { users: v.users, groups: v.groups };
    },
    kubernetesPrincipals(cluster, request = {}) {
      const v = view(cluster);
      if (
        request.requestedUser === undefined &&
        (request.requestedGroups?.length ?? 0) === 0 &&
        request.attributes === undefined
      ) {
        v.defaultPrincipals ??= principals(cluster, v, request);
        return v.defaultPrincipals;
      }
      return principals(cluster, v, request);
    },
    checkRequest(cluster, attributes) {
      const v = view(cluster);
      if (!isClusterAllowed(v)) return denial(() => clusterDenied(cluster, v)!);
      if (!attributes.isResourceRequest) {
        const read = attributes.verb === 'get' || attributes.verb === 'head';
        if ((read && DISCOVERY_PATH.test(attributes.path)) || v.fullWildcard) return ALLOWED;
        return denial(
          () =>
            new RemotelerError(
              'RMT_POLICY_REQUEST_DENIED',
              `${username} cannot ${attributes.verb} the non-resource path ${JSON.stringify(attributes.path)} on Kubernetes cluster ${JSON.stringify(cluster.name)}: only discovery paths are open to every role; others need a rule granting kind '*' on every namespace and name`,
            ),
        );
      }
      return decideResource(cluster, v, attributes);
    },
    objectFilter(cluster, attributes) {
      const decision = checker.checkRequest(cluster, attributes);
      if (!decision.allowed) return { needed: true, test: () => false };
      if (!decision.filter) return { needed: false, test: () => true };
      const { allow, deny: denied } = filterIndexes(view(cluster), attributes);
      const checkDeny = !denied.empty;
      return {
        needed: true,
        test(object: FilterableObject) {
          const namespace = object.namespace ?? '';
          if (checkDeny && denied.matches(namespace, object.name)) return false;
          return allow.matches(namespace, object.name);
        },
      };
    },
    sessionTtl(requestedMs) {
      if (requestedMs === undefined || !Number.isFinite(requestedMs) || requestedMs <= 0) return ttlCap;
      return Math.min(requestedMs, ttlCap);
    },
  };
  return Object.freeze(checker);
}
