import { formatIssuePath } from '@remoteler/core';
import type { z } from 'zod';

/** One thing wrong in a configuration file. */
export interface ConfigProblem {
  /** Dotted path with list indices, e.g. `proxy.clusters[1].token.server`; empty for the root. */
  readonly path: string;
  /** What the field must be. */
  readonly expected: string;
  /** What the file has there, described without ever echoing a secret's value. */
  readonly got: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
}

// A value under any of these keys may be a secret (a token pasted inline, a hash, a key): the
// report then says only what kind of value it is.
const SECRET_KEY = /secret|token|password|passwd|key|hash|credential/i;

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let current: unknown = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment as string))
      return { found: false, value: undefined };
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return { found: true, value: current };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value as object);
    return keys.length === 0 ? 'an empty map' : `a map with ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

/** Describes `value` for the report: short scalars verbatim, secrets and long values by kind only. */
export function describeGot(value: unknown, path: readonly PropertyKey[], found = true): string {
  if (!found || value === undefined) return 'nothing (missing)';
  if (path.some((segment) => typeof segment === 'string' && SECRET_KEY.test(segment))) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return kindOf(value);
    return `${kindOf(value)} (value not shown)`;
  }
  if (typeof value === 'string') return value.length <= 60 ? JSON.stringify(value) : 'a long string';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return kindOf(value);
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // A schema that names its own expectation (`host:port, e.g. …`) says more than the type.
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      return issue.expected === 'object'
        ? 'a map'
        : issue.expected === 'array'
          ? 'a list'
          : `a ${issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return issue.message;
    case 'too_small':
      return issue.origin === 'array'
        ? `at least ${String(issue.minimum)} entries`
        : issue.message.replace(/^Too small: expected /, '');
    case 'too_big':
      return issue.origin === 'array'
        ? `at most ${String(issue.maximum)} entries`
        : issue.message.replace(/^Too big: expected /, '');
    default:
      return issue.message;
  }
}

/**
 * Every problem of a failed parse, in document order, each with its path, what was expected and
 * what was found. An unknown key (usually a typo) is reported at its own path.
 */
export function configProblems(
  error: z.ZodError,
  input: unknown,
  lineOf: (path: readonly PropertyKey[]) => number | undefined = () => undefined,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const line = lineOf(path);
        problems.push({
          path: formatIssuePath(path),
          expected: 'no such field (a typo?)',
          got: `the field ${JSON.stringify(key)}`,
          ...(line === undefined ? {} : { line }),
        });
      }
      continue;
    }
    // A discriminated union with a wrong discriminator reports at the discriminator.
    const { found, value } = valueAt(input, issue.path);
    const line = lineOf(issue.path);
    problems.push({
      path: formatIssuePath(issue.path),
      expected: expectedOf(issue),
      got: describeGot(value, issue.path, found),
      ...(line === undefined ? {} : { line }),
    });
  }
  return problems.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
}

/** The report as people read it: one line per problem, `file:line path: expected X, got Y`. */
export function formatConfigProblems(file: string, problems: readonly ConfigProblem[]): string {
  return problems
    .map(
      (p) =>
        `  ${file}${p.line === undefined ? '' : `:${p.line}`} ${p.path === '' ? '(root)' : p.path}: expected ${p.expected}, got ${p.got}`,
    )
    .join('\n');
}
