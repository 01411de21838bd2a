import { VERB_SUBRESOURCES } from '../roles/kinds.js';
import type { PatternMatcher } from '../roles/pattern.js';
import type { CompiledResourceRule, ResourceTarget } from './resource-rule.js';

type Rule = CompiledResourceRule;
type Predicate = (rule: Rule, target: ResourceTarget) => boolean;

/** Rules of one kind, bucketed by their literal namespace (the common case) or kept apart. */
class NamespaceBuckets {
  readonly byNamespace = new Map<string, Rule[]>();
  readonly patterned: Rule[] = [];
  readonly all: Rule[] = [];

  add(rule: Rule, namespace: PatternMatcher): void {
    this.all.push(rule);
    if (namespace.type !== 'literal') {
      this.patterned.push(rule);
      return;
    }
    const list = this.byNamespace.get(namespace.literal!);
    if (list) list.push(rule);
    else this.byNamespace.set(namespace.literal!, [rule]);
  }

  /** The rules that may match an object in `namespace`, tested with `predicate`. */
  findIn(namespace: string, target: ResourceTarget, predicate: Predicate): Rule | undefined {
    const literal = this.byNamespace.get(namespace);
    if (literal) for (const rule of literal) if (predicate(rule, target)) return rule;
    for (const rule of this.patterned) if (predicate(rule, target)) return rule;
    return undefined;
  }

  find(target: ResourceTarget, predicate: Predicate): Rule | undefined {
    for (const rule of this.all) if (predicate(rule, target)) return rule;
    return undefined;
  }
}

function isNamespaceObject(target: ResourceTarget): boolean {
  return target.resource === 'namespaces' && target.apiGroup === '';
}

/**
 * A user's resource rules for one cluster, indexed so that a decision tests only the rules that
 * can apply: by `resource/subresource`, then by literal namespace; `*` rules and namespace rules
 * (keyed by the namespace they name) apart. Collections (no single namespace) scan the kind's rules.
 */
export class RuleIndex {
  readonly #byKind = new Map<string, NamespaceBuckets>();
  readonly #any = new NamespaceBuckets();
  readonly #namespaceRules = new NamespaceBuckets();
  /** Every `kind: '*'` rule. */
  readonly any: readonly Rule[] = this.#any.all;

  constructor(rules: Iterable<Rule>) {
    for (const rule of rules) {
      if (rule.scope === 'any') {
        this.#any.add(rule, rule.namespace);
        continue;
      }
      const key = `${rule.resource}/${rule.subresource}`;
      let buckets = this.#byKind.get(key);
      if (!buckets) {
        buckets = new NamespaceBuckets();
        this.#byKind.set(key, buckets);
      }
      // The namespace object is cluster-scoped: its own rules match with an empty namespace.
      buckets.add(rule, rule.namespace);
      if (rule.scope === 'namespace') this.#namespaceRules.add(rule, rule.name);
    }
  }

  #kind(target: ResourceTarget): NamespaceBuckets | undefined {
    const sub =
      VERB_SUBRESOURCES.has(target.subresource) && target.verb === target.subresource
        ? ''
        : target.subresource;
    return this.#byKind.get(`${target.resource}/${sub}`);
  }

  /** Namespace rules reach inside namespaces; for the namespace object they are in its kind bucket. */
  #reachesInside(target: ResourceTarget): boolean {
    return !isNamespaceObject(target);
  }

  /** The first rule matching one object (or a request whose namespace is known), by `predicate`. */
  findForObject(target: ResourceTarget, predicate: Predicate): Rule | undefined {
    const namespace = isNamespaceObject(target) ? '' : target.namespace;
    return (
      this.#kind(target)?.findIn(namespace, target, predicate) ??
      this.#any.findIn(namespace, target, predicate) ??
      (this.#reachesInside(target)
        ? this.#namespaceRules.findIn(target.namespace, target, predicate)
        : undefined)
    );
  }

  /** The first rule of the target's kind (any namespace) matching `predicate`: for collections. */
  findForCollection(target: ResourceTarget, predicate: Predicate): Rule | undefined {
    return (
      this.#kind(target)?.find(target, predicate) ??
      this.#any.find(target, predicate) ??
      (this.#reachesInside(target) ? this.#namespaceRules.find(target, predicate) : undefined)
    );
  }

  /** Every rule of the target's kind, `*` rules and namespace rules: the input of a list filter. */
  *collectionCandidates(target: ResourceTarget): Iterable<Rule> {
    const kind = this.#kind(target);
    if (kind) yield* kind.all;
    yield* this.#any.all;
    if (this.#reachesInside(target)) yield* this.#namespaceRules.all;
  }
}
