import type { PatternMatcher } from '../roles/pattern.js';
import type { LabelSelector } from '../roles/types.js';
import type { Traits } from '../types/identity.js';
import { compileRoleValue } from './compile-value.js';

/** A role's `kubernetes_labels`, compiled for one user. */
export interface LabelMatcher {
  /** True when the selector is `'*': '*'` (every cluster, labelled or not). */
  readonly matchesEverything: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

const NOTHING: LabelMatcher = Object.freeze({ matchesEverything: false, matches: () => false });
const EVERYTHING: LabelMatcher = Object.freeze({ matchesEverything: true, matches: () => true });

/**
 * Compiles a label selector: every listed key must be on the cluster with a value matching one of
 * its values. A missing or empty selector matches no cluster (Teleport: an allow rule without
 * labels grants nothing, a deny rule without labels denies no cluster).
 */
export function compileLabelSelector(selector: LabelSelector | undefined, traits: Traits): LabelMatcher {
  if (!selector) return NOTHING;
  const entries = Object.entries(selector);
  if (entries.length === 0) return NOTHING;
  // `'*': '*'` matches every cluster; beside other keys it adds nothing, so those still apply
  // (reading it as "everything" would silently drop the admin's other conditions).
  const keyed = entries.filter(([key]) => key !== '*');
  if (keyed.length === 0) return EVERYTHING;
  const compiled: Array<readonly [string, PatternMatcher[]]> = keyed.map(([key, value]) => [
    key,
    (typeof value === 'string' ? [value] : value).map((v) => compileRoleValue(v, traits)),
  ]);
  return {
    matchesEverything: false,
    matches(labels) {
      if (!labels) return false;
      for (const [key, matchers] of compiled) {
        if (!Object.hasOwn(labels, key)) return false;
        const value = labels[key]!;
        if (!matchers.some((m) => m.test(value))) return false;
      }
      return true;
    },
  };
}
