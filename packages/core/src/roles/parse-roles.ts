import { isMap, isNode, LineCounter, type Node, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { RemotelerError } from '../errors/index.js';
import { roleSchema } from './schema.js';
import type { Role } from './types.js';

/** One problem found in a role definition. */
export interface RoleProblem {
  /** Dotted path of the offending field, e.g. `spec.allow.kubernetes_resources[0].verbs[1]`. */
  readonly path: string;
  /** 1-based line in the YAML text; absent when the role came from a plain object. */
  readonly line?: number;
  /** 0-based index of the document (YAML) or array entry the problem belongs to. */
  readonly document: number;
  readonly message: string;
}

/** Options for {@link parseRoles}. */
export interface ParseRolesOptions {
  /** A file name to mention in the error message (never read). */
  readonly source?: string;
}

type PathSegment = string | number;

function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

type LineOf = (path: readonly PathSegment[]) => number | undefined;

function problemsOf(error: z.ZodError, document: number, lineOf: LineOf | undefined): RoleProblem[] {
  const problems: RoleProblem[] = [];
  for (const issue of error.issues) {
    const base = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    const paths: Array<{ path: PathSegment[]; message: string }> =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: [...base, key], message: `unknown field ${JSON.stringify(key)}` }))
        : [{ path: base, message: issue.message }];
    for (const { path, message } of paths) {
      const line = lineOf?.(path);
      problems.push({ path: formatPath(path), document, message, ...(line === undefined ? {} : { line }) });
    }
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function normalize(parsed: z.infer<typeof roleSchema>): Role {
  const spec = parsed.spec ?? {};
  return deepFreeze({
    kind: 'role',
    version: 'v1',
    metadata: parsed.metadata,
    spec: { options: spec.options ?? {}, allow: spec.allow ?? {}, deny: spec.deny ?? {} },
  } as Role);
}

function invalid(problems: readonly RoleProblem[], options: ParseRolesOptions): RemotelerError {
  const where = options.source ? ` in ${options.source}` : '';
  const listed = problems
    .slice(0, 20)
    .map((p) => `${p.line === undefined ? '' : `line ${p.line}: `}${p.path}: ${p.message}`)
    .join('; ');
  const more = problems.length > 20 ? `; and ${problems.length - 20} more` : '';
  return new RemotelerError(
    'RMT_ROLE_INVALID',
    `${problems.length} problem${problems.length === 1 ? '' : 's'} in role definitions${where}: ${listed}${more}`,
    { details: { problems } },
  );
}

function check(value: unknown, document: number, lineOf: LineOf | undefined): Role | RoleProblem[] {
  const result = roleSchema.safeParse(value);
  return result.success ? normalize(result.data) : problemsOf(result.error, document, lineOf);
}

function duplicates(roles: ReadonlyArray<{ role: Role; document: number; line?: number }>): RoleProblem[] {
  const seen = new Set<string>();
  const problems: RoleProblem[] = [];
  for (const { role, document, line } of roles) {
    if (seen.has(role.metadata.name)) {
      problems.push({
        path: 'metadata.name',
        document,
        message: `role ${JSON.stringify(role.metadata.name)} is defined more than once`,
        ...(line === undefined ? {} : { line }),
      });
    }
    seen.add(role.metadata.name);
  }
  return problems;
}

/**
 * Validates one role given as a plain object (from JSON, a store, an API body) and returns it
 * normalized (missing `options`/`allow`/`deny` become `{}`) and deeply frozen.
 *
 * @throws RemotelerError `RMT_ROLE_INVALID` listing every problem in `details.problems`
 *   ({@link RoleProblem}: path, message).
 */
export function validateRole(value: unknown): Role {
  const checked = check(value, 0, undefined);
  if (Array.isArray(checked)) throw invalid(checked, {});
  return checked;
}

/**
 * Parses roles from YAML text (one role per document, `---` separated; empty documents ignored) or
 * from an array of plain objects. Every problem in every document is reported at once, each with
 * its path and (for YAML) its line; role names must be unique.
 *
 * @throws RemotelerError `RMT_ROLE_INVALID` with `details.problems` ({@link RoleProblem}[]).
 */
export function parseRoles(input: string | readonly unknown[], options: ParseRolesOptions = {}): Role[] {
  const problems: RoleProblem[] = [];
  const roles: Array<{ role: Role; document: number; line?: number }> = [];
  if (typeof input !== 'string') {
    input.forEach((value, document) => {
      const checked = check(value, document, undefined);
      if (Array.isArray(checked)) problems.push(...checked);
      else roles.push({ role: checked, document });
    });
  } else {
    const lineCounter = new LineCounter();
    const documents = parseAllDocuments(input, { lineCounter, prettyErrors: false, uniqueKeys: true });
    if (!Array.isArray(documents)) return [];
    documents.forEach((doc, document) => {
      if (doc.errors.length > 0) {
        for (const error of doc.errors) {
          const line = lineCounter.linePos(error.pos[0]).line;
          problems.push({ path: '(yaml)', document, line, message: error.message.split('\n')[0]! });
        }
        return;
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return;
      const lineOf: LineOf = (path) => {
        // The deepest node that exists on the path: a missing field points at its parent.
        for (let depth = path.length; depth >= 0; depth--) {
          const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
          if (isNode(node) && (node as Node).range) return lineCounter.linePos((node as Node).range![0]).line;
          // An unknown key whose value is empty (`foo:`) still has its key node.
          if (depth > 0) {
            const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
            if (isMap(parent)) {
              const pair = parent.items.find(
                (item) => isNode(item.key) && (item.key as { value?: unknown }).value === path[depth - 1],
              );
              const keyNode = pair?.key as Node | undefined;
              if (keyNode?.range) return lineCounter.linePos(keyNode.range[0]).line;
            }
          }
        }
        return undefined;
      };
      const line = lineOf([]);
      const checked = check(value, document, lineOf);
      if (Array.isArray(checked)) problems.push(...checked);
      else
        roles.push({
          role: checked,
          document,
          ...(line === undefined ? {} : { line: lineOf(['metadata', 'name']) ?? line }),
        });
    });
  }
  problems.push(...duplicates(roles));
  if (problems.length > 0) throw invalid(problems, options);
  return roles.map((entry) => entry.role);
}
