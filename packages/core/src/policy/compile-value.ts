import {
  anyOfMatchers,
  compilePattern,
  escapeRegex,
  globToRegexSource,
  literalMatcher,
  type PatternMatcher,
} from '../roles/pattern.js';
import { expandTemplate, parseTemplate } from '../roles/template.js';
import type { Traits } from '../types/identity.js';

/**
 * Compiles a role value (literal, glob, `^regex$`, or a template) into a matcher for one user.
 * Template values are expanded here, once, and each expanded value is matched as a literal: a trait
 * holding `*`, `^.*$` or `{{…}}` matches only that exact text. Literal text around the template keeps
 * its glob meaning (`team-{{external.team}}-*`). A template with no value matches nothing.
 */
export function compileRoleValue(value: string, traits: Traits): PatternMatcher {
  const parsed = parseTemplate(value);
  if (parsed.kind !== 'template') return compilePattern(value);
  const { prefix, suffix } = parsed.template;
  const matchers = expandTemplate(parsed.template, traits).map((expanded) => {
    const trait = expanded.slice(prefix.length, expanded.length - suffix.length);
    if (!prefix.includes('*') && !suffix.includes('*')) return literalMatcher(expanded);
    const source = `^${globToRegexSource(prefix)}${escapeRegex(trait)}${globToRegexSource(suffix)}$`;
    const regex = new RegExp(source, 'su');
    return {
      source: value,
      type: 'glob' as const,
      literal: undefined,
      regexSource: source,
      test: (candidate: string) => regex.test(candidate),
    };
  });
  return anyOfMatchers(value, matchers);
}

/**
 * Expands a Kubernetes user or group value for one user. Values from traits are literal names and
 * are dropped when they are empty, hold control characters (they would end up in an
 * `Impersonate-*` header), or start with `system:` unless `literals` (the names the same role lists
 * without a template) contains them: a claim must never make someone `system:masters`.
 */
export function expandPrincipal(value: string, traits: Traits, literals: ReadonlySet<string>): string[] {
  const parsed = parseTemplate(value);
  if (parsed.kind !== 'template') return [value];
  const out: string[] = [];
  for (const expanded of expandTemplate(parsed.template, traits)) {
    if (expanded.trim() === '' || hasControl(expanded)) continue;
    if (expanded.startsWith('system:') && !literals.has(expanded)) continue;
    out.push(expanded);
  }
  return out;
}

function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
