import { builtinKind, RULE_VERBS, VERB_SUBRESOURCES } from '../roles/kinds.js';
import { compilePattern, literalMatcher, type PatternMatcher } from '../roles/pattern.js';
import type { KubernetesResourceRule } from '../roles/types.js';
import type { Traits } from '../types/identity.js';
import { compileRoleValue } from './compile-value.js';

/** A `kubernetes_resources` entry compiled for one user (templates expanded, patterns compiled). */
export interface CompiledResourceRule {
  /** The role the rule comes from, for reasons and audit. */
  readonly role: string;
  /** `any` for `kind: '*'`, `namespace` for namespace rules, `resource` for everything else. */
  readonly scope: 'any' | 'namespace' | 'resource';
  /** Plural resource name (`resource` rules). */
  readonly resource: string;
  /** `''`, or the subresource a `resource/subresource` kind names. */
  readonly subresource: string;
  /** True for a built-in cluster-scoped resource (nodes, cluster roles…). */
  readonly clusterScoped: boolean;
  readonly group: PatternMatcher;
  /** For `namespace` rules: unused (the namespaces are in `name`). Omitted: matches `''` only. */
  readonly namespace: PatternMatcher;
  readonly name: PatternMatcher;
  /** The rule lists `*`. */
  readonly allVerbs: boolean;
  /** The listed verbs as bits (see `ruleAllowsVerb`). */
  readonly verbMask: number;
}

/** The attributes a rule is matched against: a request, or one object of a list. */
export interface ResourceTarget {
  readonly verb: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

const ANY = compilePattern('*');
const EMPTY = literalMatcher('');
const CORE_GROUP = literalMatcher('');

// Verbs as bits: a rule's verb test is one AND, and nothing is allocated per rule but a number.
const VERB_BITS: ReadonlyMap<string, number> = new Map(
  [...RULE_VERBS].filter((verb) => verb !== '*').map((verb, i) => [verb, 1 << i]),
);

/** The bit of a request verb; 0 for verbs no rule can list (`proxy`, `''`), which only `*` grants. */
function verbBit(verb: string): number {
  return VERB_BITS.get(verb) ?? 0;
}

/** Compiles one resource rule of `role` for a user with `traits`. */
export function compileResourceRule(
  rule: KubernetesResourceRule,
  role: string,
  traits: Traits,
): CompiledResourceRule {
  let verbMask = 0;
  let allVerbs = false;
  for (const verb of rule.verbs) {
    if (verb === '*') allVerbs = true;
    else verbMask |= verbBit(verb);
  }
  const name = rule.name === undefined ? ANY : compileRoleValue(rule.name, traits);
  // Built field by field (no object spread): construction cost matters with thousands of rules.
  if (rule.kind === '*') {
    return {
      role,
      scope: 'any',
      resource: '',
      subresource: '',
      clusterScoped: false,
      group: rule.api_group === undefined ? ANY : compilePattern(rule.api_group),
      namespace: rule.namespace === undefined ? EMPTY : compileRoleValue(rule.namespace, traits),
      name,
      allVerbs,
      verbMask,
    };
  }
  const slash = rule.kind.indexOf('/');
  const base = slash === -1 ? rule.kind : rule.kind.slice(0, slash);
  const subresource = slash === -1 ? '' : rule.kind.slice(slash + 1);
  const builtin = builtinKind(base);
  if (builtin?.resource === 'namespaces' && subresource === '') {
    return {
      role,
      scope: 'namespace',
      resource: 'namespaces',
      subresource: '',
      clusterScoped: true,
      group: CORE_GROUP,
      namespace: EMPTY,
      name,
      allVerbs,
      verbMask,
    };
  }
  const group = rule.api_group ?? builtin?.group;
  return {
    role,
    scope: 'resource',
    resource: builtin?.resource ?? base,
    subresource,
    clusterScoped: builtin !== undefined && !builtin.namespaced,
    // The schema requires api_group for custom kinds; a missing one here would be a bug, so it
    // matches nothing rather than everything.
    group: group === undefined ? literalMatcher('\u0000') : compilePattern(group),
    namespace: rule.namespace === undefined ? EMPTY : compileRoleValue(rule.namespace, traits),
    name,
    allVerbs,
    verbMask,
  };
}

function verbAllowed(rule: CompiledResourceRule, verb: string): boolean {
  return rule.allVerbs || (rule.verbMask & verbBit(verb)) !== 0;
}

/** Whether the rule lists `verb` (or `*`). */
export function ruleAllowsVerb(rule: CompiledResourceRule, verb: string): boolean {
  return verbAllowed(rule, verb);
}

// exec/attach/portforward/log are verbs on the pod (see parseKubeRequest), so a `pod` rule with
// `verbs: [exec]` matches `pods/exec`; other subresources must be named (`pods/status`).
function effectiveSubresource(target: ResourceTarget): string {
  return VERB_SUBRESOURCES.has(target.subresource) && target.verb === target.subresource
    ? ''
    : target.subresource;
}

function kindMatches(rule: CompiledResourceRule, target: ResourceTarget): boolean {
  return (
    target.resource === rule.resource &&
    effectiveSubresource(target) === rule.subresource &&
    rule.group.test(target.apiGroup)
  );
}

/**
 * The namespace an object lives in. RequestInfo reports `/api/v1/namespaces/x` with namespace `x`,
 * but a namespace object is cluster-scoped: rules match it with an empty namespace.
 */
function objectNamespace(target: ResourceTarget): string {
  return isNamespaceObject(target) ? '' : target.namespace;
}

/** True for the namespace object itself (`/api/v1/namespaces/<name>`), not resources inside it. */
function isNamespaceObject(target: ResourceTarget): boolean {
  return target.resource === 'namespaces' && target.apiGroup === '';
}

/**
 * Whether `rule` grants `target` (one named object, or a request whose name is known). Namespace
 * rules (`kind: namespace`, `name: X`) grant their verbs on the namespace object X and - as in
 * Teleport - on every namespaced resource inside X, subresources included.
 */
export function ruleMatchesObject(rule: CompiledResourceRule, target: ResourceTarget): boolean {
  if (!verbAllowed(rule, target.verb)) return false;
  switch (rule.scope) {
    case 'any':
      return (
        rule.group.test(target.apiGroup) &&
        rule.namespace.test(objectNamespace(target)) &&
        rule.name.test(target.name)
      );
    case 'namespace':
      if (isNamespaceObject(target)) return target.subresource === '' && rule.name.test(target.name);
      return target.namespace !== '' && rule.name.test(target.namespace);
    case 'resource':
      return (
        kindMatches(rule, target) &&
        rule.namespace.test(objectNamespace(target)) &&
        rule.name.test(target.name)
      );
  }
}

/**
 * Whether `rule` grants `target` for any object name (create without a name, or a collection of
 * one namespace): the namespace must match as for an object, the name pattern is ignored.
 */
export function ruleMatchesAnyName(rule: CompiledResourceRule, target: ResourceTarget): boolean {
  if (!verbAllowed(rule, target.verb)) return false;
  switch (rule.scope) {
    case 'any':
      return rule.group.test(target.apiGroup) && rule.namespace.test(objectNamespace(target));
    case 'namespace':
      if (isNamespaceObject(target)) return target.subresource === '';
      return target.namespace !== '' && rule.name.test(target.namespace);
    case 'resource':
      return kindMatches(rule, target) && rule.namespace.test(objectNamespace(target));
  }
}

/**
 * Whether `rule` may grant some object of a collection request: `target.namespace` is the
 * collection's namespace, `''` meaning every namespace (or a cluster-scoped resource).
 */
export function ruleMayMatchCollection(rule: CompiledResourceRule, target: ResourceTarget): boolean {
  if (target.namespace !== '') return ruleMatchesAnyName(rule, target);
  if (!verbAllowed(rule, target.verb)) return false;
  switch (rule.scope) {
    case 'any':
      return rule.group.test(target.apiGroup);
    case 'namespace':
      return isNamespaceObject(target) ? target.subresource === '' : !builtinClusterScoped(target);
    case 'resource':
      return kindMatches(rule, target) && (!rule.clusterScoped || rule.namespace.test(''));
  }
}

/**
 * Whether `rule` grants every object of a collection request (no per-object filtering needed). A
 * `namespace` rule never covers an all-namespaces collection: a custom resource may be
 * cluster-scoped, and those objects are outside every namespace.
 */
export function ruleCoversCollection(rule: CompiledResourceRule, target: ResourceTarget): boolean {
  if (!verbAllowed(rule, target.verb)) return false;
  switch (rule.scope) {
    case 'any':
      if (rule.name.type !== 'any' || !rule.group.test(target.apiGroup)) return false;
      return target.namespace === '' ? rule.namespace.type === 'any' : rule.namespace.test(target.namespace);
    case 'namespace':
      if (rule.name.type !== 'any' && !isNamespaceObject(target)) {
        return target.namespace !== '' && rule.name.test(target.namespace);
      }
      if (isNamespaceObject(target)) return target.subresource === '' && rule.name.type === 'any';
      return target.namespace !== '';
    case 'resource':
      if (rule.name.type !== 'any' || !kindMatches(rule, target)) return false;
      if (target.namespace !== '') return rule.namespace.test(target.namespace);
      return rule.namespace.type === 'any' || (rule.clusterScoped && rule.namespace.test(''));
  }
}

function builtinClusterScoped(target: ResourceTarget): boolean {
  const builtin = builtinKind(target.resource);
  return (
    builtin !== undefined &&
    builtin.resource === target.resource &&
    !builtin.namespaced &&
    target.apiGroup === builtin.group
  );
}
