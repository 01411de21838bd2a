import { RemotelerError } from '../errors/index.js';
import { compilePattern, isRegexPattern, type PatternMatcher, patternProblem } from '../roles/pattern.js';
import { ROLE_NAME } from '../roles/schema.js';
import type { ClaimMapping, RoleMapping } from '../roles/types.js';

/** A compiled pattern -> roles rule: the shared core of `claims_to_roles` and `role_map`. */
interface CompiledMapping {
  readonly matcher: PatternMatcher;
  /** Set for `^regex$` patterns: used to expand `$1`… in role names. */
  readonly regex: RegExp | undefined;
  readonly roles: readonly string[];
}

interface MappingProblem {
  readonly path: string;
  readonly message: string;
}

function groupCount(source: string): number {
  // An alternation with the empty string always matches, and exposes every group of the regex.
  return (new RegExp(`${source}|`, 'u').exec('')?.length ?? 1) - 1;
}

function compileMapping(
  pattern: unknown,
  roles: unknown,
  path: string,
  problems: MappingProblem[],
): CompiledMapping | undefined {
  if (typeof pattern !== 'string' || pattern === '') {
    problems.push({ path, message: 'must be a non-empty literal, * glob or ^regex$' });
    return undefined;
  }
  const problem = patternProblem(pattern);
  if (problem) {
    problems.push({ path, message: problem });
    return undefined;
  }
  const rolesPath = path.replace(/\.(value|remote)$/, path.endsWith('.value') ? '.roles' : '.local');
  if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => typeof r !== 'string' || r === '')) {
    problems.push({ path: rolesPath, message: 'must list at least one role name' });
    return undefined;
  }
  const groups = isRegexPattern(pattern) ? groupCount(pattern) : 0;
  for (const [i, role] of (roles as string[]).entries()) {
    const references = [...role.matchAll(/\$(\d)/g)].map((m) => Number(m[1]));
    const tooHigh = references.find((n) => n > groups || n === 0);
    if (tooHigh !== undefined) {
      problems.push({
        path: `${rolesPath}[${i}]`,
        message:
          groups === 0
            ? `$${tooHigh} needs a ^regex$ value with a capture group`
            : `$${tooHigh} refers to a capture group the regex does not have (it has ${groups})`,
      });
    } else if (references.length === 0 && !ROLE_NAME.test(role)) {
      problems.push({ path: `${rolesPath}[${i}]`, message: 'is not a valid role name' });
    }
  }
  return {
    matcher: compilePattern(pattern),
    regex: isRegexPattern(pattern) ? new RegExp(pattern, 'u') : undefined,
    roles: roles as string[],
  };
}

function mappedRoles(mapping: CompiledMapping, value: string, out: Set<string>): void {
  if (!mapping.matcher.test(value)) return;
  for (const role of mapping.roles) {
    if (!mapping.regex || !role.includes('$')) {
      out.add(role);
      continue;
    }
    const match = mapping.regex.exec(value);
    if (!match) continue;
    const expanded = role.replace(/\$(\d)/g, (_, n: string) => match[Number(n)] ?? '');
    // An expanded name comes from a claim or a remote role: it must still be a plain role name
    // (so `admin,root` or `{{x}}` in a claim never names anything).
    if (ROLE_NAME.test(expanded)) out.add(expanded);
  }
}

function invalid(problems: readonly MappingProblem[], what: string): RemotelerError {
  return new RemotelerError(
    'RMT_ROLE_MAPPING_INVALID',
    `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${what}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    { details: { problems } },
  );
}

/** Claims as a connector received them: each claim a string or a list of strings (others ignored). */
export type Claims = Readonly<Record<string, unknown>>;

/** A compiled `claims_to_roles` list. */
export interface ClaimsToRolesMatcher {
  /** The roles the claims map to, sorted and without duplicates (empty when nothing matches). */
  rolesFor(claims: Claims): string[];
}

/**
 * Compiles a connector's `claims_to_roles`. Each entry matches one claim's values (a string claim or
 * every string of a list claim) against `value`: a literal, a `*` glob or a `^regex$` whose capture
 * groups fill `$1`…`$9` in the role names (as Teleport does). Expanded names that are not valid role
 * names are dropped.
 *
 * @throws RemotelerError `RMT_ROLE_MAPPING_INVALID` listing every bad entry with its path.
 */
export function compileClaimsToRoles(mappings: readonly ClaimMapping[]): ClaimsToRolesMatcher {
  const problems: MappingProblem[] = [];
  const compiled: Array<{ claim: string; mapping: CompiledMapping }> = [];
  mappings.forEach((entry, i) => {
    const claim = (entry as { claim?: unknown }).claim;
    if (typeof claim !== 'string' || claim === '') {
      problems.push({ path: `claims_to_roles[${i}].claim`, message: 'must name a claim' });
    }
    const mapping = compileMapping(entry.value, entry.roles, `claims_to_roles[${i}].value`, problems);
    if (mapping && typeof claim === 'string') compiled.push({ claim, mapping });
  });
  if (problems.length > 0) throw invalid(problems, 'claims_to_roles');
  return {
    rolesFor(claims) {
      const out = new Set<string>();
      for (const { claim, mapping } of compiled) {
        const raw = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
        const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
        for (const value of values) if (typeof value === 'string') mappedRoles(mapping, value, out);
      }
      return [...out].sort();
    },
  };
}

/** A compiled trusted-cluster `role_map`. */
export interface RoleMapMatcher {
  /** The local roles the remote roles map to, sorted and without duplicates. */
  map(remoteRoles: readonly string[]): string[];
}

/**
 * Compiles a trusted (leaf) cluster's `role_map`: each remote role matching `remote` (literal, `*`
 * glob or `^regex$`, `$1`… in `local`) maps to the `local` roles. A remote role that matches no
 * entry maps to nothing, so the root can never grant more than the leaf's map allows.
 *
 * @throws RemotelerError `RMT_ROLE_MAPPING_INVALID` listing every bad entry with its path.
 */
export function compileRoleMap(mappings: readonly RoleMapping[]): RoleMapMatcher {
  const problems: MappingProblem[] = [];
  const compiled: CompiledMapping[] = [];
  mappings.forEach((entry, i) => {
    const mapping = compileMapping(entry.remote, entry.local, `role_map[${i}].remote`, problems);
    if (mapping) compiled.push(mapping);
  });
  if (problems.length > 0) throw invalid(problems, 'role_map');
  return {
    map(remoteRoles) {
      const out = new Set<string>();
      for (const role of remoteRoles) for (const mapping of compiled) mappedRoles(mapping, role, out);
      return [...out].sort();
    },
  };
}
