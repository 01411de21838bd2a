import { compilePattern, literalMatcher, type PatternMatcher } from '../roles/pattern.js';
import type { CompiledResourceRule, ResourceTarget } from './resource-rule.js';

/** One object of a list or watch result, as the filter needs it (from `metadata`). */
export interface FilterableObject {
  /** `metadata.namespace`; absent or `''` for cluster-scoped objects (namespaces included). */
  readonly namespace?: string | undefined;
  readonly name: string;
}

/**
 * A per-object predicate for list and watch results, built once per request from precompiled rules.
 * `needed` is false when the rules allow every object of the request (the Proxy then streams the
 * response untouched); `test` still answers correctly in that case.
 */
export interface ObjectFilter {
  readonly needed: boolean;
  test(object: FilterableObject): boolean;
}

const ANY = compilePattern('*');

// Backreferences and named groups change meaning (or fail) when regexes are joined into one
// alternation, so such regexes are tested one by one.
function combinable(m: PatternMatcher): boolean {
  return !/\\[1-9]|\\k<|\(\?</.test(m.regexSource);
}

/** One regex test for many patterns: `(?:^a$)|(?:^b.*$)|…` keeps each alternative anchored. */
function combine(matchers: readonly PatternMatcher[]): (value: string) => boolean {
  if (matchers.length === 0) return () => false;
  if (matchers.length === 1) return (value) => matchers[0]!.test(value);
  const joinable = matchers.filter(combinable);
  const separate = matchers.filter((m) => !combinable(m));
  let regex: RegExp | undefined;
  try {
    regex =
      joinable.length > 0
        ? new RegExp(joinable.map((m) => `(?:${m.regexSource})`).join('|'), 'su')
        : undefined;
  } catch {
    regex = undefined;
    separate.push(...joinable);
  }
  if (!regex) return (value) => separate.some((m) => m.test(value));
  const joined = regex;
  if (separate.length === 0) return (value) => joined.test(value);
  return (value) => joined.test(value) || separate.some((m) => m.test(value));
}

/** The names allowed within one namespace pattern: any, a set of literals, or patterns. */
class NameGroup {
  any = false;
  readonly literals = new Set<string>();
  readonly patterns: PatternMatcher[] = [];
  #test: ((value: string) => boolean) | undefined;

  add(name: PatternMatcher): void {
    if (name.type === 'any') this.any = true;
    else if (name.type === 'literal') this.literals.add(name.literal!);
    else this.patterns.push(name);
  }

  matches(name: string): boolean {
    if (this.any || this.literals.has(name)) return true;
    if (this.patterns.length === 0) return false;
    this.#test ??= combine(this.patterns);
    return this.#test(name);
  }
}

/**
 * Rules reduced to (namespace pattern, name pattern) pairs and indexed: literal namespaces in a
 * map, namespace patterns grouped by source, and the patterns whose names are unrestricted joined
 * into one regex. Lookups cost one map access plus a few regex tests, whatever the rule count.
 */
export class NamespaceNameIndex {
  readonly #byNamespace = new Map<string, NameGroup>();
  readonly #patternGroups = new Map<string, { namespace: PatternMatcher; names: NameGroup }>();
  readonly #anyNamePatterns: PatternMatcher[] = [];
  #anyNameTest: ((value: string) => boolean) | undefined;
  #empty = true;

  add(namespace: PatternMatcher, name: PatternMatcher): void {
    this.#empty = false;
    if (namespace.type === 'literal') {
      let group = this.#byNamespace.get(namespace.literal!);
      if (!group) {
        group = new NameGroup();
        this.#byNamespace.set(namespace.literal!, group);
      }
      group.add(name);
      return;
    }
    if (name.type === 'any') {
      this.#anyNamePatterns.push(namespace);
      this.#anyNameTest = undefined;
      return;
    }
    let entry = this.#patternGroups.get(namespace.regexSource);
    if (!entry) {
      entry = { namespace, names: new NameGroup() };
      this.#patternGroups.set(namespace.regexSource, entry);
    }
    entry.names.add(name);
  }

  get empty(): boolean {
    return this.#empty;
  }

  matches(namespace: string, name: string): boolean {
    const group = this.#byNamespace.get(namespace);
    if (group?.matches(name)) return true;
    const patterned = this.#patternedFor(namespace);
    if (patterned === true) return true;
    for (const names of patterned) if (names.matches(name)) return true;
    return false;
  }

  // List results come namespace by namespace, so the namespace patterns are tested once per
  // distinct namespace and remembered: `true` when some pattern allows every name there.
  readonly #byPatternedNamespace = new Map<string, true | readonly NameGroup[]>();

  #patternedFor(namespace: string): true | readonly NameGroup[] {
    const cached = this.#byPatternedNamespace.get(namespace);
    if (cached) return cached;
    let result: true | NameGroup[];
    if (this.#anyNamePatterns.length > 0) {
      this.#anyNameTest ??= combine(this.#anyNamePatterns);
    }
    if (this.#anyNameTest?.(namespace)) {
      result = true;
    } else {
      result = [];
      for (const entry of this.#patternGroups.values())
        if (entry.namespace.test(namespace)) result.push(entry.names);
    }
    if (this.#byPatternedNamespace.size >= 4096) this.#byPatternedNamespace.clear();
    this.#byPatternedNamespace.set(namespace, result);
    return result;
  }
}

// A namespace rule grants objects inside the namespaces its `name` matches: never the cluster
// scope, so the empty namespace is excluded even when the pattern is `*`.
function nonEmpty(matcher: PatternMatcher): PatternMatcher {
  if (matcher.type === 'literal') return matcher;
  const source = `^(?!$)(?:${matcher.regexSource})$`;
  return {
    source: matcher.source,
    type: 'regex',
    literal: undefined,
    regexSource: source,
    test: (value) => value !== '' && matcher.test(value),
  };
}

const EMPTY = literalMatcher('');

/**
 * Adds the (namespace, name) pairs a rule contributes for a collection `target`; the caller has
 * already checked the rule's verb and kind against the target.
 */
export function addRuleToIndex(
  index: NamespaceNameIndex,
  rule: CompiledResourceRule,
  target: ResourceTarget,
): void {
  if (rule.scope === 'namespace') {
    if (target.resource === 'namespaces' && target.apiGroup === '') index.add(EMPTY, rule.name);
    else index.add(nonEmpty(rule.name), ANY);
    return;
  }
  index.add(rule.namespace, rule.name);
}
