import type { KubeObject } from '../api/resource-types.js';
import type { UserInfo } from './user-info.js';

/** What an API request wants to do, as the authorizer sees it (apiserver `authorizer.Attributes`). */
export interface RequestAttributes {
  readonly user: UserInfo;
  readonly verb: string;
  /** True for /api/…, /apis/… resource requests; false for /version, /healthz, /openapi… */
  readonly resourceRequest: boolean;
  readonly apiGroup?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The URL path, for non-resource requests. */
  readonly path?: string;
}

/** An RBAC `PolicyRule`. */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

/** Reads the RBAC objects the authorizer evaluates (the simulator's own store). */
export interface RbacSource {
  list(group: string, resource: string, namespace?: string): KubeObject[];
  get(group: string, resource: string, namespace: string, name: string): KubeObject | undefined;
}

const RBAC = 'rbac.authorization.k8s.io';

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string): boolean {
  if (subject.kind === 'User') return subject.name === user.name;
  if (subject.kind === 'Group') return subject.name !== undefined && user.groups.includes(subject.name);
  if (subject.kind === 'ServiceAccount') {
    const ns = subject.namespace || bindingNamespace;
    return user.name === `system:serviceaccount:${ns}:${subject.name}`;
  }
  return false;
}

function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  return ((role?.rules as PolicyRule[] | undefined) ?? []).filter((r) => Array.isArray(r?.verbs));
}

/**
 * The rules that apply to `user` in `namespace` (cluster-wide rules only when namespace is empty),
 * from ClusterRoleBindings and that namespace's RoleBindings, as the RBAC authorizer's rule
 * resolver gathers them.
 */
export function rulesFor(source: RbacSource, user: UserInfo, namespace: string | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const binding of source.list(RBAC, 'clusterrolebindings')) {
    const subjects = (binding.subjects as Subject[] | undefined) ?? [];
    if (!subjects.some((s) => subjectMatches(s, user, ''))) continue;
    const ref = (binding.roleRef ?? {}) as { kind?: string; name?: string };
    if (ref.kind === 'ClusterRole' && ref.name)
      rules.push(...rulesOf(source.get(RBAC, 'clusterroles', '', ref.name)));
  }
  if (namespace) {
    for (const binding of source.list(RBAC, 'rolebindings', namespace)) {
      const subjects = (binding.subjects as Subject[] | undefined) ?? [];
      if (!subjects.some((s) => subjectMatches(s, user, namespace))) continue;
      const ref = (binding.roleRef ?? {}) as { kind?: string; name?: string };
      if (!ref.name) continue;
      if (ref.kind === 'ClusterRole') rules.push(...rulesOf(source.get(RBAC, 'clusterroles', '', ref.name)));
      if (ref.kind === 'Role') rules.push(...rulesOf(source.get(RBAC, 'roles', namespace, ref.name)));
    }
  }
  return rules;
}

const has = (list: readonly string[] | undefined, value: string) =>
  (list ?? []).some((v) => v === '*' || v === value);

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some(
    (r) => r === '*' || r === combined || (subresource !== undefined && r === `*/${subresource}`),
  );
}

/** True when one rule allows the request (rbac `RuleAllows`). */
export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.resourceRequest) {
    const path = attrs.path ?? '';
    return (rule.nonResourceURLs ?? []).some(
      (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, attrs.apiGroup ?? '')) return false;
  if (!resourceMatches(rule, attrs.resource ?? '', attrs.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (attrs.name !== undefined && names.includes(attrs.name));
}

/** The decision of the authorizer. */
export interface Decision {
  readonly allowed: boolean;
  readonly reason?: string;
}

/**
 * Authorizes like kube-apiserver with `--authorization-mode=RBAC`: members of `system:masters` may
 * do anything (the privileged-group authorizer), everyone else what their bindings grant.
 */
export function authorize(source: RbacSource, attrs: RequestAttributes): Decision {
  if (attrs.user.groups.includes('system:masters')) return { allowed: true };
  const rules = rulesFor(source, attrs.user, attrs.resourceRequest ? attrs.namespace : undefined);
  if (rules.some((r) => ruleAllows(r, attrs))) return { allowed: true, reason: 'allowed by RBAC' };
  return { allowed: false };
}
