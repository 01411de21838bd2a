/**
 * Value patterns shared by role labels, resource rules, `claims_to_roles` and `role_map`: a literal,
 * a glob where `*` matches any run of characters (the only wildcard, as in Teleport), or a full-match
 * regular expression written `^…$`.
 */
export interface PatternMatcher {
  /** The pattern as written. */
  readonly source: string;
  /** `any` is the lone `*` (and `^.*$`): it matches every value, the empty string included. */
  readonly type: 'any' | 'literal' | 'glob' | 'regex';
  /** The value a `literal` pattern equals; used to index literal rules in maps. */
  readonly literal: string | undefined;
  /** An anchored JavaScript regular expression source equivalent to the pattern. */
  readonly regexSource: string;
  test(value: string): boolean;
}

const REGEX_SPECIALS = /[.*+?^${}()|[\]\\/]/g;

/** Escapes a string so that it matches itself inside a regular expression. */
export function escapeRegex(value: string): string {
  return value.replace(REGEX_SPECIALS, '\\$&');
}

/** True for patterns written as a regular expression (`^…$`). */
export function isRegexPattern(pattern: string): boolean {
  return pattern.length >= 2 && pattern.startsWith('^') && pattern.endsWith('$');
}

/** The regex source (unanchored parts escaped) for a glob where `*` is the only wildcard. */
export function globToRegexSource(glob: string): string {
  return glob.split('*').map(escapeRegex).join('.*');
}

/**
 * Why `pattern` cannot be compiled, or `undefined` when it can. Roles are refused at parse time for
 * a bad regex rather than failing (open or closed) at request time.
 */
export function patternProblem(pattern: string): string | undefined {
  if (!isRegexPattern(pattern)) return undefined;
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    return `invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`;
  }
}

/** Compiles a pattern once; throws a `SyntaxError` for a bad regex (validate with {@link patternProblem}). */
export function compilePattern(pattern: string): PatternMatcher {
  if (pattern === '*' || pattern === '^.*$') {
    return { source: pattern, type: 'any', literal: undefined, regexSource: '^[^]*$', test: () => true };
  }
  if (isRegexPattern(pattern)) {
    const regex = new RegExp(pattern, 'u');
    return {
      source: pattern,
      type: 'regex',
      literal: undefined,
      regexSource: pattern,
      test: (value) => regex.test(value),
    };
  }
  if (!pattern.includes('*')) return literalMatcher(pattern);
  const regexSource = `^${globToRegexSource(pattern)}$`;
  const star = pattern.indexOf('*');
  // The common shapes (`team-*`, `*-prod`) avoid the regex engine entirely.
  if (star === pattern.length - 1 && !pattern.slice(0, star).includes('*')) {
    const prefix = pattern.slice(0, star);
    return {
      source: pattern,
      type: 'glob',
      literal: undefined,
      regexSource,
      test: (v) => v.startsWith(prefix),
    };
  }
  if (star === 0 && pattern.lastIndexOf('*') === 0) {
    const suffix = pattern.slice(1);
    return {
      source: pattern,
      type: 'glob',
      literal: undefined,
      regexSource,
      test: (v) => v.endsWith(suffix),
    };
  }
  const regex = new RegExp(regexSource, 's');
  return { source: pattern, type: 'glob', literal: undefined, regexSource, test: (v) => regex.test(v) };
}

/** A matcher for exactly `value`: used for values expanded from traits, which never become patterns. */
export function literalMatcher(value: string): PatternMatcher {
  return {
    source: value,
    type: 'literal',
    literal: value,
    regexSource: `^${escapeRegex(value)}$`,
    test: (candidate) => candidate === value,
  };
}

/** A matcher that matches nothing (a template that expanded to no value). */
export function nothingMatcher(source: string): PatternMatcher {
  return { source, type: 'regex', literal: undefined, regexSource: '^(?!)$', test: () => false };
}

/** A matcher that accepts a value when any of `matchers` does. */
export function anyOfMatchers(source: string, matchers: readonly PatternMatcher[]): PatternMatcher {
  if (matchers.length === 0) return nothingMatcher(source);
  if (matchers.length === 1) return matchers[0]!;
  if (matchers.some((m) => m.type === 'any')) return compilePattern('*');
  const literals = new Set<string>();
  const others: PatternMatcher[] = [];
  for (const m of matchers) {
    if (m.type === 'literal') literals.add(m.literal!);
    else others.push(m);
  }
  const regexSource = matchers.map((m) => `(?:${m.regexSource})`).join('|');
  return {
    source,
    type: others.length === 0 ? 'glob' : 'regex',
    literal: undefined,
    regexSource,
    test: (value) => literals.has(value) || others.some((m) => m.test(value)),
  };
}
